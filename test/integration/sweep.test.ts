/**
 * Audit sweeps end to end against the local cloud: real SDK clients over the wire protocols, the
 * emulator's credential report life cycle (STARTED → COMPLETE, cached), its request statistics from
 * `/_local/stats`, fault injection, and STS AssumeRole into seeded member accounts.
 */
import { AttachUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { createCredentialReportAdapter } from '../../src/aws/credential-report.ts';
import { createTaskQueue } from '../../src/aws/task-queue.ts';
import { guardPolicyArn, SweepSummary, type TaskMessage } from '../../src/core/model.ts';
import { runAccountSweep, type SweepDeps } from '../../src/core/sweep.ts';
import type { SeedRequest } from '../../src/local/cloud/seed.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation } from '../../src/local/member-role.ts';
import { createRuntime } from '../../src/runtime.ts';
import { createSchedulerRuntime } from '../../src/scheduler-runtime.ts';
import { createSweepScheduler } from '../../src/sweep-scheduler.ts';
import { captureLogger, testConfig } from '../helpers/deps.ts';

const DEFAULT_ACCOUNT = '123456789012';

type SeedUser = NonNullable<SeedRequest['users']>[number];

let cloud: LocalCloud;

beforeAll(async () => {
  // 10,000 users in one account: above AWS's 5,000 quota, to show the call count does not grow with users.
  cloud = await startLocalCloud({ port: 0, randomSeed: 7, usersPerAccount: 20_000 });
});
afterAll(async () => {
  await cloud?.close();
});
beforeEach(async () => {
  await admin('POST', '/_local/reset');
});

async function admin<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${cloud.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text.startsWith('{') ? JSON.parse(text) : text) as T;
}

const seed = (accountId: string, users: SeedUser[], rootMfa = true) =>
  admin('POST', '/_local/seed', { accountId, users, rootMfa });

async function requests(prefix: string): Promise<Record<string, number>> {
  const stats = await admin<{ requests: Record<string, number> }>('GET', '/_local/stats');
  return Object.fromEntries(Object.entries(stats.requests).filter(([key]) => key.startsWith(prefix)));
}

const clientOptions = (maxAttempts = 3): ClientOptions => ({
  region: 'us-east-1',
  endpoint: cloud.url,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts,
});

async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error('no queue URL');
  return QueueUrl;
}

/** Receives every message on a queue (deleting nothing: the test only reads). */
async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}

const bodies = (messages: Message[]) => messages.map((m) => JSON.parse(m.Body ?? '{}') as TaskMessage);
const userOf = (task: TaskMessage) => ('userName' in task ? task.userName : '');

/** Sweep dependencies with the real adapters; quick report polls (the emulator completes on the next poll). */
function sweepDeps(
  queueUrl: string,
  options: { sqsMaxAttempts?: number; maxAttempts?: number } = {},
): SweepDeps {
  const sqs = new SQSClient(clientOptions(options.sqsMaxAttempts));
  return {
    reports: createCredentialReportAdapter(new IAMClient(clientOptions())),
    tasks: createTaskQueue(sqs, {
      queueUrl,
      concurrency: 8,
      baseDelayMs: 5,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    }),
    now: () => new Date(),
    log: captureLogger().log,
    config: testConfig(),
    polling: { initialDelayMs: 10 },
  };
}

