/**
 * The long-running poller (container deployment, `mfa-remediation worker`, the local runner): receive, process
 * through the same code as the Lambda handler, delete what is done, and let tier-2 backoff handle the rest.
 *
 * Each received batch must finish before its visibility timeout expires, or another consumer would receive
 * the same messages: the batch's deadline is the receive time plus the queue's visibility timeout, minus a
 * margin. On SIGTERM (or `stop()`), no new batch is received and the in-flight one finishes.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { call } from '../aws/sdk-errors.ts';
import { type BatchResult, processBatch } from '../core/batch.ts';
import { CONTINUES_ATTRIBUTE, continuesOf, type ProcessorDeps, receiveCountOf } from '../core/processor.ts';
import { describeError } from '../errors.ts';
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
}

export interface PollerStats {
  batches: number;
  received: number;
  acknowledged: number;
  retried: number;
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
  const stats: PollerStats = { batches: 0, received: 0, acknowledged: 0, retried: 0 };

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
      const timeoutSeconds = await visibilityTimeout();
      const wait = options.waitTimeSeconds ?? (options.untilEmpty ? 1 : 20);
      log.info({ queueUrl, visibilityTimeout: timeoutSeconds }, 'worker_started');
      while (!controller.signal.aborted) {
        let messages: Awaited<ReturnType<typeof receive>>;
        try {
          messages = await receive(wait);
        } catch (error) {
          log.error({ err: describeError(error) }, 'receive_failed');
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        if (messages.length === 0) {
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
          options.deps,
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
        options.onBatch?.(result);
      }
      log.info({ ...stats }, 'worker_stopped');
      return stats;
    },
  };
}
