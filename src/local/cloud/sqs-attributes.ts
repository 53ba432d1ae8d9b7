/**
 * Queue attributes: which ones CreateQueue / SetQueueAttributes accept, their ranges and defaults, and the
 * RedrivePolicy document. Values are kept as the strings SQS returns from GetQueueAttributes.
 */
import { sqsError } from './sqs-wire.ts';

/** A queue's dead-letter configuration (the RedrivePolicy attribute). */
export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** Defaults SQS applies to a new standard queue. */
export const DEFAULT_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  // SQS raised the maximum (and default) message size from 256 KiB to 1 MiB in 2025.
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

type Validator = (value: string, name: string) => string;

const integerIn =
  (min: number, max: number): Validator =>
  (value, name) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
    }
    return String(n);
  };

const anyString: Validator = (value) => value;

const booleanString: Validator = (value, name) => {
  const lower = value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') {
    throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
  }
  return lower;
};

const jsonDocument: Validator = (value, name) => {
  if (value === '') return value;
  try {
    JSON.parse(value);
    return value;
  } catch {
    throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
  }
};

/** Attributes a caller may set, with their validators (RedrivePolicy is checked against existing queues). */
const SETTABLE: Readonly<Record<string, Validator>> = {
  DelaySeconds: integerIn(0, 900),
  MaximumMessageSize: integerIn(1024, 1048576),
  MessageRetentionPeriod: integerIn(60, 1209600),
  ReceiveMessageWaitTimeSeconds: integerIn(0, 20),
  VisibilityTimeout: integerIn(0, 43200),
  Policy: jsonDocument,
  RedrivePolicy: anyString,
  RedriveAllowPolicy: jsonDocument,
  KmsMasterKeyId: anyString,
  KmsDataKeyReusePeriodSeconds: integerIn(60, 86400),
  SqsManagedSseEnabled: booleanString,
};

/** Attributes computed by SQS that GetQueueAttributes also returns. */
export const COMPUTED_QUEUE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** Whether a name is a queue attribute GetQueueAttributes knows. */
export function isQueueAttributeName(name: string): boolean {
  return (
    name === 'All' || name in SETTABLE || (COMPUTED_QUEUE_ATTRIBUTES as readonly string[]).includes(name)
  );
}

/**
 * Validates attributes given to CreateQueue / SetQueueAttributes and returns them normalised. FIFO queues are
 * not emulated, so `FifoQueue=true` is refused rather than silently creating a standard queue.
 */
export function validateQueueAttributes(
  attributes: Readonly<Record<string, unknown>>,
  deadLetterTargetExists: (arn: string) => boolean,
): Record<string, string> {
  const normalised: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    const value = String(raw);
    if (name === 'FifoQueue' || name === 'ContentBasedDeduplication') {
      if (value.toLowerCase() === 'false') continue;
      throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}. FIFO queues are not emulated.`);
    }
    const validate = SETTABLE[name];
    if (!validate) throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    normalised[name] =
      name === 'RedrivePolicy'
        ? normaliseRedrivePolicy(value, deadLetterTargetExists)
        : validate(value, name);
  }
  return normalised;
}

/** The parsed RedrivePolicy attribute, or undefined when the queue has none. */
export function parseRedrivePolicy(value: string | undefined): RedrivePolicy | undefined {
  if (!value) return undefined;
  const parsed = JSON.parse(value) as { deadLetterTargetArn: string; maxReceiveCount: number };
  return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: Number(parsed.maxReceiveCount) };
}

/**
 * SQS accepts `maxReceiveCount` as a number or a numeric string and returns it as a number; the dead-letter
 * queue must already exist. An empty value removes the policy.
 */
function normaliseRedrivePolicy(value: string, deadLetterTargetExists: (arn: string) => boolean): string {
  if (value === '') return '';
  const invalid = (reason: string) =>
    sqsError(
      'InvalidParameterValue',
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid('Redrive policy is not a valid JSON map.');
  }
  const policy = (parsed ?? {}) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  if (typeof policy.deadLetterTargetArn !== 'string') {
    throw invalid('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
  }
  const count = Number(policy.maxReceiveCount);
  if (policy.maxReceiveCount === undefined || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalid(
      `Invalid value for maxReceiveCount: ${String(policy.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  if (!deadLetterTargetExists(policy.deadLetterTargetArn))
    throw invalid('Dead letter target does not exist.');
  return JSON.stringify({ deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: count });
}