describe('per-account sweep', () => {
  /** Users with every combination of password and MFA; about a quarter lack MFA with a password. */
  const population = (n: number): SeedUser[] =>
    Array.from({ length: n }, (_, i) => ({
      userName: `user-${String(i).padStart(5, '0')}`,
      consolePassword: i % 2 === 0,
      mfa: i % 4 === 0,
      accessKeys: i % 3,
    }));

  async function sweepPopulation(n: number) {
    await admin('POST', '/_local/reset');
    const users = population(n);
    await seed(DEFAULT_ACCOUNT, users);
    const sqs = new SQSClient(clientOptions());
    const queueUrl = await createQueue(sqs, 'remediation');
    const result = await runAccountSweep(
      { accountId: DEFAULT_ACCOUNT, sweepId: 'sweep-size' },
      sweepDeps(queueUrl),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return {
      result,
      expected: users.filter((u) => u.consolePassword && !u.mfa).length,
      iam: await requests('iam:'),
      queued: Number(Attributes?.ApproximateNumberOfMessages),
      batches: (await requests('sqs:SendMessageBatch'))['sqs:SendMessageBatch'] ?? 0,
    };
  }

  it('sweeps 10,000 users with the same, constant number of IAM calls as 100', async () => {
    // Act
    const small = await sweepPopulation(100);
    const large = await sweepPopulation(10_000);

    // Assess
    expect(large.iam).toEqual(small.iam);
    const total = Object.values(large.iam).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(5);
    expect(Object.keys(large.iam).sort()).toEqual([
      'iam:GenerateCredentialReport',
      'iam:GetCredentialReport',
      'iam:ListEntitiesForPolicy',
    ]);
    expect(large.result.summary).toMatchObject({
      usersScanned: 10_000,
      nonCompliant: large.expected,
      enqueued: large.expected,
    });
    expect(large.queued).toBe(large.expected);
    expect(large.batches).toBe(Math.ceil(large.expected / 10));
  });

  it('applies the scope rules, reports the root row, and sends verify to contained users that enrolled', async () => {
    // Prepare
    await seed(
      DEFAULT_ACCOUNT,
      [
        { userName: 'alice', consolePassword: true, mfa: false },
        { userName: 'bob', consolePassword: true, mfa: true },
        { userName: 'ci-bot', consolePassword: false, mfa: false, accessKeys: 1 },
        { userName: 'carol', consolePassword: true, mfa: true },
        { userName: 'dave', consolePassword: true, mfa: false },
      ],
      false,
    );
    const iam = new IAMClient(clientOptions());
    for (const userName of ['carol', 'dave']) {
      await iam.send(
        new AttachUserPolicyCommand({ UserName: userName, PolicyArn: guardPolicyArn(DEFAULT_ACCOUNT) }),
      );
    }
    const sqs = new SQSClient(clientOptions());
    const consoleQueue = await createQueue(sqs, 'console-users');
    const allQueue = await createQueue(sqs, 'all-users');

    // Act
    const consoleSweep = await runAccountSweep(
      { accountId: DEFAULT_ACCOUNT, sweepId: 'sweep-console', scope: 'console-users' },
      sweepDeps(consoleQueue),
    );
    const allSweep = await runAccountSweep(
      { accountId: DEFAULT_ACCOUNT, sweepId: 'sweep-all', scope: 'all-users' },
      sweepDeps(allQueue),
    );

    // Assess: what actually reached the queues
    const consoleTasks = bodies(await drain(sqs, consoleQueue));
    expect(consoleTasks.map((t) => [t.type, userOf(t)]).sort()).toEqual([
      ['mfa-missing', 'alice'],
      ['mfa-missing', 'dave'],
      ['verify', 'carol'],
    ]);
    expect(consoleTasks.find((t) => userOf(t) === 'alice')).toMatchObject({
      accountId: DEFAULT_ACCOUNT,
      source: 'sweep',
      sweepId: 'sweep-console',
    });
    const allTasks = bodies(await drain(sqs, allQueue));
    expect(allTasks.map((t) => [t.type, userOf(t)]).sort()).toEqual([
      ['mfa-missing', 'alice'],
      ['mfa-missing', 'ci-bot'],
      ['mfa-missing', 'dave'],
      ['verify', 'carol'],
    ]);
    // The root row: an outcome for a person, never a task.
    for (const sweep of [consoleSweep, allSweep]) {
      expect(sweep.summary.rootWithoutMfa).toBe(true);
      expect(sweep.summary.usersScanned).toBe(5);
      expect(sweep.outcomes).toEqual([
        expect.objectContaining({ outcome: 'manual-action-required', accountId: DEFAULT_ACCOUNT }),
      ]);
    }
    expect([...consoleTasks, ...allTasks].some((t) => userOf(t) === '<root_account>')).toBe(false);
  });

  it('retries SendMessageBatch calls that fail, until every task is on the queue', async () => {
    // Prepare: half the batch calls fail (a seeded PRNG makes the draws reproducible); the SDK's own retries
    // are off so that the adapter's bounded retry is what recovers.
    const users = Array.from({ length: 45 }, (_, i) => ({ userName: `u${i}`, consolePassword: true }));
    await seed(DEFAULT_ACCOUNT, users);
    const sqs = new SQSClient(clientOptions());
    const queueUrl = await createQueue(sqs, 'flaky');
    await admin('POST', '/_local/faults', 'sqs:SendMessageBatch=InternalError:0.5');

    // Act
    const result = await runAccountSweep(
      { accountId: DEFAULT_ACCOUNT, sweepId: 'sweep-flaky' },
      sweepDeps(queueUrl, { sqsMaxAttempts: 1, maxAttempts: 12 }),
    );

    // Assess
    await admin('POST', '/_local/faults', '');
    const stats = await admin<{ requests: Record<string, number>; faults: Record<string, number> }>(
      'GET',
      '/_local/stats',
    );
    expect(stats.faults['sqs:SendMessageBatch']).toBeGreaterThan(0);
    expect(stats.requests['sqs:SendMessageBatch']).toBe(5 + (stats.faults['sqs:SendMessageBatch'] ?? 0));
    expect(result.summary.enqueued).toBe(45);
    const queued = bodies(await drain(sqs, queueUrl));
    expect(new Set(queued.map(userOf)).size).toBe(45);
    expect(queued).toHaveLength(45);
  });
});

describe('fan-out over an organisation', () => {
  it('enqueues one sweep-account task per account; the worker sweeps each through AssumeRole', async () => {
    // Prepare: three member accounts with different users
    const members = {
      '210000000001': [
        { userName: 'a1', consolePassword: true },
        { userName: 'a2', consolePassword: true, mfa: true },
      ],
      '210000000002': [
        { userName: 'b1', consolePassword: true },
        { userName: 'b2', consolePassword: true },
        { userName: 'b3', consolePassword: false },
      ],
      '210000000003': [{ userName: 'c1', consolePassword: true, mfa: true }],
    } satisfies Record<string, SeedUser[]>;
    for (const [accountId, users] of Object.entries(members))
      await seed(accountId, users, accountId !== '210000000003');
    const sqs = new SQSClient(clientOptions());
    const sns = new SNSClient(clientOptions());
    const queueUrl = await createQueue(sqs, 'remediation');
    const summariesUrl = await createQueue(sqs, 'summaries');
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'outcomes' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: summariesUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: {
          RawMessageDelivery: 'true',
          FilterPolicy: JSON.stringify({ schema: ['mfa-remediation/sweep@1'] }),
        },
      }),
    );
    // The member roles from deploy/member-account-role.yml; the worker a session of the central worker role.
    const organisation = await deployLocalOrganisation(clientOptions(), {
      managementAccountId: DEFAULT_ACCOUNT,
      memberAccountIds: Object.keys(members),
      externalId: DEMO_EXTERNAL_ID,
    });
    const assumedBefore = (await requests('sts:'))['sts:AssumeRole'] ?? 0;
    const env = {
      ...organisation.env,
      OUTCOME_TOPIC_ARN: TopicArn,
      REMEDIATION_QUEUE_URL: queueUrl,
      ALLOWED_ACCOUNTS: Object.keys(members).join(','),
      SWEEP_ACCOUNTS: 'organization',
    };
    const runtime = createRuntime({
      env,
      log: captureLogger().log,
      clientOptions: organisation.workerOptions,
    });

    // Act 1: the scheduled fan-out
    const scheduled = await createSweepScheduler(runtime, { env }).run({ time: '2026-11-23T10:00:00Z' });

    // Assess 1: the management account is in the organisation but not allowed
    expect(scheduled).toMatchObject({ accounts: 3, enqueued: 3, skipped: [{ accountId: DEFAULT_ACCOUNT }] });
    const sweepMessages = await drain(sqs, queueUrl);
    expect(
      bodies(sweepMessages)
        .map((t) => [t.type, t.accountId])
        .sort(),
    ).toEqual(Object.keys(members).map((id) => ['sweep-account', id]));
    // Act 2: the worker handles the sweep-account tasks
    const batch = await runtime.handleSqsEvent({
      Records: sweepMessages.map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
      })),
    });
    // Assess 2: each account swept in its own account, through the member role
    expect(batch.batchItemFailures).toEqual([]);
    const outcomes = batch.results.flatMap((r) => r.outcomes);
    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'manual-action-required', accountId: '210000000003' }),
    ]);
    expect((await requests('sts:'))['sts:AssumeRole']).toBe(assumedBefore + 3);
    const tasks = bodies(await drain(sqs, queueUrl));
    expect(tasks.map((t) => [t.accountId, userOf(t)]).sort()).toEqual([
      ['210000000001', 'a1'],
      ['210000000002', 'b1'],
      ['210000000002', 'b2'],
    ]);
    const summaries = (await drain(sqs, summariesUrl)).map((m) => ({
      summary: SweepSummary.parse(JSON.parse(m.Body ?? '{}')),
      schema: m.MessageAttributes?.schema?.StringValue,
    }));
    expect(summaries.map((s) => s.schema)).toEqual(Array(3).fill('mfa-remediation/sweep@1'));
    expect(
      summaries
        .map(({ summary: s }) => [s.accountId, s.usersScanned, s.nonCompliant, s.enqueued, s.rootWithoutMfa])
        .sort(),
    ).toEqual([
      ['210000000001', 2, 1, 1, false],
      ['210000000002', 3, 2, 2, false],
      ['210000000003', 1, 0, 0, true],
    ]);
    expect(new Set(summaries.map((s) => s.summary.sweepId))).toEqual(new Set([scheduled.sweepId]));
  });
});

