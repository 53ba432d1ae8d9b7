/**
 * The message operations of SQS: SendMessage(Batch), ReceiveMessage with long polling,
 * DeleteMessage(Batch) and ChangeMessageVisibility(Batch).
 */
import { AwsApiError, type LocalCloudEnv } from '../cloud-types.ts';
import { batchEntries, type Input, optionalInteger, requiredString, stringList } from './sqs-input.ts';
import { md5OfMessageAttributes, type StoredMessageAttribute } from './sqs-md5.ts';
import {
  messageAttributesSize,
  parseMessageAttributes,
  selectMessageAttributes,
  toWireMessageAttributes,
} from './sqs-message-attributes.ts';
import type { Receipt, SqsQueue } from './sqs-queue.ts';
import type { SqsStore } from './sqs-store.ts';
import { queryErrorCode, sqsError } from './sqs-wire.ts';

/** How often a long-polling receive re-checks the queue: delays and visibility timeouts end on the clock. */
const LONG_POLL_INTERVAL_MS = 50;

// XML 1.0 characters: what SQS accepts in bodies (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000+).
const INVALID_BODY_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The caller, for the SenderId system attribute. */
export interface Sender {
  readonly senderId: string;
}

/** Message operations bound to a store and clock. */
export function createMessageOperations(store: SqsStore, env: LocalCloudEnv) {
  const resolve = (arn: string) => store.byArn(arn);

  /** Validates and enqueues one message; shared by SendMessage and each SendMessageBatch entry. */
  function send(queue: SqsQueue, entry: Input, sender: Sender) {
    const body = entry.MessageBody;
    if (typeof body !== 'string' || body === '') {
      throw sqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (INVALID_BODY_CHARACTERS.test(body)) {
      throw sqsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    const delaySeconds = optionalInteger(entry, 'DelaySeconds', 0, 900);
    const messageAttributes = parseMessageAttributes(entry.MessageAttributes);
    const limit = Number(queue.attributes.MaximumMessageSize);
    if (Buffer.byteLength(body) + messageAttributesSize(messageAttributes) > limit) {
      throw sqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    const message = queue.enqueue(
      { body, messageAttributes, delaySeconds, senderId: sender.senderId },
      env.now(),
    );
    const md5OfAttributes = md5OfMessageAttributes(messageAttributes);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(md5OfAttributes ? { MD5OfMessageAttributes: md5OfAttributes } : {}),
    };
  }

  function sendMessage(input: Input, sender: Sender) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    return send(queue, input, sender);
  }

  function sendMessageBatch(input: Input, sender: Sender) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
    const limit = Number(queue.attributes.MaximumMessageSize);
    const total = entries.reduce(
      (sum, entry) =>
        sum +
        Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '') +
        messageAttributesSize(safeAttributes(entry.MessageAttributes)),
      0,
    );
    if (total > limit) {
      throw sqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${limit} bytes. You have sent ${total} bytes.`,
      );
    }
    return perEntry(entries, (entry) => ({ Id: entry.Id, ...send(queue, entry, sender) }));
  }

  async function receiveMessage(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility =
      optionalInteger(input, 'VisibilityTimeout', 0, 43200) ?? Number(queue.attributes.VisibilityTimeout);
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, 20) ??
      Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    const systemNames = [
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ];
    const attributeNames = stringList(input, 'MessageAttributeNames');

    // Long polling: return as soon as a message is available, else when the wait is over (real time).
    const deadline = Date.now() + wait * 1000;
    let receipts: Receipt[] = [];
    for (;;) {
      if (queue.deleted) break;
      receipts = queue.receive(max, visibility, env.now(), resolve);
      const remaining = deadline - Date.now();
      if (receipts.length > 0 || remaining <= 0) break;
      await queue.waitForChange(Math.min(LONG_POLL_INTERVAL_MS, remaining));
    }
    if (receipts.length === 0) return {};
    return { Messages: receipts.map((r) => toWireMessage(r, systemNames, attributeNames)) };
  }

  function deleteMessage(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    queue.deleteByReceipt(requiredString(input, 'ReceiptHandle'));
    return {};
  }

  function deleteMessageBatch(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const entries = batchEntries(input, 'DeleteMessageBatchRequestEntry');
    return perEntry(entries, (entry) => {
      queue.deleteByReceipt(requiredString(entry, 'ReceiptHandle'));
      return { Id: entry.Id };
    });
  }

  function changeMessageVisibility(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const timeout = visibilityTimeoutOf(input);
    queue.changeVisibility(requiredString(input, 'ReceiptHandle'), timeout, env.now());
    return {};
  }

  function changeMessageVisibilityBatch(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const entries = batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry');
    return perEntry(entries, (entry) => {
      queue.changeVisibility(requiredString(entry, 'ReceiptHandle'), visibilityTimeoutOf(entry), env.now());
      return { Id: entry.Id };
    });
  }

  return {
    sendMessage,
    sendMessageBatch,
    receiveMessage,
    deleteMessage,
    deleteMessageBatch,
    changeMessageVisibility,
    changeMessageVisibilityBatch,
  };
}

function visibilityTimeoutOf(input: Input): number {
  const value = input.VisibilityTimeout;
  if (value === undefined || value === null) {
    throw sqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
  }
  return Number(value);
}

function safeAttributes(raw: unknown): Record<string, StoredMessageAttribute> {
  try {
    return parseMessageAttributes(raw);
  } catch {
    return {};
  }
}

/**
 * Runs a batch entry by entry: an entry that fails is reported in `Failed` with its error code and
 * `SenderFault`, and does not stop the others, as in every SQS batch action.
 */
function perEntry(entries: Input[], run: (entry: Input) => Record<string, unknown>) {
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    try {
      Successful.push(run(entry));
    } catch (err) {
      if (!(err instanceof AwsApiError)) throw err;
      Failed.push({
        Id: entry.Id,
        SenderFault: err.fault === 'Sender',
        Code: queryErrorCode(err.code),
        Message: err.message,
      });
    }
  }
  return { Successful, Failed };
}

/** System attributes a receive may ask for; `All` selects these. */
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'DeadLetterQueueSourceArn',
] as const;

/**
 * A received message on the wire. `MD5OfMessageAttributes` covers the attributes returned, not all of them,
 * which is what SQS does and what the SDK checks.
 */
function toWireMessage(receipt: Receipt, systemNames: string[], attributeNames: string[]) {
  const { message } = receipt;
  const all = systemNames.includes('All');
  const system: Record<string, string> = {};
  const values: Record<(typeof SYSTEM_ATTRIBUTES)[number], string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = values[name];
    if (value !== undefined && (all || systemNames.includes(name))) system[name] = value;
  }
  const selected = selectMessageAttributes(message.messageAttributes, attributeNames);
  const md5OfAttributes = md5OfMessageAttributes(selected);
  return {
    MessageId: message.messageId,
    ReceiptHandle: receipt.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
    ...(md5OfAttributes
      ? { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: toWireMessageAttributes(selected) }
      : {}),
  };
}
