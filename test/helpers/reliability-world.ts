/**
 * The world of a reliability run: the local cloud on a clock the test moves forward, a wire tap in
 * front of it (the worker's endpoint), the product's queues and topic, and what is read back at the end —
 * queue depths, the dead-letter queue, every published outcome — plus {@link assessRun}, which applies every
 * check of `reliability-checks.ts` and the secrets scan to a finished run.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import type { ClientOptions } from '../../src/aws/clients.ts';
import type { BatchResult } from '../../src/core/batch.ts';
import type { Outcome } from '../../src/core/model.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation } from '../../src/local/member-role.ts';
import {
  drainQueue,
  type LocalPipeline,
  type PipelineOptions,
  provisionPipeline,
} from '../../src/local/pipeline.ts';
import type { Logger } from '../../src/logger.ts';
import { createRuntime } from '../../src/runtime.ts';
import { createPoller, type Poller } from '../../src/worker/poller.ts';
import {
  expectDeadLetterQueue,
  expectEndState,
  expectOutcomes,
  expectSideEffectsOnce,
  type ParkedMessage,
} from './reliability-checks.ts';
import {
  ACCOUNTS,
  buildMessages,
  MAIN_ACCOUNT,
  MEMBER_ACCOUNT,
  type PlannedMessage,
  type PlannedUser,
  type PopulationOptions,
  planPopulation,
  seedPopulation,
  sendMessages,
} from './reliability-population.ts';
import { findLeaks, type SecretSet, secretsFromCloud, secretsFromWire } from './secrets-scan.ts';
import { startWireTap, type WireExchange, type WireTap } from './wire-tap.ts';

/** `RELIABILITY_SCALE=full` (npm run test:reliability) runs every test at full size. */
export const FULL = process.env.RELIABILITY_SCALE === 'full';
/** Further than any tier-2 backoff (900 s + 20 % jitter), any visibility timeout and the custodial lease. */
export const CLOCK_STEP_MS = 20 * 60_000;

/** A clock the local cloud and the worker share: real time plus an offset the test moves forward. */
export interface TestClock {
  offsetMs: number;
  now(): number;
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  const clock: TestClock = {
    offsetMs: 0,
    now: () => Date.now() + clock.offsetMs,
    advance(ms) {
      clock.offsetMs += ms;
    },
  };
  return clock;
}

export interface World {
  readonly clock: TestClock;
  readonly cloud: LocalCloud;
  /** The worker's endpoint: every exchange with the services asked for is recorded. */
  readonly tap: WireTap;
  readonly pipeline: LocalPipeline;
  /** Client options straight to the cloud, for setup and reading back (not recorded, no faults on SQS). */
  readonly direct: ClientOptions;
  /**
   * The worker's identity, as deployed: a session of the central worker role (straight to the cloud), and the
   * environment naming the member role (created from deploy/member-account-role.yml) and its external id.
   */
  readonly worker: { readonly options: ClientOptions; readonly env: Readonly<Record<string, string>> };
  readonly sqs: SQSClient;
  close(): Promise<void>;
}

/** Starts the cloud (on a movable clock), the tap in front of it, and provisions the queues and topic. */
export async function startWorld(options: {
  seed: number;
  services: readonly string[];
  latencyMs?: number;
  onExchange?: (exchange: WireExchange) => void;
  /** The queues' settings (e.g. a smaller MAX_RECEIVE_COUNT). */
  pipeline?: PipelineOptions;
}): Promise<World> {
  const clock = createTestClock();
  const cloud = await startLocalCloud({
    port: 0,
    randomSeed: options.seed,
    now: clock.now,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  const tap = await startWireTap(cloud.url, {
    services: options.services,
    ...(options.onExchange ? { onExchange: options.onExchange } : {}),
  });
  const direct: ClientOptions = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'setup', secretAccessKey: 'setup' },
    maxAttempts: 3,
  };
  const pipeline = await provisionPipeline(direct, options.pipeline);
  cloud.seed({ accountId: MEMBER_ACCOUNT });
  const organisation = await deployLocalOrganisation(direct, {
    managementAccountId: MAIN_ACCOUNT,
    memberAccountIds: [MEMBER_ACCOUNT],
    externalId: DEMO_EXTERNAL_ID,
  });
  const sqs = new SQSClient(direct);
  return {
    clock,
    cloud,
    tap,
    pipeline,
    direct,
    worker: { options: organisation.workerOptions, env: organisation.env },
    sqs,
    async close() {
      sqs.destroy();
      await tap.close();
      await cloud.close();
    },
  };
}

/**
 * The run's population, in the cloud and on the queue: the users planned and seeded first (Config events name
 * users by the id seeding gives them), then the messages reporting them built and sent.
 */
