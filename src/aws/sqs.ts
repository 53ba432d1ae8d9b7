/**
 * SQS operations of record handling (tier-2 visibility backoff, parking bodies on the dead-letter queue) and of
 * the long-running poller (receiving, deleting and extending the visibility of messages, ten a call).
 */
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueuePort } from '../core/ports.ts';
import { CONTINUES_ATTRIBUTE, continuesOf, type RecordInput, receiveCountOf } from '../core/processor.ts';
import { call } from './sdk-errors.ts';
import { stringAttributes } from './sns.ts';

/** SQS's message size limit before 2025, and the floor of every queue's `MaximumMessageSize` we assume. */
const FALLBACK_MAX_MESSAGE_BYTES = 262_144;
/** Room kept for what SQS counts that we do not see exactly (no documented overhead; a safety margin). */
const SIZE_MARGIN_BYTES = 1024;

export function createQueueAdapter(
  client: SQSClient,
  options: { queueUrl: string | undefined; deadLetterQueueUrl: string | undefined },
): QueuePort {
  let maxBytes: Promise<number> | undefined;
  // The dead-letter queue's own limit (1 MiB by default since 2025, configurable down to 1 KiB), read once.
  const deadLetterMaxBytes = (url: string) => {
    maxBytes ??= call('sqs', 'GetQueueAttributes', () =>
      client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['MaximumMessageSize'] })),
    ).then(
      (response) => Number(response?.Attributes?.MaximumMessageSize) || FALLBACK_MAX_MESSAGE_BYTES,
      () => FALLBACK_MAX_MESSAGE_BYTES,
    );
    return maxBytes;
  };

  return {
    async changeVisibility(receiptHandle, seconds) {
      if (!options.queueUrl) throw new Error('the remediation queue URL is not known');
      await call('sqs', 'ChangeMessageVisibility', () =>
        client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
          }),
        ),
      );
    },

    async requeue(body, attributes) {
      if (!options.queueUrl) throw new Error('the remediation queue URL is not known');
      await call('sqs', 'SendMessage', () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: options.queueUrl,
            MessageBody: body,
            MessageAttributes: stringAttributes(attributes),
          }),
        ),
      );
    },

    async park(body, reason, attributes = {}) {
      const url = options.deadLetterQueueUrl;
      if (!url) return 'unavailable';
      const parked = fitForQueue(
        body,
        { ...attributes, 'rejection-reason': reason.slice(0, 1000) },
        await deadLetterMaxBytes(url),
      );
      await call('sqs', 'SendMessage', () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: parked.body,
            MessageAttributes: stringAttributes(parked.attributes),
          }),
        ),
      );
      return parked.truncated ? 'truncated' : 'parked';
    },
  };
}

/** Bytes SQS counts for a message: the body, and each attribute's name, data type and value. */
export function messageBytes(body: string, attributes: Readonly<Record<string, string>>): number {
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value);
  }
  return size;
}

/**
 * The message to send so that body and attributes fit within `maxBytes`. A body that fits is kept whole;
 * otherwise it is cut (never inside a character) and the copy says so: `truncated`, the original's size in
 * bytes and its SHA-256, so the original can still be recognised (and its sender asked for it).
 */
export function fitForQueue(
  body: string,
  attributes: Readonly<Record<string, string>>,
  maxBytes: number,
): { body: string; attributes: Record<string, string>; truncated: boolean } {
  const limit = maxBytes - SIZE_MARGIN_BYTES;
  if (messageBytes(body, attributes) <= limit)
    return { body, attributes: { ...attributes }, truncated: false };
  const marked = {
    ...attributes,
    truncated: 'true',
    'original-bytes': String(Buffer.byteLength(body)),
    'original-sha256': createHash('sha256').update(body).digest('hex'),
  };
  const budget = Math.max(0, limit - messageBytes('', marked));
  return { body: cutToBytes(body, budget), attributes: marked, truncated: true };
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes, ending on a character boundary. */
function cutToBytes(text: string, bytes: number): string {
  const encoded = Buffer.from(text);
  if (encoded.length <= bytes) return text;
  let end = bytes;
  // Back up over UTF-8 continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}

/** A queue's ARN (GetQueueAttributes), e.g. for redrive policies, subscriptions and move tasks. */
export async function queueArnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const response = await call('sqs', 'GetQueueAttributes', () =>
    client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })),
  );
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

/** `arn:aws:sqs:us-east-1:123456789012:name` → the queue URL on the standard endpoint (or `endpoint`). */
export function queueUrlFromArn(arn: string, endpoint?: string): string | undefined {
  const match = /^arn:aws[\w-]*:sqs:([\w-]+):(\d{12}):(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, account, name] = match;
  const base = endpoint?.replace(/\/$/, '') ?? `https://sqs.${region}.amazonaws.com`;
  return `${base}/${account}/${name}`;
}

