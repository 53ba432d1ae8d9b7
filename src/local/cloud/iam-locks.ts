/**
 * IAM's write conflicts. IAM serialises changes to one entity: a second write to a user while another is
 * being applied fails with ConcurrentModification (409), which the SDKs do not retry. The local cloud holds a
 * per-user lock for the whole life of a write request, injected latency included, so concurrent writers
 * see the conflict deterministically; `windowMs` extends the busy period after each write, to model AWS's
 * short settling time. Sequential writes with the default window of 0 never conflict.
 */
import { iamErrors } from './iam-errors.ts';

export interface WriteLocks {
  /** Takes the lock or throws ConcurrentModification; returns the (idempotent) release function. */
  acquire(key: string, userName: string): () => void;
  reset(): void;
}

/**
 * Creates the lock table. The window runs on the monotonic wall clock, not the environment's clock: it models
 * real elapsed time between requests, and tests that freeze the environment clock must not freeze locks.
 */
export function createWriteLocks(options: { windowMs?: number; clock?: () => number } = {}): WriteLocks {
  const windowMs = options.windowMs ?? 0;
  const clock = options.clock ?? (() => performance.now());
  const entries = new Map<string, { inFlight: boolean; busyUntil: number }>();

  return {
    acquire(key, userName) {
      const entry = entries.get(key);
      if (entry && (entry.inFlight || clock() < entry.busyUntil)) {
        throw iamErrors.concurrentModification(userName);
      }
      const held = { inFlight: true, busyUntil: 0 };
      entries.set(key, held);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (windowMs > 0) {
          held.inFlight = false;
          held.busyUntil = clock() + windowMs;
        } else if (entries.get(key) === held) {
          entries.delete(key);
        }
      };
    },
    reset() {
      entries.clear();
    },
  };
}
