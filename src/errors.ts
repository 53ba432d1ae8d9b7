/**
 * The product's error hierarchy. Every error we raise or translate carries a stable `code`, whether it is
 * worth retrying, and the original `cause`, so that one predicate ({@link isRetryable}) decides retries
 * everywhere and outcomes can report `{ code, message, retryable }` without leaking SDK internals.
 */
export class MfaRemediationError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }
}

/** Input that fails validation: a message, a flag or a field. Never retryable. */
export class ValidationError extends MfaRemediationError {
  /** The field (JSON path, flag or variable) that was wrong. */
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string; code?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'validation', retryable: false, cause: options.cause });
    this.field = options.field;
  }
}

/** Invalid configuration: stops start-up with one line naming the variable or flag. */
export class ConfigError extends MfaRemediationError {
  readonly variable: string;

  constructor(variable: string, message: string, cause?: unknown) {
    super(`${variable}: ${message}`, { code: 'config', retryable: false, cause });
    this.variable = variable;
  }
}

/**
 * A call to an AWS service failed. `code` is the AWS error name without the SDK's `Exception` suffix
 * (e.g. `ConcurrentModification`, `NoSuchEntity`), so that outcomes and logs match AWS documentation.
 */
export class DependencyError extends MfaRemediationError {
  readonly service: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;

  constructor(
    message: string,
    options: {
      service: string;
      operation: string;
      code: string;
      retryable: boolean;
      httpStatus?: number;
      cause?: unknown;
    },
  ) {
    super(message, { code: options.code, retryable: options.retryable, cause: options.cause });
    this.service = options.service;
    this.operation = options.operation;
    this.httpStatus = options.httpStatus;
  }
}

/**
 * IAM conflicts that AWS documents as clearing by themselves ("wait a few minutes and submit your request
 * again"). The SDK does not retry them, so we do: quickly in-process, then durably through SQS.
 */
export const CONFLICT_CODES = ['ConcurrentModification', 'EntityTemporarilyUnmodifiable'] as const;

/** Strips the SDK's `Exception` suffix so both `ConcurrentModificationException` and the wire code match. */
export function normaliseErrorCode(name: string): string {
  return name.endsWith('Exception') ? name.slice(0, -'Exception'.length) : name;
}

/** The AWS error code of any error (ours or the SDK's), without the `Exception` suffix. */
export function errorCode(err: unknown): string {
  if (err instanceof MfaRemediationError) return err.code;
  if (err instanceof Error) {
    const named = (err as { Code?: unknown; code?: unknown }).Code ?? err.name;
    return normaliseErrorCode(typeof named === 'string' ? named : err.name);
  }
  return 'Unknown';
}

/** True for the IAM conflicts that clear by themselves; decided by error name, never by message text. */
export function isConflict(err: unknown): boolean {
  return (CONFLICT_CODES as readonly string[]).includes(errorCode(err));
}

/**
 * The one retry predicate. Our own errors say whether they are retryable; a raw SDK error is retryable
 * only when it is one of the IAM conflicts (throttling and 5xx were already retried by the SDK itself).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof MfaRemediationError) return err.retryable;
  return isConflict(err);
}

/** A short, safe description of an error for outcomes: never includes request parameters. */
export function describeError(err: unknown): { code: string; message: string; retryable: boolean } {
  const message = err instanceof Error ? err.message : String(err);
  return { code: errorCode(err), message: message.slice(0, 500), retryable: isRetryable(err) };
}
