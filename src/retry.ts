/**
 * Two-tier retry for IAM's self-clearing conflicts.
 *
 * Tier 1 (here): a few quick in-process retries of ConcurrentModification / EntityTemporarilyUnmodifiable with
 * jittered exponential backoff, bounded by a retry count AND by the time left before the invocation's
 * deadline. The SDK keeps its own bounded retries for throttling and 5xx underneath; p-retry never retries
 * those again, so the layers multiply to a known bound, never to "forever".
 *
 * Tier 2 ({@link visibilityBackoffSeconds}): when tier 1 gives up, the record fails alone and its SQS
 * visibility timeout is stretched exponentially by receive count — AWS says these conflicts clear "after
 * several minutes", far longer than a Lambda should sleep.
 */
import pRetry from 'p-retry';
import { isConflict } from './errors.ts';

export interface ConflictRetryOptions {
  /** Retries after the first attempt. Default 4. */
  retries?: number;
  /** First backoff in ms (before jitter). Default 200. */
  minTimeoutMs?: number;
  /** Largest single backoff in ms. Default 3000. */
  maxTimeoutMs?: number;
  /** Absolute time (epoch ms) after which no new attempt may start. */
  deadline?: number;
  /** Time an attempt needs: no retry starts unless this much remains before the deadline. Default 1000. */
  attemptBudgetMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  /** Called before each retry, e.g. to log. */
  onRetry?: (info: { attempt: number; error: unknown; retriesLeft: number }) => void;
}

/** A conflict that tier 1 gave up on; carries how many attempts were made. */
export interface RetryExhausted {
  attempts: number;
}

/**
 * Runs `fn`, retrying only IAM conflicts (decided by error name), never past the deadline. Any other error
 * is thrown at once. The error thrown after the last attempt is the original one, with `attempts` set.
 */
export async function withConflictRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const retries = options.retries ?? 4;
  const attemptBudgetMs = options.attemptBudgetMs ?? 1000;
  if (!Number.isInteger(retries) || retries < 0)
    throw new TypeError('retries must be a non-negative integer');
  let attempts = 0;
  const remaining = () =>
    options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - now();
  try {
    return await pRetry(
      (attempt) => {
        attempts = attempt;
        return fn(attempt);
      },
      {
        retries,
        factor: 2,
        minTimeout: options.minTimeoutMs ?? 200,
        maxTimeout: options.maxTimeoutMs ?? 3000,
        randomize: true,
        // p-retry clamps each sleep to this, so the last retry still starts before the deadline.
        maxRetryTime: Math.max(0, remaining() - attemptBudgetMs),
        ...(options.signal ? { signal: options.signal } : {}),
        shouldRetry: ({ error }) => isConflict(error) && remaining() > attemptBudgetMs,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (isConflict(error) && retriesLeft > 0) {
            options.onRetry?.({ attempt: attemptNumber, error, retriesLeft });
          }
        },
      },
    );
  } catch (error) {
    if (error && typeof error === 'object') (error as Partial<RetryExhausted>).attempts = attempts;
    throw error;
  }
}

export interface VisibilityBackoffOptions {
  /** Backoff after the first failed receive, seconds. Default 30. */
  baseSeconds?: number;
  /** Cap, seconds. Default 900 (15 minutes). SQS allows up to 43,200. */
  maxSeconds?: number;
  /** Random source for jitter, [0, 1). */
  random?: () => number;
}

/**
 * Tier-2 delay before the next receive: base × 2^(receiveCount − 1), capped, with ±20 % jitter so that records
 * that conflicted together do not come back together.
 */
export function visibilityBackoffSeconds(
  receiveCount: number,
  options: VisibilityBackoffOptions = {},
): number {
  const base = options.baseSeconds ?? 30;
  const max = options.maxSeconds ?? 900;
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, Math.min(receiveCount, 30) - 1);
  const raw = Math.min(max, base * 2 ** exponent);
  const jittered = raw * (0.8 + 0.4 * random());
  return Math.max(1, Math.min(43_200, Math.round(jittered)));
}
