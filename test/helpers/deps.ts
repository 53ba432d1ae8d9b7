/**
 * Factories for workflow and processor dependencies in unit tests: in-memory IAM per account, a recording
 * Security Hub, publisher and queue, a fixed clock and a silent (or capturing) logger.
 */
import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../../src/config.ts';
import type { ItemContext } from '../../src/core/context.ts';
import type { FindingRef, Outcome } from '../../src/core/model.ts';
import {
  type FindingFacts,
  type FindingsPort,
  type FindingUpdateResult,
  findingKey,
  type OutcomePublisher,
  type QueuePort,
} from '../../src/core/ports.ts';
import type { ProcessorDeps } from '../../src/core/processor.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createFakeIam, type FakeIam } from './fake-iam.ts';

export const ACCOUNT = '111111111111';
export const NOW = new Date('2026-11-23T10:00:00.000Z');

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      OUTCOME_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:outcomes`,
      DEAD_LETTER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/dlq`,
    }),
    ...overrides,
  };
}

export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

export interface TestDeps extends ProcessorDeps {
  readonly iamFor: Map<string, FakeIam>;
  readonly iam: FakeIam;
  readonly findingUpdates: { finding: FindingRef; status: string; note: string }[];
  /** What the fake Security Hub knows, by `findingKey`: register findings with {@link addFinding}. */
  readonly hub: Map<string, FindingFacts>;
  readonly findingCalls: { describe: number; update: number };
  readonly requeued: { body: string; attributes: Readonly<Record<string, string>> }[];
  readonly published: Outcome[];
  readonly parked: { body: string; reason: string; attributes?: Readonly<Record<string, string>> }[];
  readonly visibility: { receiptHandle: string; seconds: number }[];
  readonly lines: string[];
  clock: { now: Date };
  publishFailures: number;
}

export function createTestDeps(options: { config?: Partial<Config>; accounts?: string[] } = {}): TestDeps {
  const iamFor = new Map<string, FakeIam>();
  for (const account of [ACCOUNT, ...(options.accounts ?? [])]) iamFor.set(account, createFakeIam(account));
  const { log, lines } = captureLogger();
  const findingUpdates: TestDeps['findingUpdates'] = [];
  const published: Outcome[] = [];
  const parked: TestDeps['parked'] = [];
  const visibility: TestDeps['visibility'] = [];
  const requeued: TestDeps['requeued'] = [];
  const clock = { now: NOW };
  const hub = new Map<string, FindingFacts>();
  const findingCalls = { describe: 0, update: 0 };
  const findings: FindingsPort = {
    async describe(refs) {
      findingCalls.describe++;
      const found = new Map<string, FindingFacts>();
      for (const ref of refs) {
        const facts = hub.get(findingKey(ref));
        if (facts) found.set(findingKey(ref), { ...facts });
      }
      return found;
    },
    async update(changes) {
      findingCalls.update++;
      const results = new Map<string, FindingUpdateResult>();
      for (const { ref, status, note } of changes) {
        const facts = hub.get(findingKey(ref));
        if (!facts) {
          results.set(findingKey(ref), 'not-found');
          continue;
        }
        hub.set(findingKey(ref), { ...facts, workflowStatus: status, note: note.slice(0, 512) });
        findingUpdates.push({ finding: ref, status, note });
        results.set(findingKey(ref), 'applied');
      }
      return results;
    },
  };
  const deps: TestDeps = {
    config: testConfig(options.config),
    accounts: {
      selfAccountId: async () => ACCOUNT,
      forAccount: async (accountId) => {
        const iam = iamFor.get(accountId);
        if (!iam) throw Object.assign(new Error('not authorized to assume'), { name: 'AccessDenied' });
        return { accountId, iam };
      },
    },
    findings,
    now: () => clock.now,
    log,
    userIdCache: new Map(),
    publisher: {
      async publish(outcomes) {
        if (deps.publishFailures > 0) {
          deps.publishFailures--;
          return { failed: [...outcomes] };
        }
        published.push(...outcomes);
        return { failed: [] };
      },
    } satisfies OutcomePublisher,
    queue: {
      async changeVisibility(receiptHandle, seconds) {
        visibility.push({ receiptHandle, seconds });
      },
      async requeue(body, attributes) {
        requeued.push({ body, attributes });
      },
      async park(body, reason, attributes) {
        parked.push({ body, reason, ...(attributes ? { attributes } : {}) });
        return 'parked';
      },
    } satisfies QueuePort,
    random: () => 0.5,
    iamFor,
    iam: iamFor.get(ACCOUNT) as FakeIam,
    findingUpdates,
    hub,
    findingCalls,
    requeued,
    published,
    parked,
    visibility,
    lines,
    clock,
    publishFailures: 0,
  };
  return deps;
}

export function itemContext(deps: TestDeps, overrides: Partial<ItemContext> = {}): ItemContext {
  return { attempts: 1, messageId: 'msg-1', log: deps.log, ...overrides };
}

/**
 * Registers in the fake Security Hub the MFA control finding `ref` of `userName` (what Security Hub itself
 * would say), so that the worker's verification of it passes; `overrides` make it say something else.
 */
export function addFinding(
  deps: TestDeps,
  ref: FindingRef,
  userName: string,
  overrides: Partial<FindingFacts> = {},
  accountId = ACCOUNT,
): FindingFacts {
  const facts: FindingFacts = {
    generation: ref.generation,
    id: ref.id,
    productArn: ref.productArn,
    accountId,
    controlId: ref.controlId ?? 'IAM.5',
    resourceIds: [`arn:aws:iam::${accountId}:user/${userName}`],
    recordState: 'ACTIVE',
    workflowStatus: ref.workflowStatus ?? 'NEW',
    ...overrides,
  };
  deps.hub.set(findingKey(ref), facts);
  return facts;
}
