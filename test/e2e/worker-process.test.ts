/**
 * The container deployment: `mfa-remediation worker` as its own process, polling the local cloud over HTTP.
 * SIGTERM (what ECS and Kubernetes send) stops it gracefully: the in-flight batch finishes and is deleted,
 * nothing is left invisible, and the rest of the queue is there for the next worker.
 */
import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { guardPolicyArn } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { ACCOUNT, type Harness, startHarness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

it('finishes the in-flight batch on SIGTERM, exits 0 and leaves the rest of the queue untouched', async () => {
  harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
  const h = harness;
  // 20 ms a call: a batch of 10 findings takes a noticeable time, so SIGTERM lands mid-run.
  h.cloud.setLatency(20);
  const names = Array.from({ length: 60 }, (_, i) => `user-${i}`);
  h.seed(
    ACCOUNT,
    names.map((userName) => ({ userName, consolePassword: true })),
  );
  await h.send(
    names.map((userName) => makeSecurityHubEvent([makeFinding({ userName, accountId: ACCOUNT })])),
  );

  const child = spawn(
    process.execPath,
    ['bin/mfa-remediation.js', 'worker', '--queue-url', h.pipeline.queueUrl, '--concurrency', '4'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...h.pipeline.env,
        AWS_ENDPOINT_URL: h.cloud.url,
        AWS_REGION: 'us-east-1',
        ALLOWED_ACCOUNTS: ACCOUNT,
        REMEDIATION_MODE: 'enforce',
        LOG_LEVEL: 'warn',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // Wait until the worker is visibly mid-run: some users contained, some messages in flight.
  for (let i = 0; i < 300; i++) {
    const depth = await h.queueDepth();
    if (depth.inFlight > 0 && depth.visible < names.length - 10) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGTERM');
  const code = await exited;

  expect(code, stderr).toBe(0);
  const stats = JSON.parse(stdout) as { received: number; acknowledged: number; retried: number };
  expect(stats.received).toBeGreaterThan(0);
  expect(stats.received).toBeLessThan(names.length);
  expect(stats.acknowledged).toBe(stats.received);
  const depth = await h.queueDepth();
  expect(depth).toEqual({ visible: names.length - stats.received, inFlight: 0 });

  // The next worker picks up exactly the rest.
  h.cloud.setLatency(0);
  const rest = await h.runWorker();
  expect(rest.stats.received).toBe(names.length - stats.received);
  const outcomes = await h.outcomes();
  expect(new Set(outcomes.map((o) => o.userName))).toEqual(new Set(names));
  for (const userName of names) {
    expect(h.cloud.iam.getUser(ACCOUNT, userName)?.attachedPolicyArns, userName).toEqual([
      guardPolicyArn(ACCOUNT),
    ]);
  }
});
