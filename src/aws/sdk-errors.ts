/**
 * Turning AWS SDK v3 errors into our {@link DependencyError}. The code is the AWS error name without the SDK's
 * `Exception` suffix. Retryability (tier 2, through SQS) is: IAM's self-clearing conflicts, throttling and
 * server faults the SDK's own bounded retries did not outlast, and network failures. Everything else
 * (NoSuchEntity, AccessDenied, validation, InvalidAuthenticationCode, …) is permanent.
 */
import { DependencyError, isConflict, normaliseErrorCode } from '../errors.ts';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceeded',
]);
const NETWORK = new Set([
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** Wraps any error thrown by an SDK call; our own errors pass through unchanged. */
export function toDependencyError(error: unknown, service: string, operation: string): Error {
  if (error instanceof DependencyError) return error;
  const sdk = (error ?? {}) as SdkErrorShape;
  const rawName = sdk.name && sdk.name !== 'Error' ? sdk.name : (sdk.code ?? 'Unknown');
  const code = normaliseErrorCode(rawName);
  const status = sdk.$metadata?.httpStatusCode;
  const retryable =
    isConflict(error) ||
    THROTTLING.has(rawName) ||
    THROTTLING.has(code) ||
    sdk.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    NETWORK.has(rawName) ||
    NETWORK.has(sdk.code ?? '');
  return new DependencyError(
    `${service}:${operation} failed: ${code}: ${sdk.message ?? String(error)}`.slice(0, 500),
    {
      service,
      operation,
      code,
      retryable,
      ...(status === undefined ? {} : { httpStatus: status }),
      cause: error,
    },
  );
}

/** Runs an SDK call, translating its errors. */
export async function call<T>(service: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toDependencyError(error, service, operation);
  }
}
