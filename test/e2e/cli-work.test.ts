/**
 * What the installed binary reports about real work, run as a child process against the local cloud: the
 * worker's exit status and progress (the contract a poller rewrite must keep), `dlq list` and `redrive`,
 * `enroll` checking the user first and using the serial number's account, `sweep`'s report age, and
 * `local-cloud`'s ready line and export lines that the AWS CLI and another shell use as they are.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTask } from '../../src/local/findings.ts';
import { runBinary, startBinary, waitForOutput } from '../helpers/binary.ts';
import { ACCOUNT, type Harness, MEMBER, startHarness } from './harness.ts';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness?.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: harness.cloud.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...harness.pipeline.env,
    ALLOWED_ACCOUNTS: `${ACCOUNT},${MEMBER}`,
    ...extra,
  };
}

interface Stats {
  received: number;
  acknowledged: number;
  retried: number;
  unfinished: number;
  unpublished: number;
  outcomes: Record<string, number>;
}

async function worker(args: string[] = [], extra: Record<string, string> = {}) {
  const run = await runBinary(['--output', 'json', 'worker', '--until-empty', ...args], { env: env(extra) });
  return { ...run, stats: (run.stdout.trim() ? JSON.parse(run.stdout) : undefined) as Stats | undefined };
}

describe('worker --until-empty: exit status and progress', () => {
  it('exits 0 when everything was done, with the outcomes counted and one info line per outcome', async () => {
    harness.seed(ACCOUNT, [{ userName: 'w-ok', consolePassword: true, mfa: true }]);
    await harness.send([makeTask('verify', { accountId: ACCOUNT, userName: 'w-ok' })]);

    const run = await worker();

    expect(run.status, run.stderr).toBe(0);
    expect(run.stats).toMatchObject({
      received: 1,
      acknowledged: 1,
      unfinished: 0,
      outcomes: { 'already-compliant': 1 },
    });
    const outcomeLines = run.stderr.split('\n').filter((l) => l.includes('"msg":"outcome"'));
    expect(outcomeLines).toHaveLength(1);
    expect(JSON.parse(outcomeLines[0] ?? '{}')).toMatchObject({
      level: 'info',
      outcome: 'already-compliant',
    });
  });

  it('exits 1 when IAM throttles every call: the message was retried and is not finished', async () => {
    harness.seed(ACCOUNT, [{ userName: 'w-throttled', consolePassword: true }]);
    await harness.send([
      makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'w-throttled', source: 'manual' }),
    ]);
    harness.cloud.setFaults('iam:*=Throttling:1');

    const run = await worker();

    expect(run.status, run.stderr).toBe(1);
    expect(run.stats).toMatchObject({ received: 1, acknowledged: 0, retried: 1, unfinished: 1 });
    expect(run.stderr).toContain('worker: work left undone: 1 message(s) retried and not finished');
  });

  it('exits 1 when an outcome is failed (retries exhausted on the last receive)', async () => {
    await harness.close();
    harness = await startHarness({ pipeline: { maxReceiveCount: 1 } });
    harness.seed(ACCOUNT, [{ userName: 'w-failed', consolePassword: true }]);
    await harness.send([
      makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'w-failed', source: 'manual' }),
    ]);
    harness.cloud.setFaults('iam:*=Throttling:1');

    const run = await worker([], { MAX_RECEIVE_COUNT: '1' });

    expect(run.status, run.stderr).toBe(1);
    expect(run.stats?.outcomes).toEqual({ failed: 1 });
  });

  it('exits 2 before receiving anything when MAX_RECEIVE_COUNT differs from the queue’s redrive policy', async () => {
    await harness.send([makeTask('verify', { accountId: ACCOUNT, userName: 'w-mismatch' })]);

    const run = await worker([], { MAX_RECEIVE_COUNT: '3' });

    expect(run.status, run.stderr).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /MAX_RECEIVE_COUNT: is 3, but the queue's redrive policy moves a message to the dead-letter queue after 8 receives/,
    );
    // Nothing was received, so the message's receives are untouched.
    expect(harness.cloud.stats().requests['sqs:ReceiveMessage'] ?? 0).toBe(0);
  });

  it('exits 1 with one line after a bounded time when SQS cannot be reached', async () => {
    const closed = 'http://127.0.0.1:9';
    const run = await runBinary(
      [
        '--endpoint-url',
        closed,
        'worker',
        '--until-empty',
        '--give-up-after',
        '2',
        '--queue-url',
        `${closed}/${ACCOUNT}/q`,
      ],
      { env: { ...env(), LOG_LEVEL: 'silent' }, timeoutMs: 30_000 },
    );

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^error: SQS unreachable for \d+ s \(GetQueueAttributes .*\); giving up$/,
    );
    expect(run.ms).toBeLessThan(25_000);
  });
});

describe('process: what happened to every record', () => {
  it('a record left for retry is reported on stderr and exits 1', async () => {
    harness.seed(ACCOUNT, [{ userName: 'p-retry', consolePassword: true }]);
    harness.cloud.setFaults('iam:*=Throttling:1');
    const body = JSON.stringify(
      makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'p-retry', source: 'manual' }),
    );

    const run = await runBinary(['--output', 'json', 'process', '-'], {
      env: env({ LOG_LEVEL: 'silent' }),
      stdin: body,
    });

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^process: record-1 not finished \(Throttling: .*\); from a queue, SQS would deliver it again in \d+ s$/m,
    );
  });

  it('exits 1 for a rejected or invalid-code outcome, 0 for a clean run', async () => {
    harness.seed(ACCOUNT, [{ userName: 'p-ok', consolePassword: true, mfa: true }]);
    const ok = await runBinary(['process', '-'], {
      env: env(),
      stdin: JSON.stringify(makeTask('verify', { accountId: ACCOUNT, userName: 'p-ok' })),
    });
    expect(ok.status, ok.stderr).toBe(0);
    const rejected = await runBinary(['process', '-'], {
      env: env(),
      stdin: '{"type":"verify","accountId":"1"}',
    });
    expect(rejected.status).toBe(1);
  });
});

describe('dlq', () => {
  it('list hides nothing: a second list sees the same messages, and a redrive right after moves them all', async () => {
    await harness.send([
      '{"type":"verify","accountId":"bad-1"}',
      '{"type":"verify","accountId":"bad-2"}',
      'not json',
    ]);
    await worker();

    const first = await runBinary(['--output', 'json', 'dlq', 'list'], { env: env() });
    const second = await runBinary(['--output', 'json', 'dlq', 'list'], { env: env() });
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toHaveLength(3);
    expect(JSON.parse(second.stdout)).toHaveLength(3);
    expect(await harness.queueDepth(harness.pipeline.deadLetterQueueUrl)).toEqual({
      visible: 3,
      inFlight: 0,
    });

    const redrive = await runBinary(['--output', 'json', 'dlq', 'redrive'], { env: env() });
    expect(redrive.status, redrive.stderr).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ status: 'COMPLETED', moved: 3, remaining: 0 });
    expect(await harness.queueDepth()).toEqual({ visible: 3, inFlight: 0 });
  });

  it('redrive tells the truth when messages stay behind (in flight): exit 1, remaining counted', async () => {
    await harness.send(['{"type":"verify","accountId":"bad"}']);
    await worker();
    await harness.sqs.send(
      new (await import('@aws-sdk/client-sqs')).ReceiveMessageCommand({
        QueueUrl: harness.pipeline.deadLetterQueueUrl,
        VisibilityTimeout: 600,
      }),
    );

    const redrive = await runBinary(['--output', 'json', 'dlq', 'redrive'], { env: env() });

    expect(redrive.status).toBe(1);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ status: 'COMPLETED', moved: 0, remaining: 1 });
    expect(redrive.stderr).toContain('1 message(s) are in flight');
  });

  it('a redrive table fits 80 columns (the task handle is shortened)', async () => {
    const redrive = await runBinary(['--output', 'table', 'dlq', 'redrive'], { env: env({ COLUMNS: '80' }) });
    for (const line of redrive.stdout.trimEnd().split('\n'))
      expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});

describe('enroll', () => {
  it('checks the user before creating anything: no device, no QR code, for a user who does not exist', async () => {
    const before = harness.cloud.stats().requests;
    const run = await runBinary(['enroll', '--user-name', 'nobody'], { env: env() });
    // Not a terminal: usage error before anything happens.
    expect(run.status).toBe(2);
    expect(harness.cloud.stats().requests['iam:CreateVirtualMFADevice'] ?? 0).toBe(
      before['iam:CreateVirtualMFADevice'] ?? 0,
    );
  });

  it("enables a device in the serial number's account, through the member role, without --account", async () => {
    harness.seed(MEMBER, [{ userName: 'm-bob', consolePassword: true }]);
    const { CreateVirtualMFADeviceCommand, IAMClient } = await import('@aws-sdk/client-iam');
    const { memberAdmin } = await import('../../src/local/member-role.ts');
    // The member account's administrator creates the device, as a person setting it up would.
    const memberIam = new IAMClient(await memberAdmin(harness.clientOptions, MEMBER));
    const device = await memberIam.send(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'm-bob-phone' }),
    );
    const serial = device.VirtualMFADevice?.SerialNumber ?? '';
    expect(serial).toContain(`:${MEMBER}:`);
    const { consecutiveCodes } = await import('../../src/core/totp.ts');
    const seed = harness.cloud.iam.deviceSeed(MEMBER, serial) ?? '';
    const [code1, code2] = consecutiveCodes(seed, Date.now());

    const run = await runBinary(
      [
        '--output',
        'json',
        'enroll',
        '--user-name',
        'm-bob',
        '--serial-number',
        serial,
        '--authentication-code1',
        code1,
        '--authentication-code2',
        code2,
      ],
      // The member role trusts the central worker role: enter the member account as its session.
      { env: env(harness.workerEnv) },
    );

    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: 'remediated',
      accountId: MEMBER,
      userName: 'm-bob',
    });
    expect(harness.cloud.iam.getUser(MEMBER, 'm-bob')?.mfaSerialNumbers).toEqual([serial]);
    memberIam.destroy();
  });
});

describe('sweep', () => {
  it("prints the credential report's age and users count, and says when the report is reused", async () => {
    harness.seed(ACCOUNT, [
      { userName: 's-one', consolePassword: true },
      { userName: 's-two', consolePassword: true, mfa: true },
    ]);
    const report = async () => {
      const run = await runBinary(['--output', 'json', 'sweep', '--no-enqueue'], { env: env() });
      expect(run.status, run.stderr).toBe(0);
      return (
        JSON.parse(run.stdout) as {
          accounts: { report: { generatedAt: string; users: number; ageSeconds: number } }[];
        }
      ).accounts[0]?.report;
    };
    const first = await report();
    expect(first).toMatchObject({ users: 2, ageSeconds: expect.any(Number) });
    const second = await report();
    expect(second?.generatedAt).toBe(first?.generatedAt);

    const table = await runBinary(['--output', 'table', 'sweep', '--no-enqueue'], { env: env() });
    expect(table.stdout).toMatch(
      new RegExp(
        `${ACCOUNT}: credential report of ${first?.generatedAt.replace(/\.\d+Z$/, 'Z')} \\(\\d+ s old\\), 2 users`,
      ),
    );
  });

  it('--fresh-report waits until IAM generates a new report (IAM keeps one for 4 hours)', async () => {
    // A cloud whose report was generated 4 h minus 3 s ago: IAM regenerates it 3 s from now.
    const { startLocalCloud } = await import('../../src/local/cloud/server.ts');
    let offset = -(4 * 3600_000 - 3000);
    const cloud = await startLocalCloud({ port: 0, now: () => Date.now() + offset });
    try {
      cloud.seed({ accountId: ACCOUNT, users: [{ userName: 'fresh', consolePassword: true }] });
      const cloudEnv = {
        AWS_ENDPOINT_URL: cloud.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      };
      const old = await runBinary(['--output', 'json', 'sweep', '--no-enqueue'], { env: cloudEnv });
      const oldReport = JSON.parse(old.stdout).accounts[0].report;
      offset = 0;

      const fresh = await runBinary(['--output', 'json', 'sweep', '--no-enqueue', '--fresh-report'], {
        env: cloudEnv,
      });

      expect(fresh.status, fresh.stderr).toBe(0);
      const report = JSON.parse(fresh.stdout).accounts[0].report;
      expect(Date.parse(report.generatedAt)).toBeGreaterThan(
        Date.parse(oldReport.generatedAt) + 4 * 3600_000 - 5000,
      );
      expect(report.ageSeconds).toBeLessThan(60);
    } finally {
      await cloud.close();
    }
  });
});

describe('local-cloud', () => {
  it('prints "ready URL" on stdout and export lines on stderr that the AWS CLI and mfa-remediation use as they are', async () => {
    const child = startBinary(['local-cloud', '--port', '0', '--seed', 'demo']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    try {
      const [, url] = await waitForOutput(child, 'stdout', /^ready (http:\/\/127\.0\.0\.1:\d+)\n/m);
      const lines = stderr.trim().split('\n');
      expect(
        lines.filter((l) => !l.startsWith('#')).every((l) => /^export [A-Z_]+=\S+$/.test(l)),
        stderr,
      ).toBe(true);
      for (const name of [
        'AWS_ENDPOINT_URL',
        'AWS_REGION',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'REMEDIATION_QUEUE_URL',
        'DEAD_LETTER_QUEUE_URL',
        'OUTCOME_TOPIC_ARN',
        'ALLOWED_ACCOUNTS',
      ]) {
        expect(stderr).toMatch(new RegExp(`^export ${name}=`, 'm'));
      }
      expect(stderr).toContain(`export AWS_ENDPOINT_URL=${url}`);
      // A shell that sources the lines: mfa-remediation and the AWS CLI need nothing else.
      const script = `eval "$(cat)"; node bin/mfa-remediation.js --log-level silent --output json worker --until-empty`;
      const out = spawnSync('bash', ['-c', script], {
        input: stderr,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: '/tmp', AWS_EC2_METADATA_DISABLED: 'true' },
      });
      // The demo's findings were waiting; its one malformed message is rejected on purpose (exit 1).
      expect(out.status, out.stderr).toBe(1);
      const stats = JSON.parse(out.stdout) as Stats;
      expect(stats.outcomes.rejected).toBe(1);
      expect(stats.outcomes['enrollment-required']).toBeGreaterThan(0);
      expect(stats.unfinished).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
