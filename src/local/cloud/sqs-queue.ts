/**
 * One standard SQS queue: its messages and the rules SQS applies to them — delay, visibility timeout,
 * receive counting, retention and redrive to a dead-letter queue. Time is the local cloud's clock
 * (`now`, milliseconds), so tests can move it; waiting receivers are woken by {@link SqsQueue.notify}.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseRedrivePolicy } from './sqs-attributes.ts';
import { md5OfBody, type StoredMessageAttribute } from './sqs-md5.ts';
import { sqsError } from './sqs-wire.ts';

/** A message as the queue holds it. */
export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Readonly<Record<string, StoredMessageAttribute>>;
  sentTimestamp: number;
  readonly senderId: string;
  /** The queue this message was dead-lettered from (system attribute `DeadLetterQueueSourceArn`). */
  deadLetterSourceArn?: string;
  /** When the message is (again) visible: end of its delay or of its visibility timeout. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Nonce of the latest receive; receipt handles embed it. */
  latestReceipt?: string;
}

/** A received message and the receipt handle of this receive. */
export interface Receipt {
  readonly message: SqsMessage;
  readonly receiptHandle: string;
}

/** What callers outside the SQS emulator may read about a queue. */
export interface QueueView {
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly url: string;
  readonly arn: string;
  readonly attributes: Readonly<Record<string, string>>;
}

interface DecodedReceipt {
  readonly queueArn: string;
  readonly messageId: string;
  readonly nonce: string;
}

/** A standard (non-FIFO) queue. */
export class SqsQueue implements QueueView {
  readonly messages = new Map<string, SqsMessage>();
  attributes: Record<string, string>;
  tags: Record<string, string>;
  readonly createdAt: number;
  lastModifiedAt: number;
  deleted = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly accountId: string,
    readonly region: string,
    readonly url: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
    now: number,
  ) {
    this.attributes = attributes;
    this.tags = tags;
    this.createdAt = now;
    this.lastModifiedAt = now;
  }

  get arn(): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${this.name}`;
  }

  private seconds(attribute: string): number {
    return Number(this.attributes[attribute] ?? 0);
  }

  /** Adds a new message; `delaySeconds` overrides the queue's DelaySeconds. */
  enqueue(
    input: {
      body: string;
      messageAttributes: Readonly<Record<string, StoredMessageAttribute>>;
      delaySeconds?: number;
      senderId: string;
    },
    now: number,
  ): SqsMessage {
    const delay = input.delaySeconds ?? this.seconds('DelaySeconds');
    const message: SqsMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5OfBody(input.body),
      messageAttributes: input.messageAttributes,
      sentTimestamp: now,
      senderId: input.senderId,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
    this.messages.set(message.messageId, message);
    this.notify();
    return message;
  }

  /**
   * Takes a message moved from another queue (dead-lettering or a redrive task). It keeps its id, body,
   * attributes and original SentTimestamp, as SQS does; it is visible at once.
   */
  adopt(message: SqsMessage, now: number): void {
    message.visibleAt = now;
    message.latestReceipt = undefined;
    this.messages.set(message.messageId, message);
    this.notify();
  }

  /** Drops messages older than MessageRetentionPeriod (counted from the original send, also on a DLQ). */
  expire(now: number): void {
    const retentionMs = this.seconds('MessageRetentionPeriod') * 1000;
    for (const [id, message] of this.messages) {
      if (now - message.sentTimestamp >= retentionMs) this.messages.delete(id);
    }
  }

  /** The approximate counts GetQueueAttributes reports. */
  counts(now: number): { visible: number; notVisible: number; delayed: number } {
    this.expire(now);
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }

  /**
   * Receives up to `max` visible messages, hiding each for `visibilityTimeout` seconds. A message already
   * received `maxReceiveCount` times is not returned but moved to the dead-letter queue, which is when SQS
   * applies the redrive policy.
   */
  receive(
    max: number,
    visibilityTimeout: number,
    now: number,
    resolveQueue: (arn: string) => SqsQueue | undefined,
  ): Receipt[] {
    this.expire(now);
    const policy = parseRedrivePolicy(this.attributes.RedrivePolicy);
    const deadLetterQueue = policy ? resolveQueue(policy.deadLetterTargetArn) : undefined;
    const receipts: Receipt[] = [];
    for (const message of this.messages.values()) {
      if (receipts.length >= max) break;
      if (message.visibleAt > now) continue;
      if (policy && deadLetterQueue && message.receiveCount >= policy.maxReceiveCount) {
        this.messages.delete(message.messageId);
        message.deadLetterSourceArn = this.arn;
        deadLetterQueue.adopt(message, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityTimeout * 1000;
      message.latestReceipt = randomBytes(12).toString('hex');
      receipts.push({ message, receiptHandle: this.encodeReceipt(message) });
    }
    return receipts;
  }

  /**
   * Deletes the message a receipt handle names. On standard queues SQS also accepts the handle of an earlier
   * receive, and deleting an already deleted message succeeds; a handle that is not one of this queue's is
   * `ReceiptHandleIsInvalid`.
   */
  deleteByReceipt(receiptHandle: string): void {
    const decoded = this.decodeReceipt(receiptHandle);
    this.messages.delete(decoded.messageId);
  }

  /**
   * Sets a received message's remaining visibility timeout (from now, not from the receive). Only the latest
   * receipt handle is valid, and only while the message is in flight.
   */
  changeVisibility(receiptHandle: string, visibilityTimeout: number, now: number): void {
    if (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > 43200) {
      throw sqsError(
        'InvalidParameterValue',
        `Value ${visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const decoded = this.decodeReceipt(receiptHandle);
    const message = this.messages.get(decoded.messageId);
    if (!message || message.latestReceipt !== decoded.nonce) {
      throw sqsError(
        'InvalidParameterValue',
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      );
    }
    if (message.visibleAt <= now) throw sqsError('MessageNotInflight', 'Message is not in flight.');
    message.visibleAt = now + visibilityTimeout * 1000;
    if (visibilityTimeout === 0) this.notify();
  }

  /** Deletes every message (PurgeQueue). */
  purge(): void {
    this.messages.clear();
  }

  /** Resolves after `ms` or as soon as something may have become receivable, whichever comes first. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref?.();
      this.waiters.add(done);
    });
  }

  /** Wakes every long-polling receiver so it looks again. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private encodeReceipt(message: SqsMessage): string {
    const payload = JSON.stringify([this.arn, message.messageId, message.latestReceipt]);
    return Buffer.from(payload, 'utf8').toString('base64');
  }

  private decodeReceipt(receiptHandle: string): DecodedReceipt {
    const invalid = () =>
      sqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    let parts: unknown;
    try {
      parts = JSON.parse(Buffer.from(receiptHandle, 'base64').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(parts) || parts.length !== 3 || !parts.every((p) => typeof p === 'string'))
      throw invalid();
    const [queueArn, messageId, nonce] = parts as [string, string, string];
    if (queueArn !== this.arn) throw invalid();
    return { queueArn, messageId, nonce };
  }
}
