/**
 * Reading SQS request members with the errors SQS returns for missing or malformed ones.
 */
import { sqsError } from './sqs-wire.ts';

/** A JSON request document. */
export type Input = Readonly<Record<string, unknown>>;

/** A required string member; absent or empty is `MissingParameter`, as SQS answers. */
export function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') {
    throw sqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  if (typeof value !== 'string')
    throw sqsError('InvalidParameterValue', `Value for parameter ${name} is invalid.`);
  return value;
}

/** An optional string member. */
export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw sqsError('InvalidParameterValue', `Value for parameter ${name} is invalid.`);
  return value;
}

/** An optional integer member within `[min, max]`, with SQS's "Must be between" wording otherwise. */
export function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw sqsError(
      'InvalidParameterValue',
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return n;
}

/** An optional list of strings. */
export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw sqsError('InvalidParameterValue', `Value for parameter ${name} is invalid.`);
  }
  return value as string[];
}

/** An optional string-to-string map (queue attributes, tags). */
export function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw sqsError('InvalidParameterValue', `Value for parameter ${name} is invalid.`);
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) out[key] = String(v);
  return out;
}

const BATCH_LIMIT = 10;
const BATCH_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The `Entries` of a batch request, checked as SQS checks them, in the same order: at least one, at most
 * ten, well-formed ids, no id twice.
 */
export function batchEntries(input: Input, entryShape: string): Input[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw sqsError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`);
  }
  if (entries.length > BATCH_LIMIT) {
    throw sqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${BATCH_LIMIT}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !BATCH_ID_PATTERN.test(id)) {
      throw sqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw sqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Input[];
}
