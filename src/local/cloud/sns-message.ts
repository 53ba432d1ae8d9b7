/**
 * What SNS checks on Publish / PublishBatch entries, and the two shapes in which it hands a message to an
 * SQS subscription: the JSON notification envelope, or the raw message with its attributes carried over as
 * SQS message attributes (RawMessageDelivery).
 */
import { createHash } from 'node:crypto';
import { AwsApiError } from '../cloud-types.ts';
import { invalidParameter, type SnsMessageAttribute } from './sns-wire.ts';

/** SNS's limit for a message and its attributes together. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT_LENGTH = 100;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** A message accepted by Publish or one PublishBatch entry. */
export interface SnsMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  /** The message as published (for `MessageStructure=json`, the JSON document). */
  readonly message: string;
  readonly messageStructure?: 'json';
  readonly messageAttributes: Readonly<Record<string, SnsMessageAttribute>>;
  /** Milliseconds since the epoch (the local cloud's clock). */
  readonly timestamp: number;
}

/** Checks a message as SNS does; every failure is InvalidParameter / ParameterValueInvalid (400). */
export function validateMessage(input: {
  message: string | undefined;
  subject: string | undefined;
  messageStructure: string | undefined;
  messageAttributes: Readonly<Record<string, SnsMessageAttribute>>;
}): void {
  const { message, subject, messageStructure, messageAttributes } = input;
  if (message === undefined || message === '') throw invalidParameter('Empty message');
  if (subject !== undefined) {
    // Subjects are ASCII text up to 100 characters, starting with a letter, digit or punctuation, one line.
    if (
      subject.length === 0 ||
      subject.length > MAX_SUBJECT_LENGTH ||
      hasControlCharacter(subject) ||
      /^\s/.test(subject)
    ) {
      throw invalidParameter('Subject');
    }
  }
  if (messageStructure !== undefined) {
    if (messageStructure !== 'json') throw invalidParameter('MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw invalidParameter('Message Structure - JSON message body failed to parse');
    }
    if (
      parsed === null ||
      typeof parsed !== 'object' ||
      typeof (parsed as { default?: unknown }).default !== 'string'
    ) {
      throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
  }
  let size = Buffer.byteLength(message);
  for (const [name, attribute] of Object.entries(messageAttributes)) {
    validateAttribute(name, attribute);
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    size += attribute.BinaryValue?.length ?? Buffer.byteLength(attribute.StringValue ?? '');
  }
  if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
}

/** Line breaks and other control characters, which SNS refuses in a Subject. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f;
  });
}

function validateAttribute(name: string, attribute: SnsMessageAttribute): void {
  const invalid = (reason: string) =>
    new AwsApiError('ParameterValueInvalid', `The message attribute '${name}' ${reason}`, 400);
  if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name) || name.includes('..')) {
    throw new AwsApiError('ParameterValueInvalid', `Message attribute name '${name}' is invalid.`, 400);
  }
  const type = attribute.DataType;
  const base = type.split('.')[0];
  if (type === 'String.Array') {
    let items: unknown;
    try {
      items = JSON.parse(attribute.StringValue ?? '');
    } catch {
      throw invalid('must contain a valid JSON array for type String.Array.');
    }
    if (!Array.isArray(items)) throw invalid('must contain a valid JSON array for type String.Array.');
    return;
  }
  if (base === 'Binary') {
    if (!attribute.BinaryValue || attribute.BinaryValue.length === 0)
      throw invalid('must contain a non-empty value.');
    return;
  }
  if (base !== 'String' && base !== 'Number') {
    throw invalid(
      'has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.',
    );
  }
  if (attribute.StringValue === undefined || attribute.StringValue === '')
    throw invalid('must contain a non-empty value.');
  if (base === 'Number' && !Number.isFinite(Number(attribute.StringValue))) {
    throw invalid(`with type 'Number' must be a valid number.`);
  }
}

/** The message text an SQS subscriber gets: with `MessageStructure=json`, the `sqs` entry or `default`. */
export function messageForSqs(message: SnsMessage): string {
  if (message.messageStructure !== 'json') return message.message;
  const parsed = JSON.parse(message.message) as { sqs?: unknown; default: string };
  return typeof parsed.sqs === 'string' ? parsed.sqs : parsed.default;
}

/**
 * The JSON notification SNS writes to an SQS queue without raw delivery. Keys in SNS's order; `Subject` and
 * `MessageAttributes` only when present; binary attribute values in base64. The signature is a digest of
 * the canonical string SNS signs, not an RSA signature: there is no certificate to verify it against.
 */
export function notificationEnvelope(
  message: SnsMessage,
  subscriptionArn: string,
  urls: { readonly signingCertUrl: string; readonly unsubscribeUrl: string },
): string {
  const text = messageForSqs(message);
  const timestamp = new Date(message.timestamp).toISOString();
  const stringToSign = [
    ['Message', text],
    ['MessageId', message.messageId],
    ...(message.subject !== undefined ? [['Subject', message.subject]] : []),
    ['Timestamp', timestamp],
    ['TopicArn', message.topicArn],
    ['Type', 'Notification'],
  ]
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
  const attributes = Object.entries(message.messageAttributes);
  return JSON.stringify({
    Type: 'Notification',
    MessageId: message.messageId,
    TopicArn: message.topicArn,
    ...(message.subject !== undefined ? { Subject: message.subject } : {}),
    Message: text,
    Timestamp: timestamp,
    SignatureVersion: '1',
    Signature: createHash('sha1').update(stringToSign).digest('base64'),
    SigningCertURL: urls.signingCertUrl,
    UnsubscribeURL: `${urls.unsubscribeUrl}?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
    ...(attributes.length > 0
      ? {
          MessageAttributes: Object.fromEntries(
            attributes.map(([name, a]) => [
              name,
              {
                Type: a.DataType,
                Value:
                  a.BinaryValue !== undefined
                    ? Buffer.from(a.BinaryValue).toString('base64')
                    : (a.StringValue ?? ''),
              },
            ]),
          ),
        }
      : {}),
  });
}
