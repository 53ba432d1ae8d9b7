/**
 * Two consumers, one user: two real worker processes (`mfa-remediation worker --until-empty`) drain one
 * queue on which every finding arrives twice — as an aggregator and a member account both send it, or two
 * Lambda invocations receive duplicates — so that the two often work on the same user at the same moment.
 *
 * What must hold, read from the local cloud's own state and the published outcomes: each user's end state
 * is right; the deadline on the user is the one derived from the finding (its first-observed time), and
 * every outcome states that same deadline, whoever wrote the tags; the guard is attached once; each finding
 * ends in the workflow status its user's story requires. Writes both workers made are counted and reported.
 *
 * Reduced in `npm test` (40 users, 80 findings); `npm run test:reliability` runs 300 users.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPolicyArn, type Outcome, TAGS } from '../../src/core/model.ts';
import { createPrng } from '../../src/local/cloud/faults.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { sendBodies } from '../../src/local/pipeline.ts';
import { successfulIamWrites } from '../helpers/reliability-checks.ts';
import { MAIN_ACCOUNT, MEMBER_ACCOUNT } from '../helpers/reliability-population.ts';
import {
  CLOCK_STEP_MS,
  describeRun,
  FULL,
  queueDepth,
  readOutcomes,
  startWorld,
  type World,
  workerCredentialsEnv,
} from '../helpers/reliability-world.ts';

const SEED = Number(process.env.RELIABILITY_SEED ?? 4_242_017);
const USERS = FULL ? 300 : 40;
const GRACE_MS = 72 * 3_600_000;
const BIN = fileURLToPath(new URL('../../bin/mfa-remediation.js', import.meta.url));
const CLOCK_PRELOAD = new URL('../helpers/shifted-clock.mjs', import.meta.url).href;

type Kind = 'no-mfa' | 'compliant' | 'enrolled';
interface TwinUser {
  readonly accountId: string;
  readonly userName: string;
  readonly kind: Kind;
  readonly finding: Record<string, unknown>;
}

let world: World;
beforeAll(async () => {
  world = await startWorld({ seed: SEED, latencyMs: 2, services: ['iam', 'securityhub', 'sns', 'sts'] });
});
afterAll(async () => {
  await world?.close();
});

/** One worker process against the world's tap, until the queue has nothing visible. */
function runWorker(): Promise<{ code: number | null; stderr: string }> {
  const { AWS_PROFILE, AWS_ENDPOINT_URL, AWS_SESSION_TOKEN, ...inherited } = process.env;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      CLOCK_PRELOAD,
      BIN,
      '--endpoint-url',
      world.tap.url,
      '--log-level',
      'warn',
      '--output',
      'json',
      'worker',
      '--queue-url',
      world.pipeline.queueUrl,
      '--until-empty',
    ],
    {
      env: {
        ...inherited,
        ...world.pipeline.env,
        ALLOWED_ACCOUNTS: `${MAIN_ACCOUNT},${MEMBER_ACCOUNT}`,
        REMEDIATION_MODE: 'enforce',
        AWS_REGION: 'us-east-1',
        ...world.worker.env,
        ...workerCredentialsEnv(world),
        RELIABILITY_CLOCK_OFFSET_MS: String(world.clock.offsetMs),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Users with fresh findings (first observed two hours ago), and each finding's message twice, shuffled. */
function plan(random: () => number): { users: TwinUser[]; bodies: string[] } {
  const firstObserved = new Date(world.clock.now() - 2 * 3_600_000).toISOString();
  const users: TwinUser[] = Array.from({ length: USERS }, (_, i) => {
    const draw = random();
    const kind: Kind = draw < 0.7 ? 'no-mfa' : draw < 0.85 ? 'compliant' : 'enrolled';
    const accountId = random() < 0.7 ? MAIN_ACCOUNT : MEMBER_ACCOUNT;
    const userName = `${kind}-${i}`;
    const finding = makeFinding(
      { userName, accountId },
      { FirstObservedAt: firstObserved, CreatedAt: firstObserved },
    );
    return { accountId, userName, kind, finding };
  });
  const copies = [...users, ...users].map((u) => u.finding);
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j] as Record<string, unknown>, copies[i] as Record<string, unknown>];
  }
  // Events of one to three findings; a user's two copies never share one (they are separate deliveries).
  const bodies: string[] = [];
  let event: Record<string, unknown>[] = [];
  for (const finding of copies) {
    if (event.includes(finding) || event.length >= 1 + Math.floor(random() * 3)) {
      bodies.push(JSON.stringify(makeSecurityHubEvent(event)));
      event = [];
    }
    event.push(finding);
  }
  if (event.length > 0) bodies.push(JSON.stringify(makeSecurityHubEvent(event)));
  return { users, bodies };
}