export async function populate(
  world: World,
  options: PopulationOptions,
): Promise<{ users: PlannedUser[]; messages: PlannedMessage[] }> {
  const users = planPopulation(options);
  await seedPopulation(world.cloud, world.direct, users, world.clock.now());
  const messages = buildMessages(users, options.seed);
  await sendMessages(world.sqs, world.pipeline.queueUrl, messages);
  return { users, messages };
}

/** Messages still on a queue: visible, in flight or backed off, and delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Reads (and deletes) everything on the dead-letter queue. */
export async function drainDeadLetterQueue(sqs: SQSClient, queueUrl: string): Promise<ParkedMessage[]> {
  const parked: ParkedMessage[] = [];
  for (;;) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['DeadLetterQueueSourceArn'],
      }),
    );
    if (messages.length === 0) return parked;
    for (const m of messages) {
      parked.push({
        body: m.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
        ),
        redriven: m.Attributes?.DeadLetterQueueSourceArn !== undefined,
      });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** Every outcome published (read from the topic's tap queue), with its raw JSON text for the secrets scan. */
export async function readOutcomes(
  sqs: SQSClient,
  pipeline: LocalPipeline,
): Promise<{ outcomes: Outcome[]; texts: string[] }> {
  const texts = await drainQueue(sqs, pipeline.outcomesQueueUrl);
  const outcomes = texts
    .map((text) => JSON.parse(text) as Outcome)
    .filter((o) => o.schema === 'mfa-remediation/outcome@1');
  return { outcomes, texts };
}

/**
 * The worker in this process, as the container deployment runs it: the production runtime (real SDK clients
 * through the tap), the poller until the queue has nothing visible, and the workflow on the world's clock.
 */
export function createInProcessWorker(
  world: World,
  options: { log: Logger; onBatch?: (result: BatchResult) => void },
): Poller {
  const { pipeline } = world;
  const runtime = createRuntime({
    env: { ...pipeline.env, ...world.worker.env, ALLOWED_ACCOUNTS: ACCOUNTS.join(',') },
    log: options.log,
    clientOptions: { ...world.worker.options, endpoint: world.tap.url },
    now: () => new Date(world.clock.now()),
    totpNow: () => world.clock.now(),
  });
  return createPoller({
    sqs: runtime.sqs,
    queueUrl: pipeline.queueUrl,
    deps: runtime.depsFor(pipeline.queueUrl),
    log: options.log,
    untilEmpty: true,
    waitTimeSeconds: 0,
    concurrency: 8,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
}

export interface Assessment {
  readonly outcomes: number;
  /** Outcomes published more than once (at-least-once delivery). */
  readonly duplicates: number;
  /** Copies on the dead-letter queue. */
  readonly parked: number;
  /** Successful IAM writes by operation. */
  readonly writes: Record<string, number>;
  readonly secrets: SecretSet;
}

/**
 * Every check, on a drained run: the dead-letter queue (nothing dead-lettered by SQS: no message exhausted its
 * retries), the outcomes, each user's end state, side effects once, and no secret in `texts` (log lines, a
 * child's output) or in any published outcome.
 */
export async function assessRun(
  world: World,
  run: {
    users: readonly PlannedUser[];
    messages: readonly PlannedMessage[];
    texts: readonly { label: string; text: string }[];
    crashes?: boolean;
  },
): Promise<Assessment> {
  const parked = await drainDeadLetterQueue(world.sqs, world.pipeline.deadLetterQueueUrl);
  const redriven = expectDeadLetterQueue(run.messages, parked, { crashes: run.crashes ?? false });
  expect([...redriven], 'messages dead-lettered after MAX_RECEIVE_COUNT receives').toEqual([]);
  const { outcomes, texts } = await readOutcomes(world.sqs, world.pipeline);
  const { duplicates } = expectOutcomes(run.messages, outcomes, redriven);
  expectEndState(world.cloud, run.users);
  const writes = expectSideEffectsOnce(run.users, world.tap.exchanges);
  const secrets = secretsFromWire(world.tap.exchanges);
  secrets.addAll(secretsFromCloud(world.cloud, ACCOUNTS));
  const leaks = findLeaks(
    [...run.texts, ...texts.map((text, i) => ({ label: `outcome ${i + 1}`, text }))],
    secrets,
  );
  expect(leaks).toEqual([]);
  return { outcomes: outcomes.length, duplicates, parked: parked.length, writes, secrets };
}

/** Tier-1 retries logged by the worker (`iam_conflict_retry`). */
export function countConflictRetries(lines: readonly string[]): number {
  return lines.reduce((n, line) => n + (line.split('"iam_conflict_retry"').length - 1), 0);
}

/** A one-line account of a run, printed by the tests and kept in failure messages. */
export function describeRun(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

/** The worker role session's credentials as the environment variables the SDK reads (for worker processes). */
export function workerCredentialsEnv(w: World): Record<string, string> {
  const c = w.worker.options.credentials as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_SESSION_TOKEN: c.sessionToken ?? '',
  };
}
