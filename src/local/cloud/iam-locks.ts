/**
 * IAM's write conflicts. IAM serialises changes to one entity: a second write to a user while another is
 * being applied fails with ConcurrentModification (409), which the SDKs do not retry. The local cloud holds a
 * per-user lock for the whole life of a write request, injected latency included, and a write holds its user
 * for at least `windowMs` (IAM applies a change in a few milliseconds, not in the microseconds an in-process
 * map takes), so concurrent writers see the conflict even at 0 ms latency, as on AWS, while a caller that
 * waits for each answer before its next write never conflicts with itself.
 */
import { iamErrors } from './iam-errors.ts';

/** How long a write holds its user by default: a few milliseconds, like IAM's own processing. */
export const DEFAULT_CONFLICT_WINDOW_MS = 5;

export interface WriteLocks {
  /** Takes the lock or throws ConcurrentModification; returns the (idempotent) release function. */
  acquire(key: string, userName: string): () => void;
  /** Milliseconds a write keeps its lock before it answers. */
  readonly windowMs: number;
  reset(): void;
}

/** Creates the lock table. */
export function createWriteLocks(options: { windowMs?: number } = {}): WriteLocks {
  const windowMs = options.windowMs ?? DEFAULT_CONFLICT_WINDOW_MS;
  const held = new Map<string, symbol>();

  return {
    windowMs,
    acquire(key, userName) {
      if (held.has(key)) throw iamErrors.concurrentModification(userName);
      const token = Symbol(key);
      held.set(key, token);
      return () => {
        if (held.get(key) === token) held.delete(key);
      };
    },
    reset() {
      held.clear();
    },
  };
}
