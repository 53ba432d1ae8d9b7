/**
 * Holes found by attacking the worker with messages, each shown through the real SDK against the local cloud
 * (which enforces SQS's and SNS's size limits as AWS does): oversize fields, bodies too large to park, no
 * dead-letter queue, codes in `dlq list`, absurdly deep JSON, Config user ids that cost a listing per event
 * or that a re-created user would inherit, a missing guard policy, and an endpoint that never answers.
 */

import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  DeleteLoginProfileCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListUsersCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientOptions } from '../../src/aws/clients.ts';
import { createSnsPublisher } from '../../src/aws/sns.ts';
import { processBatch } from '../../src/core/batch.ts';
import { guardPolicyArn, type Outcome, TAGS } from '../../src/core/model.ts';
import { createOutcome } from '../../src/core/outcomes.ts';
import {
  makeConfigEvent,
  makeFinding,
  makeSecurityHubEvent,
  makeTask,
  wrapInSns,
} from '../../src/local/findings.ts';
import { createRuntime } from '../../src/runtime.ts';
import { ACCOUNT, type Harness, startHarness } from '../e2e/harness.ts';
import { runCli } from '../helpers/cli.ts';
import { captureLogger } from '../helpers/deps.ts';

let harness: Harness | undefined;
let hung: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (hung ? hung.close(() => resolve()) : resolve()));
  hung = undefined;
});

const attribute = (message: { MessageAttributes?: Record<string, { StringValue?: string }> }, name: string) =>
  message.MessageAttributes?.[name]?.StringValue;

describe('oversize fields', () => {
  it('a 300 KB finding Id is rejected naming the field, its outcome published, the body parked', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true }]);
    const huge = makeFinding(
      { userName: 'bob', accountId: ACCOUNT },
      { Id: `arn:aws:securityhub:${'x'.repeat(300_000)}` },
    );
    await h.send([makeSecurityHubEvent([huge])]);
    const run = await h.runWorker();
    // Acknowledged at the first receive: nothing left to loop on.
    expect(run.stats).toMatchObject({ received: 1, acknowledged: 1, retried: 0 });
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 0 });
    const [outcome] = await h.outcomes();
    expect(outcome).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('Id: must be at most 512'),
    });
    expect(JSON.stringify(outcome).length).toBeLessThan(2_000);
    const [parked] = await h.deadLetters();
    expect(parked?.Body?.length).toBeGreaterThan(300_000);
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.tags).toEqual({});
  });

  it('outcomes that are large together are published in PublishBatch calls of at most 256 KiB', async () => {
    harness = await startHarness();
    const h = harness;
    const outcomes: Outcome[] = Array.from({ length: 10 }, (_, i) =>
      createOutcome({
        outcome: 'ignored',
        trigger: { source: 'security-hub' },
        attempts: 1,
        dryRun: false,
        occurredAt: new Date(),
        userName: `user-${i}`,
        reason: 'r'.repeat(40_000),
      }),
    );
    const sns = new SNSClient(h.clientOptions);
    const { failed } = await createSnsPublisher(sns, h.pipeline.topicArn).publish(outcomes);
    sns.destroy();
    expect(failed).toEqual([]);
    expect(await h.outcomes()).toHaveLength(10);
    expect(h.cloud.stats().requests['sns:PublishBatch']).toBeGreaterThan(1);
  });
});