describe('the sweep function’s own runtime', () => {
  it('plans and enqueues the scheduled sweep with only STS and SQS, as the deployed handler does', async () => {
    // Prepare: the environment the stack gives the sweep function, this account only (SWEEP_ACCOUNTS unset).
    const sqs = new SQSClient(clientOptions());
    const queueUrl = await createQueue(sqs, 'scheduler-runtime');
    const before = await requests('');
    const env = {
      OUTCOME_TOPIC_ARN: `arn:aws:sns:us-east-1:${DEFAULT_ACCOUNT}:mfa-remediation-outcomes`,
      REMEDIATION_QUEUE_URL: queueUrl,
      LOG_LEVEL: 'silent',
    };
    // Act
    const runtime = createSchedulerRuntime({ env, clientOptions: clientOptions() });
    const scheduled = await createSweepScheduler(runtime, { env }).run({
      time: '2026-11-23T10:00:00Z',
    });
    // Assess: one task for the caller's own account, and no other service was called.
    expect(scheduled).toMatchObject({ accounts: 1, enqueued: 1, skipped: [] });
    expect(bodies(await drain(sqs, queueUrl))).toEqual([
      expect.objectContaining({ type: 'sweep-account', accountId: DEFAULT_ACCOUNT }),
    ]);
    const after = await requests('');
    const called = Object.keys(after).filter(
      (op) => after[op] !== before[op] && !op.startsWith('sqs:Receive'),
    );
    expect(called.sort()).toEqual(['sqs:SendMessageBatch', 'sts:GetCallerIdentity']);
  });

  it('stops with one line naming REMEDIATION_QUEUE_URL when the fan-out has nowhere to put its tasks', () => {
    const env = { AWS_REGION: 'us-east-1', OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t' };
    expect(() => createSweepScheduler(createSchedulerRuntime({ env }), { env })).toThrow(
      'REMEDIATION_QUEUE_URL: is required for scheduled sweeps',
    );
  });
});
