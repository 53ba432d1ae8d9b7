/**
 * The operator commands against the local cloud: `process` (message bodies without a queue) and `dlq list` /
 * `dlq redrive` (what was parked, why, and back to work once the cause is fixed).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardPolicyArn, type Outcome } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent, makeTask } from '../../src/local/findings.ts';
import { runCli } from '../helpers/cli.ts';
import { ACCOUNT, type Harness, startHarness } from './harness.ts';

let harness: Harness;
let dir: string;
beforeEach(async () => {
  harness = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'mfa-remediation-cli-'));
});
afterEach(async () => {
  await harness.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(argv: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return runCli(['--endpoint-url', harness.cloud.url, ...argv], {
    stdin: options.stdin,
    env: { AWS_REGION: 'us-east-1', ALLOWED_ACCOUNTS: ACCOUNT, LOG_LEVEL: 'warn', ...options.env },
  });
}

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Outcome);

describe('mfa-remediation process', () => {
  it('processes JSON lines from a file and prints one outcome per finding, rejecting the bad line', async () => {
    harness.seed(ACCOUNT, [
      { userName: 'alice', consolePassword: true, mfa: true },
      { userName: 'bob', consolePassword: true, mfa: false },
    ]);
    const file = join(dir, 'findings.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify(makeSecurityHubEvent([makeFinding({ userName: 'alice', accountId: ACCOUNT })])),
        JSON.stringify(makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'bob', source: 'manual' })),
        '{"type":"verify","accountId":"123"}',
      ].join('\n'),
    );

    const { status, stdout, stderr } = await cli(['--output', 'json', 'process', file]);

    // The malformed line's outcome is rejected: some work failed (docs/reference.md: Exit status).
    expect(status, stderr).toBe(1);
    const outcomes = lines(stdout);
    expect(outcomes.map((o) => [o.userName, o.outcome])).toEqual([
      ['alice', 'already-compliant'],
      ['bob', 'enrollment-required'],
      [undefined, 'rejected'],
    ]);
    expect(outcomes[2]?.reason).toMatch(/accountId/);
    expect(harness.cloud.iam.getUser(ACCOUNT, 'bob')?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
  });

  it('reads a Lambda SQS event from standard input; --dry-run writes nothing', async () => {
    harness.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true }]);
    const event = {
      Records: [
        {
          messageId: 'm-1',
          body: JSON.stringify(
            makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'bob', source: 'manual' }),
          ),
          attributes: { ApproximateReceiveCount: '1' },
        },
      ],
    };

    const before = harness.cloud.stats().requests;
    const { status, stdout } = await cli(['--output', 'json', '--dry-run', 'process', '-'], {
      stdin: JSON.stringify(event),
    });

    expect(status).toBe(0);
    const [outcome] = lines(stdout);
    expect(outcome).toMatchObject({ outcome: 'enrollment-required', dryRun: true });
    expect(outcome?.actions.every((a) => a.result === 'skipped')).toBe(true);
    // Counted from before the run: setting up the harness created the worker and member roles.
    const writes = Object.entries(harness.cloud.stats().requests)
      .filter(([k, n]) => n !== (before[k] ?? 0))
      .map(([k]) => k)
      .filter((k) => /^iam:(Attach|Tag|Untag|Detach|Delete|Update|Enable|Create)/.test(k));
    expect(writes).toEqual([]);
  });

  it('names what is wrong with its input: empty input and a missing file are usage errors', async () => {
    const empty = await cli(['process', '-'], { stdin: '  \n' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/input is empty/);

    const missing = await cli(['process', join(dir, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json/);
  });
});

describe('mfa-remediation dlq', () => {
  it('lists parked messages with their reason, codes masked, and redrives them to the queue', async () => {
    const env = harness.pipeline.env;
    await harness.send([
      '{"type":"mfa-missing","accountId":"not-an-account","userName":"mallory","source":"manual"}',
      makeTask('enrollment-codes', {
        accountId: ACCOUNT,
        userName: 'bob',
        serialNumber: 'not a serial!',
        code1: '927461',
        code2: '318205',
      }),
    ]);
    await harness.runWorker();

    const listed = await cli(['--output', 'json', 'dlq', 'list'], { env });

    expect(listed.status, listed.stderr).toBe(0);
    const parked = JSON.parse(listed.stdout) as { reason?: string; body: string }[];
    expect(parked).toHaveLength(2);
    expect(parked.every((m) => (m.reason ?? '').length > 0)).toBe(true);
    expect(listed.stdout).not.toContain('927461');
    expect(listed.stdout).not.toContain('318205');

    harness.advance(31_000); // past list's 30 s peek
    const redriven = await cli(['--output', 'json', 'dlq', 'redrive'], { env });

    expect(redriven.status, redriven.stderr).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({ status: 'COMPLETED', moved: 2 });
    expect(await harness.queueDepth()).toEqual({ visible: 2, inFlight: 0 });
    expect(await harness.queueDepth(harness.pipeline.deadLetterQueueUrl)).toEqual({
      visible: 0,
      inFlight: 0,
    });
  });

  it('is a usage error without a dead-letter queue', async () => {
    const { status, stderr } = await cli(['dlq', 'list']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--queue-url is required/);
  });
});
