/**
 * Message attributes: validation on send (the rules SQS documents), selection on receive
 * (`MessageAttributeNames`), and the JSON wire form (`{DataType, StringValue | BinaryValue}`, binary in base64).
 */
import type { StoredMessageAttribute } from './sqs-md5.ts';
import { sqsError } from './sqs-wire.ts';

/** The JSON wire form of one message attribute. */
export interface WireMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

const MAX_ATTRIBUTES = 10;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,256}$/;

/** Parses and validates the `MessageAttributes` map of a SendMessage(Batch) entry. */
export function parseMessageAttributes(raw: unknown): Record<string, StoredMessageAttribute> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw sqsError('InvalidParameterValue', 'MessageAttributes must be a map.');
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_ATTRIBUTES) {
    throw sqsError(
      'InvalidParameterValue',
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  const out: Record<string, StoredMessageAttribute> = {};
  for (const [name, value] of entries) out[name] = parseOne(name, value);
  return out;
}

function parseOne(name: string, raw: unknown): StoredMessageAttribute {
  const invalid = (message: string) => sqsError('InvalidParameterValue', message);
  if (!isValidAttributeName(name)) {
    throw invalid(`Message (user) attribute name '${name}' is invalid.`);
  }
  const value = (raw ?? {}) as Partial<WireMessageAttribute> & Record<string, unknown>;
  const dataType = typeof value.DataType === 'string' ? value.DataType : '';
  if (dataType === '') {
    throw invalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
  }
  const base = dataType.split('.')[0];
  if (base === 'Binary') {
    if (typeof value.BinaryValue !== 'string' || value.BinaryValue === '') {
      throw invalid(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    return { dataType, binaryValue: Buffer.from(value.BinaryValue, 'base64') };
  }
  if (base !== 'String' && base !== 'Number') {
    throw invalid(
      `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
    );
  }
  if (typeof value.StringValue !== 'string' || value.StringValue === '') {
    throw invalid(
      `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
    );
  }
  if (base === 'Number' && !Number.isFinite(Number(value.StringValue))) {
    throw invalid(`Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
  return { dataType, stringValue: value.StringValue };
}

/** SQS names: letters, digits, `_ - .`; no leading/trailing or doubled periods; no `AWS.` / `Amazon.` prefix. */
function isValidAttributeName(name: string): boolean {
  return (
    NAME_PATTERN.test(name) &&
    !name.startsWith('.') &&
    !name.endsWith('.') &&
    !name.includes('..') &&
    !/^(aws|amazon)\./i.test(name)
  );
}

/**
 * The attributes a receive asked for: `All` or `.*` selects every one, `prefix.*` those under a prefix,
 * anything else an exact name. SQS returns none unless asked.
 */
export function selectMessageAttributes(
  attributes: Readonly<Record<string, StoredMessageAttribute>>,
  requested: readonly string[],
): Record<string, StoredMessageAttribute> {
  const selected: Record<string, StoredMessageAttribute> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = requested.some((pattern) => {
      if (pattern === 'All' || pattern === '.*') return true;
      if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
      return pattern === name;
    });
    if (wanted) selected[name] = value;
  }
  return selected;
}

/** The JSON wire form of stored attributes. */
export function toWireMessageAttributes(
  attributes: Readonly<Record<string, StoredMessageAttribute>>,
): Record<string, WireMessageAttribute> {
  const out: Record<string, WireMessageAttribute> = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] =
      value.binaryValue !== undefined
        ? { DataType: value.dataType, BinaryValue: value.binaryValue.toString('base64') }
        : { DataType: value.dataType, StringValue: value.stringValue ?? '' };
  }
  return out;
}

/** Bytes the attributes count towards the message size limit (name + type + value, as SQS counts them). */
export function messageAttributesSize(attributes: Readonly<Record<string, StoredMessageAttribute>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.dataType);
    size += value.binaryValue?.length ?? Buffer.byteLength(value.stringValue ?? '');
  }
  return size;
}