describe('parking', () => {
  it('a rejected body near the size limit is parked as a truncated copy with its size and digest', async () => {
    harness = await startHarness();
    const h = harness;
    // 1 MiB is SQS's (and the local cloud's) default limit; the worker's attributes would overflow it.
    const body = JSON.stringify({ type: 'no-such-type', pad: 'p'.repeat(1_048_576 - 100) });
    await h.sqs.send(new SendMessageCommand({ QueueUrl: h.pipeline.queueUrl, MessageBody: body }));
    const run = await h.runWorker();
    expect(run.stats).toMatchObject({ received: 1, acknowledged: 1 });
    const [parked] = await h.deadLetters();
    expect(attribute(parked ?? {}, 'truncated')).toBe('true');
    expect(attribute(parked ?? {}, 'original-bytes')).toBe(String(Buffer.byteLength(body)));
    expect(attribute(parked ?? {}, 'original-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(attribute(parked ?? {}, 'rejection-reason')).toContain('type');
    expect(body.startsWith(parked?.Body ?? '!')).toBe(true);
    expect((await h.outcomes()).map((o) => o.outcome)).toEqual(['rejected']);
  });

  it('without DEAD_LETTER_QUEUE_URL a rejected body is acknowledged with its outcome, never looped', async () => {
    harness = await startHarness();
    const h = harness;
    await h.send(['not json at all']);
    const run = await h.runWorker({ DEAD_LETTER_QUEUE_URL: '' });
    expect(run.stats).toMatchObject({ received: 1, acknowledged: 1, retried: 0 });
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 0 });
    expect((await h.outcomes()).map((o) => o.outcome)).toEqual(['rejected']);
    expect(await h.deadLetters()).toEqual([]);
  });

  it('a 10,000-deep type is rejected naming the field, not as an internal error', async () => {
    harness = await startHarness();
    const h = harness;
    await h.send([`${'{"type":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`]);
    await h.runWorker();
    const [outcome] = await h.outcomes();
    expect(outcome?.outcome).toBe('rejected');
    expect(outcome?.reason).toMatch(/^type\.type\.type\.\.\.: nested more than 64 levels deep$/);
    expect(attribute((await h.deadLetters())[0] ?? {}, 'rejection-reason')).not.toContain('internal');
  });
});

describe('dlq list', () => {
  it('masks authentication codes in SNS-wrapped bodies, nested envelopes and codes sent as numbers', async () => {
    harness = await startHarness();
    const h = harness;
    const codes = { code1: '123456', code2: '654321' };
    const task = makeTask('enrollment-codes', { accountId: '12', userName: 'bob', ...codes });
    const numeric = { ...task, code1: 123456, code2: 654321 };
    await h.send([
      task,
      wrapInSns(task),
      wrapInSns(wrapInSns(task)),
      numeric,
      JSON.stringify(wrapInSns(task)).slice(0, -40),
    ]);
    await h.runWorker();
    expect(await h.deadLetters()).toHaveLength(5);
    const list = await runCli(
      [
        '--endpoint-url',
        h.cloud.url,
        '--output',
        'json',
        'dlq',
        'list',
        '--queue-url',
        h.pipeline.deadLetterQueueUrl,
      ],
      { env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' } },
    );
    expect(list.status, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { body: string }[];
    expect(listed).toHaveLength(5);
    expect(list.stdout).not.toMatch(/123456|654321/);
    expect(listed.every((m) => m.body.includes('******'))).toBe(true);
  });
});

describe('Config user ids', () => {
  it('21 events about unknown ids in a 4,000-user account cost one listing per batch, not one per event', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(
      ACCOUNT,
      Array.from({ length: 4_000 }, (_, i) => ({ userName: `user-${i}`, consolePassword: true, mfa: true })),
    );
    const ids = Array.from({ length: 21 }, (_, i) => `AIDAUNKNOWN${String(i).padStart(10, '0')}`);
    await h.send(ids.map((resourceId) => makeConfigEvent({ accountId: ACCOUNT, resourceId })));
    const run = await h.runWorker();
    const outcomes = await h.outcomes();
    expect(outcomes.map((o) => o.outcome)).toEqual(ids.map(() => 'user-not-found'));
    // One listing is four pages of 1,000; a batch holds at most ten messages.
    const listings = h.cloud.stats().requests['iam:ListUsers'] ?? 0;
    expect(listings).toBeLessThanOrEqual(run.stats.batches * 4);
  });

  it('a user deleted and re-created under the same name does not inherit the old user’s id', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    const [old] = h.cloud.seed({
      accountId: ACCOUNT,
      users: [{ userName: 'ivan', consolePassword: true }],
    }).users;
    // One long-lived worker (its id cache survives between batches), as a Lambda container or poller is.
    const { log } = captureLogger();
    const runtime = createRuntime({
      env: { ...h.pipeline.env, ALLOWED_ACCOUNTS: ACCOUNT },
      log,
      clientOptions: h.clientOptions,
    });
    const deps = runtime.depsFor(h.pipeline.queueUrl);
    const event = JSON.stringify(makeConfigEvent({ accountId: ACCOUNT, resourceId: old?.userId }));
    const first = await processBatch([{ messageId: 'm1', body: event, receiveCount: 1 }], deps, { log });
    expect(first.results[0]?.outcomes[0]?.outcome).toBe('enrollment-required');
    // ivan is deleted and a new ivan created (a new IAM user id); then the old id's event comes again.
    const iam = new IAMClient(h.clientOptions);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'ivan', PolicyArn: guardPolicyArn(ACCOUNT) }));
    await iam.send(
      new UntagUserCommand({ UserName: 'ivan', TagKeys: [TAGS.state, TAGS.since, TAGS.deadline] }),
    );
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'ivan' }));
    await iam.send(new DeleteUserCommand({ UserName: 'ivan' }));
    iam.destroy();
    const [recreated] = h.cloud.seed({
      accountId: ACCOUNT,
      users: [{ userName: 'ivan', consolePassword: true }],
    }).users;
    expect(recreated?.userId).not.toBe(old?.userId);
    const second = await processBatch([{ messageId: 'm2', body: event, receiveCount: 1 }], deps, { log });
    expect(second.results[0]?.outcomes[0]?.outcome).toBe('user-not-found');
    expect(h.cloud.iam.getUser(ACCOUNT, 'ivan')?.tags[TAGS.state]).toBeUndefined();
    expect(h.cloud.iam.getUser(ACCOUNT, 'ivan')?.attachedPolicyArns).toEqual([]);
  });
});

