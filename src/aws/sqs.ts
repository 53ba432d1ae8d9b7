/**
 * SQS operations of record handling: tier-2 visibility backoff and parking bodies on the dead-letter queue.
 */
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueuePort } from '../core/ports.ts';
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
