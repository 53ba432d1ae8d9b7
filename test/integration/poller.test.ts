/**
 * The poller against the local cloud over HTTP, with the production runtime and real SDK clients: it never
 * waits for the slowest record of a receive, keeps a user's records in order across receives, keeps a
 * message invisible for as long as it works on it (heartbeat), shares outcome and delete calls across
 * records, and on stop hands back what it had not started. One IAM user is made slow by wrapping the
 * account's IAM port (the queue, the topic and every other call are the cloud's own).
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/aws/clients.ts';
import type { AccountAccess, IamPort } from '../../src/core/ports.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { makeTask } from '../../src/local/findings.ts';
import {
  drainOutcomes,
  type LocalPipeline,
  provisionPipeline,
  sendBodies,
} from '../../src/local/pipeline.ts';
import { createRuntime } from '../../src/runtime.ts';
import { createPoller, type PollerOptions } from '../../src/worker/poller.ts';
import { captureLogger } from '../helpers/deps.ts';

const ACCOUNT = '123456789012';
let cloud: LocalCloud;
let clientOptions: ClientOptions;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clientOptions = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  sqs = new SQSClient(clientOptions);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});
afterEach(() => {
  cloud.reset();
  cloud.setLatency(0);
});

/**
 * IAM calls about one user take `delayMs` each; every call's start and end is logged, by user (and in `at`,
 * when each first happened).
 */
function slowUser(
  accounts: AccountAccess,
  userName: string,
  delayMs: number,
  events: string[],
  at?: Map<string, number>,
): AccountAccess {
  const log = (event: string) => {
    events.push(event);
    if (at && !at.has(event)) at.set(event, Date.now());
  };
  return {
    selfAccountId: () => accounts.selfAccountId(),
    async forAccount(accountId) {
      const ports = await accounts.forAccount(accountId);
      const iam = new Proxy(ports.iam, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            const user = typeof args[0] === 'string' ? args[0] : '';
            log(`start ${user} ${String(property)}`);
            if (user === userName) await new Promise((resolve) => setTimeout(resolve, delayMs));
            try {
              return await value.apply(target, args);
            } finally {
              log(`end ${user} ${String(property)}`);
            }
          };
        },
      }) as IamPort;
      return { ...ports, iam };
    },
  };
}

function send(pipeline: LocalPipeline, bodies: readonly unknown[]): Promise<void> {
  return sendBodies(
    sqs,
    pipeline.queueUrl,
    bodies.map((body) => JSON.stringify(body)),
  );
}

