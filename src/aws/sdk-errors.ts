/**
 * Turning AWS SDK v3 errors into our {@link DependencyError}. The code is the AWS error name without the SDK's
 * `Exception` suffix. Retryability (tier 2, through SQS) is: IAM's self-clearing conflicts, throttling and
 * server faults the SDK's own bounded retries did not outlast, and network failures. Everything else
 * (NoSuchEntity, AccessDenied, validation, InvalidAuthenticationCode, …) is permanent.
 */
import type { FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
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

/** Whether an SDK error is AWS throttling the request (the SDK's standard retry strategy retries these). */
export function isThrottlingError(error: unknown): boolean {
  const sdk = (error ?? {}) as SdkErrorShape;
  const name = sdk.name && sdk.name !== 'Error' ? sdk.name : (sdk.code ?? '');
  return (
    THROTTLING.has(name) || THROTTLING.has(normaliseErrorCode(name)) || sdk.$metadata?.httpStatusCode === 429
  );
}

/**
 * Calls `onThrottle` for every attempt of the client's calls that AWS throttles — those the SDK then retries
 * and succeeds with, which no error shows, included: the middleware sits inside the SDK's retry loop (the
 * retry middleware is `finalizeRequest`, priority high; this one runs after it, once per attempt). Add it
 * before the client's first call: with `cacheMiddleware` the stack is resolved once.
 */
export function countThrottledAttempts<I extends object, O extends MetadataBearer>(
  client: { readonly middlewareStack: MiddlewareStack<I, O> },
  onThrottle: () => void,
): void {
  const middleware: FinalizeRequestMiddleware<I, O> = (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (isThrottlingError(error)) onThrottle();
      throw error;
    }
  };
  client.middlewareStack.add(middleware, {
    step: 'finalizeRequest',
    priority: 'low',
    name: 'mfaRemediationThrottledAttempts',
  });
}
