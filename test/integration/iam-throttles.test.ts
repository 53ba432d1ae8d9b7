/**
 * How close a deployment runs to IAM's request rate limits (docs/reference.md: Throughput, Metrics): the
 * Lambda handler's `IamThrottles` metric counts every IAM request AWS throttled, also those the SDK's own
 * retries then got through — which no error and no outcome shows. Against the local cloud with throttling
 * injected on IAM reads, through the real runtime and SDK clients; the cloud's own fault counter is the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { makeTask } from '../../src/local/findings.ts';
import { provisionPipeline } from '../../src/local/pipeline.ts';
import { createRuntime, type SqsEvent } from '../../src/runtime.ts';
import { captureLogger } from '../helpers/deps.ts';

const ACCOUNT = '123456789012';
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, randomSeed: 13 });
});
afterAll(async () => {
  await cloud?.close();
});

/** The value of a count in the EMF lines (absent: 0). */
function counted(lines: readonly string[], name: string): number {
  return lines.reduce(
    (sum, line) => sum + Number((JSON.parse(line) as Record<string, unknown>)[name] ?? 0),
    0,
  );
}

describe('IamThrottles', () => {
  it('counts every throttled IAM request, the ones the SDK retried successfully included', async () => {
    // Prepare: twenty users, and a third of IAM's tag reads throttled.
    const clientOptions = {
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const pipeline = await provisionPipeline(clientOptions, { prefix: 'throttles' });
    const names = Array.from({ length: 20 }, (_, i) => `t-${i}`);
    cloud.seed({ accountId: ACCOUNT, users: names.map((userName) => ({ userName, consolePassword: true })) });
    const metrics: string[] = [];
    const runtime = createRuntime({
      env: { ...pipeline.env, ALLOWED_ACCOUNTS: ACCOUNT },
      log: captureLogger().log,
      clientOptions,
      writeMetrics: (line) => metrics.push(line),
    });
    const event: SqsEvent = {
      Records: names.map((userName, i) => ({
        messageId: `m-${i}`,
        receiptHandle: `rh-${i}`,
        body: JSON.stringify(makeTask('verify', { accountId: ACCOUNT, userName })),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    };
    cloud.setFaults('iam:ListUserTags=Throttling:0.33');

    // Act
    const result = await runtime.handleSqsEvent(event, { getRemainingTimeInMillis: () => 120_000 });
    cloud.setFaults('');

    // Assess: as many as the cloud throttled; most records still finished (the SDK retried).
    const throttled = cloud.stats().faults['iam:ListUserTags'] ?? 0;
    expect(throttled).toBeGreaterThan(0);
    expect(counted(metrics, 'IamThrottles')).toBe(throttled);
    expect(result.batchItemFailures.length).toBeLessThan(throttled);
    expect(counted(metrics, 'Throttles')).toBe(result.batchItemFailures.length);
  });
});