describe('missing guard policy', () => {
  it('fails naming the policy: the user is tagged, not contained, and the body parked', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'judy', consolePassword: true }]);
    const iam = new IAMClient(h.clientOptions);
    await iam.send(new DeletePolicyCommand({ PolicyArn: guardPolicyArn(ACCOUNT) }));
    iam.destroy();
    await h.send([makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'judy', source: 'manual' })]);
    await h.runWorker();
    const [outcome] = await h.outcomes();
    expect(outcome).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining(
        `guard policy ${guardPolicyArn(ACCOUNT)} does not exist in account ${ACCOUNT}`,
      ),
      error: { code: 'NoSuchEntity', retryable: false },
    });
    const judy = h.cloud.iam.getUser(ACCOUNT, 'judy');
    expect(judy?.tags[TAGS.state]).toBe('enrollment-required');
    expect(judy?.attachedPolicyArns).toEqual([]);
    const [parked] = await h.deadLetters();
    expect(attribute(parked ?? {}, 'outcome')).toBe('failed');
    expect(attribute(parked ?? {}, 'rejection-reason')).toContain('MfaRemediationGuard');
  });
});

describe('SDK timeouts', () => {
  it('a call to an endpoint that accepts and never answers fails within the request timeout', async () => {
    // Prepare: a TCP server that accepts connections and says nothing.
    hung = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => hung?.listen(0, '127.0.0.1', () => resolve()));
    const address = hung.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const iam = new IAMClient(
      createClientOptions({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
        requestTimeoutMs: 300,
      }),
    );
    // Act
    const started = Date.now();
    const error = await iam.send(new ListUsersCommand({})).catch((e: Error) => e);
    iam.destroy();
    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('every production client gets a connection and a request timeout that throw', () => {
    expect(createClientOptions({}).requestHandler).toEqual({
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    });
  });
});
