/**
 * Runs records with two constraints at once: at most `concurrency` hold a slot (the IAM work of a record: the
 * bound that protects IAM's account-wide request rate), and records that share a key (the users they name)
 * run in the order they were submitted, each only once every earlier one with a key in common has finished
 * entirely — so a containment never overtakes the release that followed it, across receives as within one.
 *
 * A task may give its slot back before it ends ({@link Slot.release}): a record whose IAM work is done and
 * that only waits for its finding updates and outcomes to be sent in shared calls no longer needs one. Its
 * keys stay held until it ends, so the next record about the same user still waits for it.
 */

export interface Slot {
  /** Gives the slot back before the task ends; idempotent. The task's keys stay held until it ends. */
  release(): void;
}

export interface SchedulerOptions {
  /** Tasks holding a slot at once; at least 1. */
  readonly concurrency: number;
  /** Called (in a microtask) whenever the last slot-holding task gives its slot back and none is ready. */
  readonly onIdle?: () => void;
}

export interface Scheduler {
  /**
   * Queues `task`: it starts once every earlier task sharing one of `keys` has ended, `ready` (if given) has
   * settled, and a slot is free. Resolves or rejects as the task does.
   */
  run<T>(keys: readonly string[], task: (slot: Slot) => Promise<T>, ready?: Promise<unknown>): Promise<T>;
  /** Tasks holding a slot now. */
  readonly running: number;
  /** Tasks queued and not started (waiting for a key, `ready` or a slot). */
  readonly waiting: number;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
  }
  /** The promise of the last task queued for each key, settled (never rejected) when it ends. */
  const tails = new Map<string, Promise<void>>();
  /** Tasks whose keys and `ready` are clear, in the order they became ready. */
  const ready: (() => void)[] = [];
  let running = 0;
  let waiting = 0;
  let idleQueued = false;

  const dispatch = () => {
    while (running < concurrency && ready.length > 0) {
      running++;
      (ready.shift() as () => void)();
    }
    if (running === 0 && ready.length === 0 && options.onIdle && !idleQueued) {
      idleQueued = true;
      // After the current synchronous work: the task that just gave its slot back queues what it sends
      // next (its finding updates) before the idle hook sends everything pending.
      queueMicrotask(() => {
        idleQueued = false;
        if (running === 0 && ready.length === 0) options.onIdle?.();
      });
    }
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      return waiting;
    },
    run<T>(keys: readonly string[], task: (slot: Slot) => Promise<T>, readyPromise?: Promise<unknown>) {
      const unique = [...new Set(keys)];
      const before = unique.flatMap((key) => {
        const tail = tails.get(key);
        return tail ? [tail] : [];
      });
      let end!: () => void;
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      for (const key of unique) tails.set(key, ended);
      waiting++;
      const cleared = Promise.all([...before, readyPromise?.catch(() => undefined)]);
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          waiting--;
          let held = true;
          const release = () => {
            if (!held) return;
            held = false;
            running--;
            dispatch();
          };
          let outcome: Promise<T>;
          try {
            outcome = task({ release });
          } catch (error) {
            outcome = Promise.reject(error);
          }
          outcome.then(resolve, reject).finally(() => {
            for (const key of unique) if (tails.get(key) === ended) tails.delete(key);
            end();
            release();
          });
        };
        void cleared.then(() => {
          ready.push(start);
          dispatch();
        });
      });
    },
  };
}
