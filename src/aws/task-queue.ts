/**
 * Sending task messages to the remediation queue with SendMessageBatch: at most ten entries a call (SQS's
 * limit). SendMessageBatch succeeds as a call even when some entries fail, listing them in `Failed`; only
 * those are sent again, with exponential backoff, a bounded number of times. Entries SQS rejects as the
 * sender's fault (`SenderFault: true`, e.g. a too-large body) are not retried: they would fail again.
 *
 * Every body is validated with the same zod schema intake uses before it is sent, so the sweep can never
 * enqueue a task the worker would reject.
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { TaskMessage } from '../core/model.ts';
import type { TaskQueuePort } from '../core/ports.ts';
import { describeError, isRetryable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { call } from './sdk-errors.ts';

/** SQS's largest batch. */
export const SQS_BATCH_SIZE = 10;

export interface TaskQueueOptions {
  readonly queueUrl: string;
  /** Attempts per batch, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** First backoff in ms, doubled per attempt. Default 200. */
  readonly baseDelayMs?: number;
  /** Batches in flight at once. Default 4. */
  readonly concurrency?: number;
  readonly log?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Entry {
  readonly id: string;
  readonly body: string;
  readonly groupId: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates the task-queue adapter for the remediation queue. */
export function createTaskQueue(client: SQSClient, options: TaskQueueOptions): TaskQueuePort {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts must be >= 1');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('concurrency must be >= 1');
  const sleep = options.sleep ?? defaultSleep;
  const fifo = options.queueUrl.endsWith('.fifo');

  /** Sends one batch; resolves with the number of entries that never got through. */
  const sendChunk = async (chunk: readonly Entry[]): Promise<number> => {
    let pending = chunk;
    let permanent = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(baseDelayMs * 2 ** (attempt - 2));
      try {
        const response = await call('sqs', 'SendMessageBatch', () =>
          client.send(
            new SendMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: pending.map((entry) => ({
                Id: entry.id,
                MessageBody: entry.body,
                // FIFO queues need a group; one per user keeps a user's tasks in order.
                ...(fifo
                  ? {
                      MessageGroupId: entry.groupId,
                      MessageDeduplicationId: createHash('sha256').update(entry.body).digest('hex'),
                    }
                  : {}),
              })),
            }),
          ),
        );
        const failed = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
        const senderFaults = [...failed.values()].filter((f) => f.SenderFault);
        permanent += senderFaults.length;
        for (const fault of senderFaults) {
          options.log?.error({ code: fault.Code, message: fault.Message }, 'task_enqueue_rejected');
        }
        pending = pending.filter((entry) => failed.has(entry.id) && !failed.get(entry.id)?.SenderFault);
      } catch (error) {
        if (!isRetryable(error)) {
          options.log?.error({ err: describeError(error) }, 'task_enqueue_failed');
          return permanent + pending.length;
        }
      }
      if (pending.length > 0 && attempt >= maxAttempts) {
        options.log?.error({ failed: pending.length, attempts: attempt }, 'task_enqueue_gave_up');
        return permanent + pending.length;
      }
      if (pending.length > 0) options.log?.warn({ failed: pending.length, attempt }, 'task_enqueue_retry');
    }
    return permanent;
  };

  return {
    async sendBatch(tasks) {
      const entries: Entry[] = [];
      let invalid = 0;
      for (const task of tasks) {
        const parsed = TaskMessage.safeParse(task);
        if (!parsed.success) {
          invalid++;
          options.log?.error({ type: task.type, issues: parsed.error.issues.length }, 'task_invalid');
          continue;
        }
        const id = String(entries.length % SQS_BATCH_SIZE);
        const groupId = `${parsed.data.accountId}/${'userName' in parsed.data ? parsed.data.userName : parsed.data.type}`;
        entries.push({ id, body: JSON.stringify(parsed.data), groupId });
      }
      const limit = pLimit(concurrency);
      const chunks: Entry[][] = [];
      for (let start = 0; start < entries.length; start += SQS_BATCH_SIZE) {
        chunks.push(entries.slice(start, start + SQS_BATCH_SIZE));
      }
      const failures = await Promise.all(chunks.map((chunk) => limit(() => sendChunk(chunk))));
      const failed = invalid + failures.reduce((a, b) => a + b, 0);
      return { sent: tasks.length - failed, failed };
    },
  };
}
