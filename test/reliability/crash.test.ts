/**
 * Crash safety: the worker runs as a separate process (`mfa-remediation worker --until-empty`)
 * against a local cloud in this process, and is SIGKILLed again and again at random points mid-batch — at the
 * worst moment each time: right after the cloud applied one of its writes (an IAM change, a custodial device,
 * an escrowed seed, a published outcome) and before the answer reaches it. Each time it is restarted with the
 * clock moved past the visibility timeout of the messages it held and past the custodial lease, until the
 * queue drains. Then the same guarantees as the fault soak hold: a terminal outcome per finding (published at
 * least once), nothing lost, the dead-letter queue holding only the malformed bodies, the right IAM end state,
 * no side effect twice — and for custodial enrolment, at most one device per user and every enabled device's
 * seed escrowed in Secrets Manager. Nothing secret reaches the worker's stdout or stderr.
 *
 * Reduced in `npm test` (40 findings, 3 kills); `npm run test:reliability` runs 400 findings and 12 kills.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { ENROLLING_TAG } from '../../src/core/custodial.ts';
import { createPrng } from '../../src/local/cloud/faults.ts';
import { workerExitStatus } from '../helpers/cli.ts';
import { isAppliedWrite } from '../helpers/reliability-checks.ts';
import { countFindings, MAIN_ACCOUNT, MEMBER_ACCOUNT } from '../helpers/reliability-population.ts';
import {
  assessRun,
  CLOCK_STEP_MS,
  describeRun,
  FULL,
  populate,
  queueDepth,
  startWorld,
  type World,
  workerCredentialsEnv,
} from '../helpers/reliability-world.ts';
import { linesOf } from '../helpers/secrets-scan.ts';
import type { WireExchange } from '../helpers/wire-tap.ts';

const SEED = Number(process.env.RELIABILITY_SEED ?? 7_340_021);
const FINDINGS = FULL ? 400 : 40;
/** Kills aimed at; the queue may drain a kill or two early (each life kills within its first three batches). */
const KILLS = FULL ? 12 : 3;
/** Kills that must have happened: the three targeted custodial ones, and most of the random ones. */
const MIN_KILLS = FULL ? 10 : 3;
/**
 * Records the worker works on at once: the SQS handler's batch concurrency, so that a kill after the n-th
 * write of a life cuts as much of each record's work short as the schedule below intends.
 */
const CONCURRENCY = 8;
/** Runs after the last kill that may still be needed (tier-2 backoffs), bounded. */
const MAX_QUIET_RUNS = 10;
const BIN = fileURLToPath(new URL('../../bin/mfa-remediation.js', import.meta.url));
const CLOCK_PRELOAD = new URL('../helpers/shifted-clock.mjs', import.meta.url).href;

let world: World;
let onExchange: ((exchange: WireExchange) => void) | undefined;

beforeAll(async () => {
  world = await startWorld({
    seed: SEED,
    services: ['iam', 'sts', 'sns', 'secretsmanager', 'securityhub', 'sqs'],
    onExchange: (exchange) => onExchange?.(exchange),
  });
});

afterAll(async () => {
  onExchange = undefined;
  await world?.close();
});

interface WorkerLife {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** The exchange it was killed on (`service:Operation`). */
  readonly killedAt?: string;
}

/** Decides, exchange by exchange, whether to kill the worker now (after the cloud answered, before it hears). */
type KillPoint = (exchange: WireExchange) => boolean;

/** One life of the worker process, SIGKILLed at the first exchange `killPoint` picks (if any). */
function runWorker(killPoint?: KillPoint): Promise<WorkerLife> {
  // No ambient AWS profile, endpoint or session may steer the worker anywhere but the tap.
  const { AWS_PROFILE, AWS_ENDPOINT_URL, AWS_SESSION_TOKEN, ...inherited } = process.env;
  const { clock, pipeline, tap } = world;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      CLOCK_PRELOAD,
      BIN,
      '--endpoint-url',
      tap.url,
      '--log-level',
      'debug',
      '--output',
      'json',
      'worker',
      '--queue-url',
      pipeline.queueUrl,
      '--until-empty',
      '--concurrency',
      String(CONCURRENCY),
    ],
    {
      env: {
        ...inherited,
        ...pipeline.env,
        ALLOWED_ACCOUNTS: `${MAIN_ACCOUNT},${MEMBER_ACCOUNT}`,
        AWS_REGION: 'us-east-1',
        ...world.worker.env,
        ...workerCredentialsEnv(world),
        RELIABILITY_CLOCK_OFFSET_MS: String(clock.offsetMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  let killedAt: string | undefined;
  onExchange = (exchange) => {
    if (killedAt !== undefined || !killPoint?.(exchange)) return;
    killedAt = `${exchange.service}:${exchange.operation}`;
    child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      onExchange = undefined;
      resolve({
        code,
        killed: signal === 'SIGKILL',
        stdout,
        stderr,
        ...(killedAt ? { killedAt } : {}),
      });
    });
  });
}

