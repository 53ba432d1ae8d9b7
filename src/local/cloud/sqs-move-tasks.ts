/**
 * Message move tasks (StartMessageMoveTask / ListMessageMoveTasks): the "DLQ redrive" of the SQS console.
 * SQS runs a task in the background at a bounded rate; the emulator moves every available message at once,
 * so a task is COMPLETED by the time StartMessageMoveTask returns.
 */
import { randomUUID } from 'node:crypto';
import { parseRedrivePolicy } from './sqs-attributes.ts';
import type { SqsQueue } from './sqs-queue.ts';
import { sqsError } from './sqs-wire.ts';

/** One task, as ListMessageMoveTasks reports it. */
export interface MoveTask {
  readonly taskHandle: string;
  readonly status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  readonly sourceArn: string;
  readonly destinationArn?: string;
  readonly maxNumberOfMessagesPerSecond?: number;
  readonly moved: number;
  readonly toMove: number;
  readonly startedAt: number;
  readonly failureReason?: string;
}

/**
 * Moves the available (not in flight, not delayed) messages of a dead-letter queue to `destination`, or,
 * without one, each back to the queue it was dead-lettered from. Moved messages start over: receive count 0.
 */
export function runMoveTask(
  source: SqsQueue,
  options: { destination?: SqsQueue; destinationArn?: string; maxNumberOfMessagesPerSecond?: number },
  now: number,
  resolveQueue: (arn: string) => SqsQueue | undefined,
): MoveTask {
  source.expire(now);
  const available = [...source.messages.values()].filter((m) => m.visibleAt <= now);
  let moved = 0;
  let failureReason: string | undefined;
  for (const message of available) {
    const target =
      options.destination ??
      (message.deadLetterSourceArn ? resolveQueue(message.deadLetterSourceArn) : undefined);
    if (!target) {
      failureReason = 'Some messages have no source queue to return to (it was deleted or never existed).';
      continue;
    }
    source.messages.delete(message.messageId);
    message.receiveCount = 0;
    message.firstReceiveTimestamp = undefined;
    message.deadLetterSourceArn = undefined;
    target.adopt(message, now);
    moved++;
  }
  return {
    taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn })).toString(
      'base64',
    ),
    status: failureReason && moved === 0 && available.length > 0 ? 'FAILED' : 'COMPLETED',
    sourceArn: source.arn,
    ...(options.destinationArn ? { destinationArn: options.destinationArn } : {}),
    ...(options.maxNumberOfMessagesPerSecond !== undefined
      ? { maxNumberOfMessagesPerSecond: options.maxNumberOfMessagesPerSecond }
      : {}),
    moved,
    toMove: available.length,
    startedAt: now,
    ...(failureReason ? { failureReason } : {}),
  };
}

/** Checks that a queue may be the source of a move task: only a dead-letter queue of some queue can. */
export function assertIsDeadLetterQueue(source: SqsQueue, allQueues: Iterable<SqsQueue>): void {
  for (const queue of allQueues) {
    if (parseRedrivePolicy(queue.attributes.RedrivePolicy)?.deadLetterTargetArn === source.arn) return;
  }
  throw sqsError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
}

/** The JSON wire form of a task for ListMessageMoveTasks (TaskHandle only while it runs). */
export function toWireMoveTask(task: MoveTask): Record<string, unknown> {
  return {
    ...(task.status === 'RUNNING' ? { TaskHandle: task.taskHandle } : {}),
    Status: task.status,
    SourceArn: task.sourceArn,
    ...(task.destinationArn ? { DestinationArn: task.destinationArn } : {}),
    ...(task.maxNumberOfMessagesPerSecond !== undefined
      ? { MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond }
      : {}),
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
    StartedTimestamp: task.startedAt,
  };
}