/** SQS's limit on the entries of one batch call (ReceiveMessage, DeleteMessageBatch, ChangeMessageVisibilityBatch). */
export const SQS_BATCH_SIZE = 10;
/** A message's total visibility cannot exceed 12 hours from its receipt (ChangeMessageVisibility). */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** A received message as the processor takes it. */
export type ReceivedMessage = RecordInput & { readonly receiptHandle: string };

/** One entry of a batch call: a receipt handle and, for visibility changes, the new timeout. */
export interface QueueEntry {
  readonly receiptHandle: string;
  readonly seconds?: number;
}

/** The queue operations of a consumer that polls it (`mfa-remediation worker`). */
export interface QueueConsumer {
  /** The queue's VisibilityTimeout attribute, seconds. */
  /**
   * The queue's VisibilityTimeout, and its redrive policy's `maxReceiveCount` when it has one
   * (GetQueueAttributes).
   */
  settings(): Promise<{ visibilityTimeout: number; maxReceiveCount?: number }>;
  /**
   * ReceiveMessage of at most `max` (≤ 10) messages, waiting up to `waitSeconds` for one (a long poll).
   * Resolves with nothing when `signal` aborts it.
   */
  receive(options: { max: number; waitSeconds: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  /** DeleteMessageBatch (≤ 10 entries): true per entry SQS deleted. */
  deleteBatch(entries: readonly QueueEntry[]): Promise<boolean[]>;
  /** ChangeMessageVisibilityBatch (≤ 10 entries, each with its `seconds`): true per entry SQS changed. */
  changeVisibilityBatch(entries: readonly QueueEntry[]): Promise<boolean[]>;
}

/** `maxReceiveCount` of a queue's RedrivePolicy attribute (a JSON string), when it names one. */
export function redriveMaxReceiveCount(policy: string | undefined): number | undefined {
  if (!policy) return undefined;
  try {
    const count = Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount);
    return Number.isInteger(count) && count > 0 ? count : undefined;
  } catch {
    return undefined;
  }
}

export function createQueueConsumer(client: SQSClient, queueUrl: string): QueueConsumer {
  /** Answers per entry from a batch response: an entry is done when SQS lists it as successful. */
  const perEntry = (count: number, successful: readonly { Id?: string | undefined }[] | undefined) => {
    const ok = new Set((successful ?? []).map((entry) => entry.Id));
    return Array.from({ length: count }, (_, index) => ok.has(String(index)));
  };
  return {
    async settings() {
      const response = await call('sqs', 'GetQueueAttributes', () =>
        client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
          }),
        ),
      );
      const visibilityTimeout = Number(response.Attributes?.VisibilityTimeout ?? 30);
      const maxReceiveCount = redriveMaxReceiveCount(response.Attributes?.RedrivePolicy);
      return maxReceiveCount === undefined ? { visibilityTimeout } : { visibilityTimeout, maxReceiveCount };
    },

    async receive({ max, waitSeconds, signal }) {
      try {
        const command = new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(SQS_BATCH_SIZE, max)),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        });
        // A long poll waits up to `waitSeconds` by design, which may be longer than the clients' request
        // timeout; a short one passes no per-call options, so the SDK's cached middleware stack serves it.
        const longPoll = signal !== undefined || waitSeconds > 1;
        const response = await call('sqs', 'ReceiveMessage', () =>
          longPoll
            ? client.send(command, {
                ...(signal ? { abortSignal: signal } : {}),
                requestTimeout: (waitSeconds + 10) * 1000,
              })
            : client.send(command),
        );
        return (response.Messages ?? []).map((m) => {
          const continues = continuesOf(m.MessageAttributes?.[CONTINUES_ATTRIBUTE]?.StringValue);
          return {
            messageId: m.MessageId ?? '',
            body: m.Body ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            receiveCount: receiveCountOf(m.Attributes?.ApproximateReceiveCount),
            ...(continues ? { continues } : {}),
          };
        });
      } catch (error) {
        if (signal?.aborted) return [];
        throw error;
      }
    },

    async deleteBatch(entries) {
      const response = await call('sqs', 'DeleteMessageBatch', () =>
        client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map((entry, index) => ({
              Id: String(index),
              ReceiptHandle: entry.receiptHandle,
            })),
          }),
        ),
      );
      return perEntry(entries.length, response.Successful);
    },

    async changeVisibilityBatch(entries) {
      const response = await call('sqs', 'ChangeMessageVisibilityBatch', () =>
        client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map((entry, index) => ({
              Id: String(index),
              ReceiptHandle: entry.receiptHandle,
              VisibilityTimeout: Math.max(
                0,
                Math.min(MAX_VISIBILITY_SECONDS, Math.round(entry.seconds ?? 0)),
              ),
            })),
          }),
        ),
      );
      return perEntry(entries.length, response.Successful);
    },
  };
}
