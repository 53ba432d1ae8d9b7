/**
 * Shares calls between records that finish close together: items added by many callers are sent in batches
 * (a full batch at once, any other within `lingerMs` of its first item, or at once when nothing else is
 * coming), and every caller gets the answers for its own items only. A batch that fails fails the items in
 * it, never the others.
 *
 * Items can be grouped (items of different groups never share a batch: a BatchUpdateFindings call has one
 * status and one note) and keyed (two items with the same key are sent in the order they were added: the
 * later one's batch waits until the earlier one's has been answered).
 */

export interface CoalescerOptions<I, R> {
  /** Sends one batch (at most `maxItems`, one group); answers per item, in order. */
  readonly send: (items: readonly I[]) => Promise<readonly R[]>;
  /** Items per batch: a batch this full is sent at once. */
  readonly maxItems: number;
  /** The longest a batch waits for more items after its first one arrived. */
  readonly lingerMs: number;
  readonly groupOf?: (item: I) => string;
  readonly keyOf?: (item: I) => string;
  /** True when no more items are likely to come soon: pending batches are then sent without lingering. */
  readonly idle?: () => boolean;
}

export interface Coalescer<I, R> {
  /** Queues the items; resolves with their answers, in order, once every one has been sent and answered. */
  add(items: readonly I[]): Promise<R[]>;
  /** Sends every pending batch now. */
  flush(): void;
  /** Resolves once every batch sent or pending so far has been answered. */
  settled(): Promise<void>;
}

interface Entry<I, R> {
  readonly item: I;
  readonly resolve: (answer: R) => void;
  readonly reject: (error: unknown) => void;
}

interface Pending<I, R> {
  readonly entries: Entry<I, R>[];
  readonly keys: Set<string>;
  timer?: ReturnType<typeof setTimeout>;
}

export function createCoalescer<I, R>(options: CoalescerOptions<I, R>): Coalescer<I, R> {
  const { maxItems, lingerMs } = options;
  if (!Number.isInteger(maxItems) || maxItems < 1)
    throw new RangeError(`maxItems must be ≥ 1, got ${maxItems}`);
  if (!(lingerMs >= 0)) throw new RangeError(`lingerMs must be ≥ 0, got ${lingerMs}`);
  const groupOf = options.groupOf ?? (() => '');
  const keyOf = options.keyOf;
  const pending = new Map<string, Pending<I, R>>();
  /** Batches sent and not yet answered, by the keys they hold. */
  const inFlightByKey = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let flushQueued = false;

  const send = (group: string) => {
    const batch = pending.get(group);
    if (!batch) return;
    pending.delete(group);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const earlier = [...batch.keys].flatMap((key) => {
      const previous = inFlightByKey.get(key);
      return previous ? [previous] : [];
    });
    const sent = (async () => {
      await Promise.all(earlier);
      let answers: readonly R[];
      try {
        answers = await options.send(batch.entries.map((e) => e.item));
      } catch (error) {
        for (const entry of batch.entries) entry.reject(error);
        return;
      }
      batch.entries.forEach((entry, index) => {
        if (index < answers.length) entry.resolve(answers[index] as R);
        else entry.reject(new Error('no answer for the item'));
      });
    })();
    inFlight.add(sent);
    for (const key of batch.keys) inFlightByKey.set(key, sent);
    void sent.finally(() => {
      inFlight.delete(sent);
      for (const key of batch.keys) if (inFlightByKey.get(key) === sent) inFlightByKey.delete(key);
    });
  };

  const flush = () => {
    for (const group of [...pending.keys()]) send(group);
  };

  const queueIdleFlush = () => {
    if (flushQueued || !options.idle) return;
    flushQueued = true;
    // After the current synchronous work: items added in the same turn still share the batch.
    queueMicrotask(() => {
      flushQueued = false;
      if (options.idle?.()) flush();
    });
  };

  const addOne = (entry: Entry<I, R>) => {
    const group = groupOf(entry.item);
    const key = keyOf?.(entry.item);
    if (key !== undefined) {
      // The same key pending in another group: that one was added first and must be sent first.
      for (const [other, batch] of pending) if (other !== group && batch.keys.has(key)) send(other);
    }
    let batch = pending.get(group);
    if (!batch) {
      batch = { entries: [], keys: new Set() };
      pending.set(group, batch);
      batch.timer = setTimeout(() => send(group), lingerMs);
    }
    batch.entries.push(entry);
    if (key !== undefined) batch.keys.add(key);
    if (batch.entries.length >= maxItems) send(group);
  };

  return {
    add(items) {
      const answers = items.map(
        (item) =>
          new Promise<R>((resolve, reject) => {
            addOne({ item, resolve, reject });
          }),
      );
      queueIdleFlush();
      return Promise.all(answers);
    },
    flush,
    async settled() {
      flush();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
