/**
 * The long-running poller (container deployment, `mfa-remediation worker`, the local runner): receive, process
 * through the same code as the Lambda handler (`core/dispatch/`), delete what is done, and let tier-2
 * backoff handle the rest. It never waits for the slowest record of a receive:
 *
 * - up to `concurrency` records do their IAM work at once; as soon as one is done with it, the next starts,
 *   and the poller receives again whenever there is room for ten more records, so that records wait for a
 *   slot rather than for a receive (a look-ahead of received messages that grows with the records finished
 *   in this run, up to at least ten, one receive's worth);
 * - records about the same user run in the order they arrived, across receives too;
 * - outcomes, finding updates and deletes of records that finish close together share calls, sent outside
 *   the records' slots (`core/dispatch/shared-calls.ts`);
 * - every message held is kept invisible while it is worked on, waits its turn or waits for its outcomes
 *   (`leases.ts`), so none reappears mid-work; a record's deadline follows its lease.
 *
 * On SIGTERM (or `stop()`), no new receive is made and an idle long poll is abandoned; every message
 * already received is finished, published and deleted, and a receive that lands after the stop is handed
 * back at once (visibility 0), so nothing is left invisible. The look-ahead bounds that work: at most
 * `concurrency` + the look-ahead records, a few seconds at real latencies.
 *
 * What a caller may rely on, whatever the poller's internals (the CLI's exit status and progress depend on
 * it, and `test/e2e/cli-work.test.ts` checks it through the real binary):
 * - {@link PollerStats}: received, acknowledged, retried; `unfinished` (retried during the run and not
 *   acknowledged since); `outcomes` published, by outcome; `unpublished` (outcomes SNS did not take).
 * - `onProgress(stats)` after every receive's records are done and after every empty receive.
 * - `giveUpAfterMs`: when SQS cannot be reached for that long, `run()` rejects with a {@link DependencyError}
 *   saying so. Without it, receive failures are retried for ever, backing off from 1 s to 20 s.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createQueueConsumer, type QueueEntry, type ReceivedMessage, SQS_BATCH_SIZE } from '../aws/sqs.ts';
import type { BatchResult } from '../core/batch.ts';
import { createCoalescer } from '../core/dispatch/coalescer.ts';
import { createDispatcher, type RecordRun } from '../core/dispatch/dispatcher.ts';
import { SHARED_CALL_LINGER_MS } from '../core/dispatch/shared-calls.ts';
import type { Outcome, OutcomeName } from '../core/model.ts';
import type { OutcomePublisher } from '../core/ports.ts';
import type { ProcessorDeps, RecordResult } from '../core/processor.ts';
import { ConfigError, DependencyError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { DEFAULT_CONCURRENCY } from './defaults.ts';
import { createLeases } from './leases.ts';

export { DEFAULT_CONCURRENCY } from './defaults.ts';

/**
 * The last receive is the one that publishes `failed` (docs/reference.md: Configuration): with a queue that
 * dead-letters after a different count, records would fail early or reach the dead-letter queue unreported.
 */
function checkRedrive(queueCount: number | undefined, configured: number): void {
  if (queueCount === undefined || queueCount === configured) return;
  throw new ConfigError(
    'MAX_RECEIVE_COUNT',
    `is ${configured}, but the queue's redrive policy moves a message to the dead-letter queue after ${queueCount} receives; set them equal`,
  );
}

/** How long a delete waits for company (DeleteMessageBatch, ten a call). */
const DELETE_LINGER_MS = 50;
/** A long poll that cannot wait for messages forever when records are in flight (see `launch`). */
const BUSY_WAIT_SECONDS = 1;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deps: ProcessorDeps;
  readonly log: Logger;
  /** Records doing their IAM work at once. Default {@link DEFAULT_CONCURRENCY}. */
  readonly concurrency?: number;
  /** Stop once a receive made with nothing in flight returns nothing. */
  readonly untilEmpty?: boolean;
  /** Long-poll wait per receive, seconds. Default 20 (1 with `untilEmpty`). */
  readonly waitTimeSeconds?: number;
  /** Called once all records of a receive are done, e.g. for progress. */
  readonly onBatch?: (result: BatchResult) => void;
  /** Called with the running totals after every receive's records are done and every empty receive. */
  readonly onProgress?: (stats: Readonly<PollerStats>) => void;
  /** Give up (reject) when SQS has been unreachable for this long; default: retry for ever. */
  readonly giveUpAfterMs?: number;
  /** How long shared calls wait for company; default {@link SHARED_CALL_LINGER_MS}. */
  readonly lingerMs?: number;
}