async function depth(queueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

function worker(
  pipeline: LocalPipeline,
  options: {
    slow?: { userName: string; delayMs: number };
    events?: string[];
    at?: Map<string, number>;
  } & Partial<PollerOptions> = {},
) {
  const { log, lines } = captureLogger();
  const runtime = createRuntime({
    env: { ...pipeline.env, ALLOWED_ACCOUNTS: ACCOUNT, REMEDIATION_MODE: 'enforce' },
    log,
    clientOptions,
  });
  const base = runtime.depsFor(pipeline.queueUrl);
  const deps = options.slow
    ? {
        ...base,
        accounts: slowUser(
          base.accounts,
          options.slow.userName,
          options.slow.delayMs,
          options.events ?? [],
          options.at,
        ),
      }
    : base;
  const poller = createPoller({
    sqs: runtime.sqs,
    queueUrl: pipeline.queueUrl,
    deps,
    log,
    untilEmpty: true,
    waitTimeSeconds: 0,
    concurrency: 4,
    ...options,
  });
  return { poller, lines };
}

const missing = (userName: string) =>
  makeTask('mfa-missing', { accountId: ACCOUNT, userName, source: 'manual' });
const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('poller', () => {
  it('does not wait for the slowest record of a receive: the rest of the queue is done meanwhile', {
    timeout: 30_000,
  }, async () => {
    // Prepare: one slow user among 30; with a receive-then-wait poller, its batch of ten would hold the rest.
    const pipeline = await provisionPipeline(clientOptions, { prefix: 'overlap' });
    const users = ['slow', ...names(29, 'quick')];
    cloud.seed({ accountId: ACCOUNT, users: users.map((userName) => ({ userName, consolePassword: true })) });
    await send(pipeline, users.map(missing));
    const events: string[] = [];
    const { poller } = worker(pipeline, { slow: { userName: 'slow', delayMs: 1000 }, events });

    // Act
    const stats = await poller.run();

    // Assess: every quick user was finished before the slow one (6 calls × 1 s), all in one run.
    expect(stats).toMatchObject({ received: 30, acknowledged: 30, unfinished: 0 });
    const slowEnd = events.lastIndexOf('end slow attachUserPolicy');
    const quickEnds = users.slice(1).map((u) => events.lastIndexOf(`end ${u} attachUserPolicy`));
    const late = users
      .slice(1)
      .filter((_, i) => !((quickEnds[i] ?? -1) >= 0 && (quickEnds[i] ?? -1) < slowEnd));
    expect(late).toEqual([]);
    const outcomes = await drainOutcomes(sqs, pipeline);
    expect(outcomes.map((o) => o.userName).sort()).toEqual([...users].sort());
    // Outcomes and deletes of records that finished close together shared calls.
    expect(cloud.stats().requests['sns:PublishBatch']).toBeLessThan(15);
    expect(cloud.stats().requests['sqs:DeleteMessageBatch']).toBeLessThan(15);
  });

  it('receives again as soon as a slot is free, not once the record that freed it is acknowledged', async () => {
    // Prepare: two slots; `slow` holds one for seconds, `quick` frees the other at once, and the shared
    // calls of `quick` (its finding update and outcome) may wait 3 s for company while `slow` works.
    const pipeline = await provisionPipeline(clientOptions, { prefix: 'refill' });
    const users = ['slow', 'quick', 'next'];
    cloud.seed({ accountId: ACCOUNT, users: users.map((userName) => ({ userName, consolePassword: true })) });
    await send(pipeline, users.map(missing));
    const at = new Map<string, number>();
    const { poller } = worker(pipeline, {
      slow: { userName: 'slow', delayMs: 700 },
      at,
      concurrency: 2,
      lingerMs: 3000,
    });

    // Act
    const stats = await poller.run();

    // Assess: `next` started within a second of `quick` freeing its slot, long before the 3 s linger.
    expect(stats).toMatchObject({ received: 3, acknowledged: 3 });
    const quickDone = at.get('end quick attachUserPolicy') ?? Number.NaN;
    const nextStart = at.get('start next listMfaDevices') ?? Number.NaN;
    expect(nextStart - quickDone).toBeLessThan(1000);
    expect(nextStart).toBeLessThan(at.get('end slow attachUserPolicy') ?? Number.NaN);
  });

  it("keeps a user's records in order across receives: the second starts only once the first has ended", async () => {
    // Prepare: the first record about `ordered` is slow; the second arrives in a later receive.
    const pipeline = await provisionPipeline(clientOptions, { prefix: 'order' });
    cloud.seed({
      accountId: ACCOUNT,
      users: ['ordered', ...names(12, 'other')].map((userName) => ({ userName, consolePassword: true })),
    });
    await send(pipeline, [missing('ordered'), ...names(12, 'other').map(missing)]);
    const events: string[] = [];
    const { poller } = worker(pipeline, { slow: { userName: 'ordered', delayMs: 150 }, events });

    // Act
    const running = poller.run();
    while (!events.includes('start ordered listMfaDevices')) await new Promise((r) => setTimeout(r, 5));
    await send(pipeline, [makeTask('verify', { accountId: ACCOUNT, userName: 'ordered' })]);
    const stats = await running;

    // Assess
    expect(stats).toMatchObject({ received: 14, acknowledged: 14 });
    const starts = events.flatMap((e, i) => (e === 'start ordered listMfaDevices' ? [i] : []));
    expect(starts).toHaveLength(2);
    const firstEnd = events.indexOf('end ordered attachUserPolicy');
    expect(firstEnd).toBeGreaterThan(-1);
    expect(starts[1]).toBeGreaterThan(firstEnd);
  });

  it('keeps a record invisible while it works for longer than the visibility timeout (heartbeat)', async () => {
    // Prepare: a 2 s visibility timeout and a record that takes about 3.5 s.
    const pipeline = await provisionPipeline(clientOptions, {
      prefix: 'heartbeat',
      visibilityTimeoutSeconds: 2,
    });
    cloud.seed({ accountId: ACCOUNT, users: [{ userName: 'long', consolePassword: true }] });
    await send(pipeline, [missing('long')]);
    const { poller } = worker(pipeline, { slow: { userName: 'long', delayMs: 600 } });

    // Act
    const stats = await poller.run();

    // Assess: received once, never redelivered mid-work, finished in one go.
    expect(stats).toMatchObject({ received: 1, acknowledged: 1, retried: 0 });
    expect(cloud.stats().requests['sqs:ChangeMessageVisibilityBatch']).toBeGreaterThan(0);
    const outcomes = await drainOutcomes(sqs, pipeline);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ outcome: 'enrollment-required', attempts: 1 });
    expect(await depth(pipeline.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  }, 20_000);

  it('on stop finishes the records it started and hands back the rest at once, nothing left invisible', async () => {
    // Prepare: 30 users at 20 ms a call.
    const pipeline = await provisionPipeline(clientOptions, { prefix: 'stop' });
    const users = names(30, 'stop');
    cloud.seed({ accountId: ACCOUNT, users: users.map((userName) => ({ userName, consolePassword: true })) });
    await send(pipeline, users.map(missing));
    cloud.setLatency(20);
    const { poller } = worker(pipeline, { untilEmpty: false, waitTimeSeconds: 20 });

    // Act: stop once some records are done.
    const running = poller.run();
    while ((cloud.stats().requests['iam:AttachUserPolicy'] ?? 0) < 3)
      await new Promise((r) => setTimeout(r, 10));
    poller.stop();
    const stats = await running;
    cloud.setLatency(0);

    // Assess
    expect(stats.received).toBeGreaterThan(0);
    expect(stats.received).toBeLessThan(users.length);
    expect(stats.acknowledged).toBe(stats.received);
    expect(await depth(pipeline.queueUrl)).toEqual({ visible: users.length - stats.received, inFlight: 0 });
    expect(await drainOutcomes(sqs, pipeline)).toHaveLength(stats.received);
  });
});