/**
 * The kill points, one per life: first right after each step of custodial enrolment that matters most (the
 * device created and its seed returned once, the seed escrowed, the device enabled); then after the n-th
 * write the cloud applied within the life's b-th batch of ten messages (b from 1 to 3: once (b − 1) × 10
 * messages were deleted), so that lives make progress and no message is in flight at so many kills that SQS
 * dead-letters it (MAX_RECEIVE_COUNT is 8). Batches are counted in messages deleted, not in
 * DeleteMessageBatch calls: the poller deletes as records finish, a few messages a call.
 */
function killPoints(random: () => number): (life: number) => KillPoint {
  const targeted: KillPoint[] = [
    (e) => isAppliedWrite(e) && e.operation === 'CreateVirtualMFADevice',
    (e) => isAppliedWrite(e) && e.service === 'secretsmanager',
    (e) => isAppliedWrite(e) && e.operation === 'EnableMFADevice',
  ];
  return (life) => {
    const target = targeted[life];
    if (target) return target;
    const batch = 1 + Math.floor(random() * 3);
    const n = 1 + Math.floor(random() * 20);
    let deleted = 0;
    let writes = 0;
    return (e) => {
      if (e.service === 'sqs' && e.operation === 'DeleteMessageBatch') deleted += deletedBy(e);
      return deleted >= (batch - 1) * 10 && isAppliedWrite(e) && ++writes === n;
    };
  };
}

/** Messages a DeleteMessageBatch exchange deleted (SQS's JSON protocol, or the query protocol's XML). */
function deletedBy(e: WireExchange): number {
  if (e.status !== 200) return 0;
  try {
    const body = JSON.parse(e.responseBody) as { Successful?: unknown[] };
    return body.Successful?.length ?? 0;
  } catch {
    return e.responseBody.match(/<DeleteMessageBatchResultEntry>/g)?.length ?? 0;
  }
}

describe('crash safety', () => {
  it(
    `SIGKILLed up to ${KILLS} times mid-batch, the worker still drives all ${FINDINGS} findings to their end state once`,
    async () => {
      onTestFailed(() => {
        console.error(`crash test failed: RELIABILITY_SEED=${SEED}`);
      });
      // Prepare.
      const { cloud, clock, pipeline, sqs } = world;
      const random = createPrng(SEED);
      const { users, messages } = await populate(world, { findings: FINDINGS, seed: SEED, custodial: 20 });

      // Act: kill, move the clock past what the dead worker held, restart; then run until the queue is empty.
      const lives: WorkerLife[] = [];
      const kills: string[] = [];
      const killPoint = killPoints(random);
      while (kills.length < KILLS) {
        const life = await runWorker(killPoint(kills.length));
        lives.push(life);
        if (life.killed) kills.push(life.killedAt ?? 'unknown');
        else {
          expect(life.code, life.stderr.slice(-2000)).toBe(workerExitStatus(JSON.parse(life.stdout)));
          if ((await queueDepth(sqs, pipeline.queueUrl)) === 0) break;
        }
        // What the dead worker had on the wire ends first, as it would in the second a restart takes: a long
        // poll it left at the cloud would otherwise collect every message the clock's jump makes visible.
        await world.tap.settled();
        clock.advance(CLOCK_STEP_MS);
      }
      let quietRuns = 0;
      while ((await queueDepth(sqs, pipeline.queueUrl)) > 0) {
        quietRuns++;
        expect(quietRuns, 'messages still on the queue').toBeLessThanOrEqual(MAX_QUIET_RUNS);
        const life = await runWorker();
        lives.push(life);
        expect(life.code, life.stderr.slice(-2000)).toBe(workerExitStatus(JSON.parse(life.stdout)));
        clock.advance(CLOCK_STEP_MS);
      }

      // Assess.
      const assessment = await assessRun(world, {
        users,
        messages,
        crashes: true,
        texts: lives.flatMap((life, i) => [
          ...linesOf(`worker ${i + 1} stderr`, life.stderr),
          ...linesOf(`worker ${i + 1} stdout`, life.stdout),
        ]),
      });
      const custodial = users.filter((u) => u.kind === 'custodial');
      const lingeringLeases = custodial.filter(
        (u) => cloud.iam.getUser(u.accountId, u.userName)?.tags[ENROLLING_TAG] !== undefined,
      ).length;
      console.log(
        `crash test: ${describeRun({
          seed: SEED,
          findings: countFindings(messages),
          messages: messages.length,
          custodialUsers: custodial.length,
          lives: lives.length,
          kills,
          outcomes: assessment.outcomes,
          duplicates: assessment.duplicates,
          parked: assessment.parked,
          lingeringLeases,
          writes: assessment.writes,
          seeds: assessment.secrets.count('seed'),
          codes: assessment.secrets.count('code'),
          credentials: assessment.secrets.count('credential'),
        })}`,
      );
      // The kills happened mid-work, and the run enrolled custodial users (so there were secrets to leak).
      expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
      expect(custodial.length).toBeGreaterThan(0);
      expect(assessment.secrets.count('code')).toBeGreaterThan(0);
      // A lease left by a run killed after EnableMFADevice is cleaned up by the redelivery that finds MFA on.
      expect(lingeringLeases).toBe(0);
    },
    FULL ? 900_000 : 120_000,
  );
});
