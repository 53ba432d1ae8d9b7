/**
 * The outcome topic and the finding updates of many records, shared: the ports below wrap the real ones (any
 * Security Hub generation behind {@link FindingsPort}, any topic behind {@link OutcomePublisher}) and hand
 * what records send close together to them as one list, which the adapters then split into as few calls as
 * AWS allows (PublishBatch: 10 entries, 256 KiB; BatchUpdateFindings and BatchUpdateFindingsV2: 100
 * findings with one status and one note). Every record still gets the answer for its own outcomes and
 * findings only, so a failed entry fails its own record and no other.
 */
import type { FindingRef, Outcome } from '../model.ts';
import {
  type FindingChange,
  type FindingFacts,
  type FindingsPort,
  type FindingUpdateResult,
  findingKey,
  type OutcomePublisher,
} from '../ports.ts';
import { type Coalescer, createCoalescer } from './coalescer.ts';

/**
 * How long an outcome or a finding update waits for others to share its call, at most (docs/reference.md:
 * Throughput). A full call goes at once, and so does everything pending when no record is still working;
 * this bound only matters between the two, and it is spent outside the records' slots: a record waits for
 * company at most twice this long (its finding updates, then its outcomes) before it is acknowledged.
 */
export const SHARED_CALL_LINGER_MS = 500;
/** Entries of one PublishBatch call. */
export const OUTCOMES_PER_CALL = 10;
/** Finding identifiers of one BatchUpdateFindings (or BatchUpdateFindingsV2) call. */
export const FINDINGS_PER_CALL = 100;
/** Findings one GetFindings call can name (20 values per filter attribute). */
export const DESCRIBED_PER_CALL = 20;
/**
 * How long a read of finding facts waits for another: two receives made together land within a call's
 * latency of each other, and their records wait for the read before they start (behind the look-ahead).
 */
export const DESCRIBE_LINGER_MS = 25;

export interface SharedCallOptions {
  /** Default {@link SHARED_CALL_LINGER_MS}. */
  readonly lingerMs?: number;
  /** True when no record is working: pending calls are sent at once instead of lingering. */
  readonly idle?: () => boolean;
}

/** A port whose pending calls can be sent now, and awaited. */
export interface Shared {
  flush(): void;
  settled(): Promise<void>;
}

/** Outcomes of records that finish close together, published in shared PublishBatch calls. */
export function createSharedPublisher(
  inner: OutcomePublisher,
  options: SharedCallOptions = {},
): OutcomePublisher & Shared {
  const coalescer: Coalescer<Outcome, boolean> = createCoalescer({
    maxItems: OUTCOMES_PER_CALL,
    lingerMs: options.lingerMs ?? SHARED_CALL_LINGER_MS,
    ...(options.idle ? { idle: options.idle } : {}),
    async send(outcomes) {
      const { failed } = await inner.publish(outcomes);
      const rejected = new Set(failed);
      return outcomes.map((outcome) => !rejected.has(outcome));
    },
  });
  return {
    async publish(outcomes) {
      const accepted = await coalescer.add(outcomes);
      return { failed: outcomes.filter((_, index) => !accepted[index]) };
    },
    ...(inner.publishSweepSummary ? { publishSweepSummary: inner.publishSweepSummary.bind(inner) } : {}),
    flush: () => coalescer.flush(),
    settled: () => coalescer.settled(),
  };
}

/**
 * Finding updates of records that finish close together, sent in shared calls: changes with the same status
 * and note (and Region and generation, which decide the endpoint and the API) share one. Changes to the same
 * finding are sent in the order they were made. Reads (`describe`, once per batch of records received
 * together: `claims/lookups.ts`) of receives that land close together share a call too.
 */
export function createSharedFindings(
  inner: FindingsPort,
  options: SharedCallOptions = {},
): FindingsPort & Shared {
  const coalescer: Coalescer<FindingChange, FindingUpdateResult> = createCoalescer({
    maxItems: FINDINGS_PER_CALL,
    lingerMs: options.lingerMs ?? SHARED_CALL_LINGER_MS,
    ...(options.idle ? { idle: options.idle } : {}),
    groupOf: (change) =>
      JSON.stringify([change.ref.generation, change.ref.region ?? '', change.status, change.note]),
    keyOf: (change) => findingKey(change.ref),
    async send(changes) {
      const results = await inner.update(changes);
      return changes.map(
        (change) => results.get(findingKey(change.ref)) ?? { failed: 'no answer for the finding' },
      );
    },
  });
  const reads: Coalescer<FindingRef, FindingFacts | undefined> = createCoalescer({
    maxItems: DESCRIBED_PER_CALL,
    lingerMs: Math.min(DESCRIBE_LINGER_MS, options.lingerMs ?? DESCRIBE_LINGER_MS),
    ...(options.idle ? { idle: options.idle } : {}),
    async send(refs) {
      const found = await inner.describe(refs);
      return refs.map((ref) => found.get(findingKey(ref)));
    },
  });
  return {
    async describe(refs) {
      const answers = await reads.add(refs);
      const found = new Map<string, FindingFacts>();
      refs.forEach((ref, index) => {
        const facts = answers[index];
        if (facts) found.set(findingKey(ref), facts);
      });
      return found;
    },
    async update(changes) {
      const answers = await coalescer.add(changes);
      return new Map(
        changes.map((change, index) => [findingKey(change.ref), answers[index] as FindingUpdateResult]),
      );
    },
    flush: () => {
      reads.flush();
      coalescer.flush();
    },
    settled: async () => {
      await Promise.all([reads.settled(), coalescer.settled()]);
    },
  };
}