export interface PollerStats {
  /** Receives whose records are all done. */
  batches: number;
  /** Messages received and taken into work (a receive that lands after a stop is handed back, not counted). */
  received: number;
  acknowledged: number;
  /** Times a message was left for SQS to redeliver (tier-2 retry). */
  retried: number;
  /** Messages retried during the run and not acknowledged since (still on the queue, unfinished). */
  unfinished: number;
  /** Outcomes published, by outcome. */
  outcomes: Partial<Record<OutcomeName, number>>;
  /** Outcomes SNS did not accept (their records were retried). */
  unpublished: number;
}

export interface Poller {
  /** Resolves when the poller stops (empty queue with `untilEmpty`, or after `stop()`). */
  run(): Promise<PollerStats>;
  /** Graceful stop: finish the records received, receive no more, hand back what lands after it. */
  stop(): void;
}

export function createPoller(options: PollerOptions): Poller {
  const { queueUrl, log } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
  }
  const queue = createQueueConsumer(options.sqs, queueUrl);
  const controller = new AbortController();
  const stats: PollerStats = {
    batches: 0,
    received: 0,
    acknowledged: 0,
    retried: 0,
    unfinished: 0,
    outcomes: {},
    unpublished: 0,
  };
  const pending = new Set<string>();
  const publisher = countingPublisher(options.deps.publisher, stats);
  const deps: ProcessorDeps = { ...options.deps, publisher };
  /** Long polls made while idle, which a stop may abort: nothing was in flight to lose. */
  const idlePolls = new Set<AbortController>();
  let wake: () => void = () => {};
  let unreachableSince: number | undefined;
  let failures = 0;

  /** Waits after a failed SQS call, or throws once SQS has been unreachable for `giveUpAfterMs`. */
  const backOff = async (error: unknown, operation: string) => {
    const now = Date.now();
    unreachableSince ??= now;
    failures++;
    log.error({ err: describeError(error), operation, failures }, 'receive_failed');
    if (options.giveUpAfterMs !== undefined && now - unreachableSince >= options.giveUpAfterMs) {
      const seconds = Math.round((now - unreachableSince) / 1000);
      throw new DependencyError(
        `SQS unreachable for ${seconds} s (${operation} ${queueUrl}: ${(error as Error).message ?? error}); giving up`,
        { service: 'sqs', operation, code: 'Unreachable', retryable: true, cause: error },
      );
    }
    const delay = Math.min(20_000, 1000 * 2 ** Math.min(failures - 1, 5));
    const remaining =
      options.giveUpAfterMs === undefined
        ? delay
        : Math.max(0, options.giveUpAfterMs - (now - unreachableSince));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(delay, remaining));
      controller.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  };

  return {
    stop() {
      controller.abort();
      for (const poll of idlePolls) poll.abort();
      wake();
    },
    async run() {
      let settings: Awaited<ReturnType<typeof queue.settings>> | undefined;
      while (settings === undefined && !controller.signal.aborted) {
        try {
          settings = await queue.settings();
        } catch (error) {
          if (!isUnreachable(error)) throw error;
          await backOff(error, 'GetQueueAttributes');
        }
      }
      if (settings === undefined) return stats;
      checkRedrive(settings.maxReceiveCount, deps.config.maxReceiveCount);
      const timeoutSeconds = settings.visibilityTimeout;
      unreachableSince = undefined;
      failures = 0;
      const wait = options.waitTimeSeconds ?? (options.untilEmpty ? 1 : 20);
      const visibilitySeconds = timeoutSeconds;
      // Work items stop starting this long before a message's lease ends: time to publish and delete.
      const marginMs = Math.min(10_000, visibilitySeconds * 200);
      // Received messages kept ahead of the slots: refills come two receives at a time (one bulk read
      // of their findings), when that much room is free, and what is left must last until they arrive.
      // The look-ahead grows with the records finished in this run: every receive counts towards a
      // message's maxReceiveCount, and a worker that dies young (a crash loop) must not have burnt the
      // receives of many messages it never worked on, or SQS dead-letters them untried.
      const maxLookahead = Math.max(3 * SQS_BATCH_SIZE, 2 * concurrency + SQS_BATCH_SIZE);
      let finished = 0;
      const lookahead = () => Math.min(maxLookahead, finished);
      const lingerMs = options.lingerMs ?? SHARED_CALL_LINGER_MS;
      // Deletes are off every record's path, yet a message finished and not deleted yet is received again
      // after a crash: they wait for company a short while only.
      const deleteLingerMs = Math.min(lingerMs, DELETE_LINGER_MS);
      log.info({ queueUrl, visibilityTimeout: visibilitySeconds, concurrency }, 'worker_started');

      // A freed slot is room for more: refill then, not once its record's shared calls are done.
      const dispatcher = createDispatcher(deps, { concurrency, log, lingerMs, onSlotFree: () => wake() });
      const idle = () => dispatcher.running === 0;
      const leases = createLeases({ queue, visibilitySeconds, log });
      const deletes = createCoalescer<QueueEntry, boolean>({
        send: (entries) => queue.deleteBatch(entries),
        maxItems: SQS_BATCH_SIZE,
        lingerMs: deleteLingerMs,
        idle,
      });
      const visibility = createCoalescer<QueueEntry, boolean>({
        send: (entries) => queue.changeVisibilityBatch(entries),
        maxItems: SQS_BATCH_SIZE,
        lingerMs,
        idle,
      });

      let outstanding = 0;
      let requested = 0;
      /** Records received and not finished (in any phase). */
      let active = 0;
      let lastEmpty = false;
      let drained = false;
      let failure: { error: unknown; operation: string } | undefined;
      let gaveUp: unknown;
      const groups = new Set<Promise<void>>();

      /** Hands messages back at once: visible again to every consumer, receive count unchanged. */
      const handBack = (messages: readonly ReceivedMessage[]) =>
        Promise.all(
          messages.map((m) =>
            visibility.add([{ receiptHandle: m.receiptHandle, seconds: 0 }]).then(
              ([changed]) => {
                if (!changed) log.warn({ messageId: m.messageId }, 'hand_back_failed');
              },
              (error: unknown) =>
                log.warn({ messageId: m.messageId, err: describeError(error) }, 'hand_back_failed'),
            ),
          ),
        );

      const settle = async (message: ReceivedMessage, run: RecordRun): Promise<RecordResult | undefined> => {
        const result = run.status === 'done' ? run.result : undefined;
        if (result?.status === 'acknowledged') {
          stats.acknowledged++;
          pending.delete(message.messageId);
          // Off the critical path, and still held until SQS confirms: a failed delete only means SQS
          // delivers the message again later, and every step is idempotent.
          void deletes
            .add([{ receiptHandle: message.receiptHandle }])
            .then(
              ([deleted]) => {
                if (!deleted) log.warn({ messageId: message.messageId }, 'delete_failed');
              },
              (error: unknown) => log.warn({ err: describeError(error) }, 'delete_batch_failed'),
            )
            .finally(() => leases.drop(message.messageId));
          return result;
        }
        await leases.drop(message.messageId);
        stats.retried++;
        pending.add(message.messageId);
        // A record not started for lack of time comes back at once; a tier-2 retry after its backoff; a
        // crashed record after the rest of its visibility timeout.
        const seconds = run.status === 'not-started' ? 0 : result?.visibilitySeconds;
        if (seconds !== undefined) {
          try {
            const [changed] = await visibility.add([{ receiptHandle: message.receiptHandle, seconds }]);
            if (!changed) log.warn({ messageId: message.messageId }, 'change_visibility_failed');
          } catch (error) {
            log.warn({ messageId: message.messageId, err: describeError(error) }, 'change_visibility_failed');
          }
        }
        return result;
      };

      const accept = (messages: ReceivedMessage[], receivedAt: number) => {
        if (controller.signal.aborted) {
          // Received as the stop came: never started, so handed back rather than left invisible.
          void handBack(messages);
          return;
        }
        const leased = new Map(
          messages.map((m) => [m.messageId, leases.hold(m.messageId, m.receiptHandle, receivedAt)]),
        );
        active += messages.length;
        stats.received += messages.length;
        const runs = dispatcher.submit(messages, {
          deadlineOf: (record) => {
            const lease = leased.get(record.messageId);
            return lease ? () => lease.expiresAt - marginMs : undefined;
          },
        });
        const group = (async () => {
          const failed: { itemIdentifier: string }[] = [];
          const results: RecordResult[] = [];
          await Promise.all(
            messages.map(async (message, index) => {
              const run = (await runs[index]) as RecordRun;
              const result = await settle(message, run);
              active--;
              finished++;
              if (result) results.push(result);
              if (result?.status !== 'acknowledged') failed.push({ itemIdentifier: message.messageId });
              wake();
            }),
          );
          stats.unfinished = pending.size;
          if (results.length > 0 || failed.length > 0) {
            stats.batches++;
            options.onBatch?.({ batchItemFailures: failed, results });
            options.onProgress?.(stats);
          }
        })();
        groups.add(group);
        void group.finally(() => {
          groups.delete(group);
          wake();
        });
      };

      /**
       * Receives of up to ten messages each, made at once. Each one's messages start as soon as they arrive;
       * receives that land close together have their findings verified in one bulk read all the same (the
       * shared findings port joins their GetFindings, 20 ids a call).
       */
      const launch = (sizes: readonly number[]) => {
        // With records in flight a receive must not hold a stop for a 20 s long poll; idle, it may.
        const busy = active > 0 || outstanding > 0;
        const waitSeconds = busy ? Math.min(wait, BUSY_WAIT_SECONDS) : wait;
        const quiet = !busy;
        // Only an idle long poll can be aborted by a stop (a busy one ends within a second on its own).
        const poll = busy ? undefined : new AbortController();
        if (poll) idlePolls.add(poll);
        let left = sizes.length;
        let brought = 0;
        for (const max of sizes) {
          outstanding++;
          requested += max;
          const receivedAt = Date.now();
          void queue
            .receive({ max, waitSeconds, ...(poll ? { signal: poll.signal } : {}) })
            .then(
              (messages) => {
                unreachableSince = undefined;
                failures = 0;
                brought += messages.length;
                if (messages.length > 0) {
                  lastEmpty = false;
                  accept(messages, receivedAt);
                }
              },
              (error: unknown) => {
                brought++;
                failure ??= { error, operation: 'ReceiveMessage' };
              },
            )
            .finally(() => {
              outstanding--;
              requested -= max;
              if (--left === 0) {
                if (poll) idlePolls.delete(poll);
                if (brought === 0) {
                  // Nothing at all: the queue is empty for now (with untilEmpty and nothing in flight, done).
                  lastEmpty = true;
                  if (quiet && options.untilEmpty) drained = true;
                  options.onProgress?.(stats);
                }
              }
              wake();
            });
        }
      };

      const fill = () => {
        if (lastEmpty) {
          // After an empty receive, one at a time; with untilEmpty, only once everything received is done,
          // so that the receive that ends the run sees what those records sent back (continuations, retries).
          if (outstanding === 0 && (!options.untilEmpty || active === 0)) launch([SQS_BATCH_SIZE]);
          return;
        }
        const inWork = () => dispatcher.running + dispatcher.waiting + requested;
        // Bounded even when outcomes cannot be published for a while: records then pile up in no slot.
        const maxActive = 4 * (concurrency + maxLookahead);
        while (active + requested < maxActive) {
          const room = concurrency + lookahead() - inWork();
          if (room >= 2 * SQS_BATCH_SIZE) launch([SQS_BATCH_SIZE, SQS_BATCH_SIZE]);
          else if (room > 0 && inWork() < concurrency) launch([Math.min(SQS_BATCH_SIZE, room)]);
          else break;
        }
      };

      try {
        while (!controller.signal.aborted && !drained) {
          if (failure) {
            const { error, operation } = failure;
            failure = undefined;
            try {
              await backOff(error, operation);
            } catch (giveUp) {
              gaveUp = giveUp;
              break;
            }
            continue;
          }
          fill();
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        // Stopping (or drained): no more receives; what is in flight finishes.
        for (const poll of idlePolls) poll.abort();
        while (outstanding > 0 || groups.size > 0) {
          dispatcher.flush();
          // Woken by every receive and every record that ends (never by an empty list: that would spin).
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        dispatcher.flush();
        await Promise.all([deletes.settled(), visibility.settled(), leases.close()]);
      }
      if (gaveUp !== undefined) throw gaveUp;
      stats.unfinished = pending.size;
      log.info({ ...stats }, 'worker_stopped');
      return stats;
    },
  };
}

/** Counts what the processor publishes, by outcome, and what SNS did not accept. */
function countingPublisher(inner: OutcomePublisher, stats: PollerStats): OutcomePublisher {
  const count = (outcomes: readonly Outcome[]) => {
    for (const o of outcomes) stats.outcomes[o.outcome] = (stats.outcomes[o.outcome] ?? 0) + 1;
  };
  return {
    ...inner,
    async publish(outcomes) {
      let result: Awaited<ReturnType<OutcomePublisher['publish']>>;
      try {
        result = await inner.publish(outcomes);
      } catch (error) {
        stats.unpublished += outcomes.length;
        throw error;
      }
      const failed = new Set(result.failed);
      count(outcomes.filter((o) => !failed.has(o)));
      stats.unpublished += failed.size;
      return result;
    },
  };
}

/** Errors that mean SQS could not be reached (as opposed to a refusal such as AccessDenied). */
function isUnreachable(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; httpStatus?: number; retryable?: boolean };
  const status = e.$metadata?.httpStatusCode ?? e.httpStatus;
  return status === undefined || status >= 500;
}