describe('two workers, duplicate findings', () => {
  it(
    `two worker processes on ${USERS} users whose findings arrive twice agree on end state, outcomes and tags`,
    async () => {
      // Prepare: the users (the enrolled ones contained by an earlier run), their findings in Security Hub,
      // and every finding on the queue twice.
      const { cloud, sqs, pipeline, clock } = world;
      const { users, bodies } = plan(createPrng(SEED));
      for (const accountId of [MAIN_ACCOUNT, MEMBER_ACCOUNT]) {
        const mine = users.filter((u) => u.accountId === accountId);
        cloud.seed({
          accountId,
          users: mine.map((u) => ({
            userName: u.userName,
            consolePassword: true,
            mfa: u.kind !== 'no-mfa',
            tags:
              u.kind === 'enrolled'
                ? { [TAGS.state]: 'enrollment-required', [TAGS.since]: '2026-11-01T00:00:00.000Z' }
                : {},
          })),
        });
      }
      const hub = new SecurityHubClient(world.direct);
      for (let i = 0; i < users.length; i += 100) {
        await hub.send(
          new BatchImportFindingsCommand({
            Findings: users.slice(i, i + 100).map((u) => u.finding) as never,
          }),
        );
      }
      hub.destroy();
      await sendBodies(sqs, pipeline.queueUrl, bodies);

      // Act: two workers at once; then, should anything have been retried, both again after its backoff.
      let rounds = 0;
      do {
        const lives = await Promise.all([runWorker(), runWorker()]);
        for (const life of lives) expect(life.code, life.stderr.slice(-2000)).toBe(0);
        rounds++;
        clock.advance(CLOCK_STEP_MS);
      } while ((await queueDepth(sqs, pipeline.queueUrl)) > 0 && rounds < 6);

      // Assess, from the cloud's state and what was published.
      expect(await queueDepth(sqs, pipeline.queueUrl)).toBe(0);
      const { outcomes } = await readOutcomes(sqs, pipeline);
      const problems: string[] = [];
      const byUser = new Map<string, Outcome[]>();
      for (const o of outcomes)
        byUser.set(`${o.accountId}/${o.userName}`, [
          ...(byUser.get(`${o.accountId}/${o.userName}`) ?? []),
          o,
        ]);
      const firstObserved = Date.parse(String(users[0]?.finding.FirstObservedAt));
      for (const user of users) {
        const where = `${user.accountId}/${user.userName} (${user.kind})`;
        const state = cloud.iam.getUser(user.accountId, user.userName);
        const mine = byUser.get(`${user.accountId}/${user.userName}`) ?? [];
        const finding = cloud.securityhub.finding(String(user.finding.Id));
        const status = (finding?.Workflow as { Status?: string } | undefined)?.Status;
        if (mine.length < 2) problems.push(`${where}: ${mine.length} outcomes for two deliveries`);
        if (user.kind === 'no-mfa') {
          const deadline = state?.tags[TAGS.deadline];
          if (state?.tags[TAGS.state] !== 'enrollment-required')
            problems.push(`${where}: state ${JSON.stringify(state?.tags)}`);
          if (deadline !== new Date(firstObserved + GRACE_MS).toISOString())
            problems.push(`${where}: deadline ${deadline}`);
          for (const o of mine) {
            if (o.outcome !== 'enrollment-required' || o.deadline !== deadline) {
              problems.push(
                `${where}: outcome ${o.outcome} states ${o.deadline}, the user carries ${deadline}`,
              );
            }
          }
          if (
            JSON.stringify(state?.attachedPolicyArns) !== JSON.stringify([guardPolicyArn(user.accountId)])
          ) {
            problems.push(`${where}: policies ${JSON.stringify(state?.attachedPolicyArns)}`);
          }
          if (status !== 'NOTIFIED') problems.push(`${where}: finding ${status}`);
        } else {
          const allowed =
            user.kind === 'enrolled' ? ['remediated', 'already-compliant'] : ['already-compliant'];
          for (const o of mine)
            if (!allowed.includes(o.outcome)) problems.push(`${where}: outcome ${o.outcome}`);
          if (state?.attachedPolicyArns.length !== 0 || TAGS.state in (state?.tags ?? {})) {
            problems.push(`${where}: not released ${JSON.stringify(state)}`);
          }
          if (status !== 'RESOLVED') problems.push(`${where}: finding ${status}`);
        }
      }
      const writes = successfulIamWrites(world.tap.exchanges);
      let doubled = 0;
      for (const [key, perUser] of writes) {
        for (const [operation, n] of perUser) {
          if (n > 2) problems.push(`${key}: ${operation} ×${n}`);
          if (n === 2) doubled++;
        }
      }
      console.log(
        `two workers: ${describeRun({
          seed: SEED,
          users: users.length,
          findings: users.length * 2,
          messages: bodies.length,
          outcomes: outcomes.length,
          rounds,
          writesDoneByBoth: doubled,
        })}`,
      );
      expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
    },
    FULL ? 900_000 : 120_000,
  );
});
