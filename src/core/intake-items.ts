/**
 * Building intake items and the reasons of terminal ones. Reasons name the field with a JSON-path-like
 * location, so that an operator looking at a parked body knows where to look, and they never contain input
 * values: a body may hold authentication codes, and reasons travel to SNS subscribers, logs and the
 * dead-letter queue.
 */
import type * as z from 'zod';
import type { IntakeItem, TerminalItem, Trigger, WorkItem } from './model.ts';

/** A path segment as zod reports it. */
export type PathSegment = PropertyKey;

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/**
 * Joins path segments JSON-path style: `detail.findings[1].AwsAccountId`. Keys that are not identifiers are
 * bracketed (`ProductFields["aws/securityhub/FindingId"]`). An empty path is the empty string.
 */
export function formatPath(segments: readonly PathSegment[], prefix = ''): string {
  let path = prefix;
  for (const segment of segments) {
    // Keys come from the message: cut long ones so a hostile key cannot flood a reason.
    const key = String(segment).length > 64 ? `${String(segment).slice(0, 61)}...` : String(segment);
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (IDENTIFIER.test(key)) path += path ? `.${key}` : key;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

/** One issue, as `path: message`. zod 4 messages describe the expectation, never the received value. */
export function formatZodIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  if (issue.code === 'unrecognized_keys') {
    const fields = issue.keys.map((key) => formatPath([...issue.path, key], prefix));
    return `${fields.join(', ')}: ${fields.length > 1 ? 'unknown fields' : 'unknown field'}`;
  }
  const path = formatPath(issue.path, prefix);
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  const message = missing ? `is required (expected ${issue.expected})` : issue.message;
  return `${path || '(message)'}: ${message}`;
}

/** The field and reason for a failed parse: the first three issues, then a count of the rest. */
export function describeZodError(error: z.ZodError, prefix = ''): { field: string; reason: string } {
  const [first] = error.issues;
  const firstPath = first?.code === 'unrecognized_keys' ? [...first.path, first.keys[0] ?? ''] : first?.path;
  const shown = error.issues.slice(0, 3).map((issue) => formatZodIssue(issue, prefix));
  const rest = error.issues.length - shown.length;
  return {
    field: (firstPath && formatPath(firstPath, prefix)) || prefix || 'body',
    reason: rest > 0 ? `${shown.join('; ')}; and ${rest} more` : shown.join('; '),
  };
}

const PLAIN = /^[\w.:/@+=,-]+(?: [\w.:/@+=,-]+)*$/;

/**
 * A value quoted for a reason: plain short tokens as they are (`PASSED`, `IAM.8`), anything else
 * JSON-quoted and cut to 64 characters, so a hostile value cannot flood or forge a log line.
 */
export function show(value: unknown): string {
  if (typeof value === 'string' && value.length <= 64 && PLAIN.test(value)) return value;
  let text: string;
  try {
    // A long string is cut before it is quoted: a 300 KB value must not be copied to be shortened.
    text = JSON.stringify(typeof value === 'string' ? value.slice(0, 64) : value) ?? String(value);
  } catch {
    // Too deep or cyclic to stringify: say what it is rather than fail.
    text = Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  }
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/** Who a terminal item is about, as far as the message said. */
export interface TerminalSubject {
  accountId?: string | undefined;
  region?: string | undefined;
  userName?: string | undefined;
}

/** A `rejected` terminal item. */
export function rejected(
  reason: string,
  field: string,
  trigger: Trigger,
  subject: TerminalSubject = {},
): TerminalItem {
  return withoutUndefined({ outcome: 'rejected', reason, field, trigger, ...subject });
}

/** An `ignored` or `manual-action-required` terminal item. */
export function settled(
  outcome: 'ignored' | 'manual-action-required',
  reason: string,
  trigger: Trigger,
  subject: TerminalSubject = {},
): TerminalItem {
  return withoutUndefined({ outcome, reason, trigger, ...subject });
}

/** Drops `undefined` properties: items and triggers leave absent fields out. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Wraps a work item. */
export function work(item: WorkItem): IntakeItem {
  return { kind: 'work', work: withoutUndefined(item) };
}

/** Wraps a terminal item. */
export function terminal(item: TerminalItem): IntakeItem {
  return { kind: 'terminal', terminal: item };
}

/** What every shape's parser needs to know about the message it came in. */
export interface IntakeContext {
  /** SQS message id, copied into every trigger. */
  readonly messageId?: string | undefined;
}
