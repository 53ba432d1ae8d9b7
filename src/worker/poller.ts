/**
 * The long-running poller (container deployment, `mfa-remediation worker`, the local runner): receive, process
 * through the same code as the Lambda handler, delete what is done, and let tier-2 backoff handle the rest.
 *
 * Each received batch must finish before its visibility timeout expires, or another consumer would receive
 * the same messages: the batch's deadline is the receive time plus the queue's visibility timeout, minus a
 * margin. On SIGTERM (or `stop()`), no new batch is received and the in-flight one finishes.
 *
 * What a caller may rely on, whatever the poller's internals (the CLI's exit status and progress depend on
 * it, and `test/e2e/worker-exit.test.ts` checks it through the real binary):
 * - {@link PollerStats}: received, acknowledged, retried; `unfinished` (retried during the run and not
 *   acknowledged since); `outcomes` published, by outcome; `unpublished` (outcomes SNS did not take).
 * - `onProgress(stats)` after every batch and every empty receive.
 * - `giveUpAfterMs`: when SQS cannot be reached for that long, `run()` rejects with a {@link DependencyError}
 *   saying so. Without it, receive failures are retried for ever, backing off from 1 s to 20 s.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { call } from '../aws/sdk-errors.ts';
import { type BatchResult, processBatch } from '../core/batch.ts';
import type { Outcome, OutcomeName } from '../core/model.ts';
import type { OutcomePublisher } from '../core/ports.ts';
import { CONTINUES_ATTRIBUTE, continuesOf, type ProcessorDeps, receiveCountOf } from '../core/processor.ts';
import { DependencyError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deps: ProcessorDeps;
  readonly log: Logger;
  /** Records processed at once. Default 8. */
  readonly concurrency?: number;
  /** Stop after a receive that returns nothing. */
  readonly untilEmpty?: boolean;
  /** Long-poll wait per receive, seconds. Default 20 (1 with `untilEmpty`). */
  readonly waitTimeSeconds?: number;
  /** Called after each batch, e.g. for progress. */
  readonly onBatch?: (result: BatchResult) => void;
  /** Called with the running totals after every batch and every empty receive. */
  readonly onProgress?: (stats: Readonly<PollerStats>) => void;
  /** Give up (reject) when SQS has been unreachable for this long; default: retry for ever. */
  readonly giveUpAfterMs?: number;
}

export interface PollerStats {
  batches: number;
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
  /** Graceful stop: finish the in-flight batch, receive no more. */
  stop(): void;
}

export function createPoller(options: PollerOptions): Poller {
  const { sqs, queueUrl, log } = options;
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
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, remaining)));
  };

  const visibilityTimeout = async (): Promise<number> => {
    const response = await call('sqs', 'GetQueueAttributes', () =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] })),
    );
    return Number(response.Attributes?.VisibilityTimeout ?? 30);
  };

  const receive = async (wait: number) => {
    try {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
        // A long poll waits up to `wait` seconds by design: longer than the clients' request timeout.
        { abortSignal: controller.signal, requestTimeout: (wait + 10) * 1000 },
      );
      return response.Messages ?? [];
    } catch (error) {
      if (controller.signal.aborted) return [];
      throw error;
    }
  };

  return {
    stop() {
      controller.abort();
    },
    async run() {
      let timeoutSeconds: number | undefined;
      while (timeoutSeconds === undefined && !controller.signal.aborted) {
        try {
          timeoutSeconds = await visibilityTimeout();
        } catch (error) {
          if (!isUnreachable(error)) throw error;
          await backOff(error, 'GetQueueAttributes');
        }
      }
      if (timeoutSeconds === undefined) return stats;
      unreachableSince = undefined;
      failures = 0;
      const wait = options.waitTimeSeconds ?? (options.untilEmpty ? 1 : 20);
      log.info({ queueUrl, visibilityTimeout: timeoutSeconds }, 'worker_started');
      while (!controller.signal.aborted) {
        let messages: Awaited<ReturnType<typeof receive>>;
        try {
          messages = await receive(wait);
        } catch (error) {
          await backOff(error, 'ReceiveMessage');
          continue;
        }
        unreachableSince = undefined;
        failures = 0;
        if (messages.length === 0) {
          options.onProgress?.(stats);
          if (options.untilEmpty) break;
          continue;
        }
        const receivedAt = Date.now();
        const margin = Math.min(10_000, timeoutSeconds * 200);
        const result = await processBatch(
          messages.map((m) => {
            const continues = continuesOf(m.MessageAttributes?.[CONTINUES_ATTRIBUTE]?.StringValue);
            return {
              messageId: m.MessageId ?? '',
              body: m.Body ?? '',
              receiptHandle: m.ReceiptHandle ?? '',
              receiveCount: receiveCountOf(m.Attributes?.ApproximateReceiveCount),
              ...(continues ? { continues } : {}),
            };
          }),
          deps,
          {
            log,
            deadline: receivedAt + timeoutSeconds * 1000 - margin,
            concurrency: options.concurrency ?? 8,
          },
        );
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        for (let i = 0; i < done.length; i += 10) {
          const chunk = done.slice(i, i + 10);
          try {
            const deleted = await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: chunk.map((m, index) => ({
                  Id: String(index),
                  ReceiptHandle: m.ReceiptHandle ?? '',
                })),
              }),
            );
            for (const failure of deleted.Failed ?? []) log.warn({ failure }, 'delete_failed');
          } catch (error) {
            // The messages come back after their visibility timeout; every step is idempotent.
            log.warn({ err: describeError(error) }, 'delete_batch_failed');
          }
        }
        stats.batches++;
        stats.received += messages.length;
        stats.acknowledged += done.length;
        stats.retried += failed.size;
        for (const id of failed) pending.add(id);
        for (const m of done) pending.delete(m.MessageId ?? '');
        stats.unfinished = pending.size;
        options.onBatch?.(result);
        options.onProgress?.(stats);
      }
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
  const e = error as { $metadata?: { httpStatusCode?: number }; httpStatus?: number };
  const status = e.$metadata?.httpStatusCode ?? e.httpStatus;
  return status === undefined || status >= 500;
}
