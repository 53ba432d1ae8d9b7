/**
 * The dispatch layer shared by the Lambda handler and the poller: the keyed scheduler (slots, per-user order,
 * a slot given back early), the coalescer behind shared calls (full batches at once, a bounded wait
 * otherwise, answers per caller, failures isolated, order per key), and the shared publisher and finding
 * updates built on it, end to end through processBatch with in-memory ports.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processBatch } from '../../src/core/batch.ts';
import { createCoalescer } from '../../src/core/dispatch/coalescer.ts';
import { createScheduler } from '../../src/core/dispatch/scheduler.ts';
import { createSharedFindings, createSharedPublisher } from '../../src/core/dispatch/shared-calls.ts';
import type { FindingRef, Outcome } from '../../src/core/model.ts';
import type { FindingsPort, OutcomePublisher } from '../../src/core/ports.ts';
import { findingKey } from '../../src/core/ports.ts';
import type { RecordInput } from '../../src/core/processor.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { ACCOUNT, addFinding, createTestDeps } from '../helpers/deps.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A promise and its resolver, to drive tasks by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('scheduler', () => {
  it('runs at most `concurrency` tasks at once, and tasks sharing a key in order, never together', async () => {
    // Prepare
    const scheduler = createScheduler({ concurrency: 2 });
    const events: string[] = [];
    let running = 0;
    let peak = 0;
    const task = (name: string, ms: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      running--;
    };

    // Act: a1 and a2 share a user; b and c are others.
    await Promise.all([
      scheduler.run(['u/a'], task('a1', 20)),
      scheduler.run(['u/a'], task('a2', 1)),
      scheduler.run(['u/b'], task('b', 5)),
      scheduler.run(['u/c'], task('c', 5)),
    ]);

    // Assess
    expect(peak).toBe(2);
    expect(events.indexOf('start a2')).toBeGreaterThan(events.indexOf('end a1'));
    expect(events.indexOf('start b')).toBeLessThan(events.indexOf('end a1'));
  });

  it('gives a slot back early, while the task keeps its keys until it ends', async () => {
    // Prepare
    const idle = vi.fn();
    const scheduler = createScheduler({ concurrency: 1, onIdle: idle });
    const publish = gate();
    const events: string[] = [];

    // Act: `first` frees its slot after its IAM work and then waits (for its outcomes to be published).
    const first = scheduler.run(['u/a'], async (slot) => {
      events.push('first work');
      slot.release();
      await publish.opened;
      events.push('first done');
    });
    const other = scheduler.run(['u/b'], async () => {
      events.push('other user');
    });
    const same = scheduler.run(['u/a'], async () => {
      events.push('same user');
    });
    await other;
    await tick();

    // Assess: another user's record used the slot; the same user's waits for the first to end.
    expect(events).toEqual(['first work', 'other user']);
    expect(scheduler.running).toBe(0);
    expect(idle).toHaveBeenCalled();
    publish.open();
    await Promise.all([first, same]);
    expect(events).toEqual(['first work', 'other user', 'first done', 'same user']);
  });

  it('does not start a task before its `ready` promise settles, and a throwing task fails only itself', async () => {
    // Prepare
    const scheduler = createScheduler({ concurrency: 4 });
    const prefetch = gate();
    const started = vi.fn();

    // Act
    const waiting = scheduler.run([], async () => started(), prefetch.opened);
    const failing = scheduler
      .run(['u/a'], async () => {
        throw new Error('boom');
      })
      .catch((error: unknown) => error);
    const after = scheduler.run(['u/a'], async () => 'after');
    await tick();

    // Assess
    expect(started).not.toHaveBeenCalled();
    expect(scheduler.waiting).toBe(1);
    expect(await failing).toMatchObject({ message: 'boom' });
    await expect(after).resolves.toBe('after');
    prefetch.open();
    await waiting;
    expect(started).toHaveBeenCalledOnce();
  });

  it('refuses a concurrency below 1', () => {
    expect(() => createScheduler({ concurrency: 0 })).toThrow(RangeError);
  });
});

describe('coalescer', () => {
  it('sends a full batch at once and a partial one within the linger bound, answering each caller', async () => {
    // Prepare
    vi.useFakeTimers();
    const sent: number[][] = [];
    const coalescer = createCoalescer<number, number>({
      maxItems: 3,
      lingerMs: 100,
      send: async (items) => {
        sent.push([...items]);
        return items.map((item) => item * 10);
      },
    });

    // Act
    const first = coalescer.add([1, 2]);
    const second = coalescer.add([3, 4]);
    await vi.advanceTimersByTimeAsync(0);

    // Assess: [1, 2, 3] was full; 4 waits for company, at most 100 ms.
    expect(sent).toEqual([[1, 2, 3]]);
    await expect(first).resolves.toEqual([10, 20]);
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[1, 2, 3], [4]]);
    await expect(second).resolves.toEqual([30, 40]);
  });

  it('sends at once when nothing else is coming (idle), still joining what arrives in the same turn', async () => {
    // Prepare
    const sent: string[][] = [];
    const coalescer = createCoalescer<string, string>({
      maxItems: 10,
      lingerMs: 60_000,
      idle: () => true,
      send: async (items) => {
        sent.push([...items]);
        return items;
      },
    });

    // Act
    const answers = await Promise.all([coalescer.add(['a']), coalescer.add(['b'])]);

    // Assess
    expect(answers).toEqual([['a'], ['b']]);
    expect(sent).toEqual([['a', 'b']]);
  });

  it('fails only the items of a batch that failed, and never mixes groups', async () => {
    // Prepare
    const coalescer = createCoalescer<{ group: string; id: number }, number>({
      maxItems: 10,
      lingerMs: 0,
      groupOf: (item) => item.group,
      send: async (items) => {
        if (items[0]?.group === 'bad') throw new Error('service unavailable');
        return items.map((item) => item.id);
      },
    });

    // Act
    const good = coalescer.add([
      { group: 'good', id: 1 },
      { group: 'good', id: 2 },
    ]);
    const bad = coalescer.add([{ group: 'bad', id: 3 }]);

    // Assess
    await expect(good).resolves.toEqual([1, 2]);
    await expect(bad).rejects.toThrow('service unavailable');
  });

  it('sends changes to the same key in the order they were added, even across groups', async () => {
    // Prepare
    const order: string[] = [];
    const first = gate();
    const coalescer = createCoalescer<{ key: string; status: string }, string>({
      maxItems: 10,
      lingerMs: 50,
      groupOf: (item) => item.status,
      keyOf: (item) => item.key,
      send: async (items) => {
        const status = items[0]?.status ?? '';
        if (status === 'NOTIFIED') await first.opened;
        order.push(status);
        return items.map(() => status);
      },
    });

    // Act: NOTIFIED then RESOLVED for the same finding; the first call is slow.
    const notified = coalescer.add([{ key: 'f1', status: 'NOTIFIED' }]);
    const resolved = coalescer.add([{ key: 'f1', status: 'RESOLVED' }]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    first.open();

    // Assess: the later change is sent only once the earlier one was answered.
    await Promise.all([notified, resolved]);
    expect(order).toEqual(['NOTIFIED', 'RESOLVED']);
  });
});

function outcome(userName: string): Outcome {
  return {
    schema: 'mfa-remediation/outcome@1',
    outcome: 'already-compliant',
    trigger: { source: 'manual' },
    actions: [],
    attempts: 1,
    dryRun: false,
    occurredAt: '2026-11-23T10:00:00.000Z',
    accountId: ACCOUNT,
    userName,
  };
}

describe('shared publisher and finding updates', () => {
  it("publishes several records' outcomes in one call, and a failed entry fails only its own record", async () => {
    // Prepare
    const calls: Outcome[][] = [];
    const inner: OutcomePublisher = {
      async publish(outcomes) {
        calls.push([...outcomes]);
        return { failed: outcomes.filter((o) => o.userName === 'carol') };
      },
    };
    const publisher = createSharedPublisher(inner, { lingerMs: 10 });

    // Act
    const [alice, bob, carol] = await Promise.all([
      publisher.publish([outcome('alice')]),
      publisher.publish([outcome('bob'), outcome('bob')]),
      publisher.publish([outcome('carol')]),
    ]);

    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(4);
    expect(alice?.failed).toEqual([]);
    expect(bob?.failed).toEqual([]);
    expect(carol?.failed.map((o) => o.userName)).toEqual(['carol']);
  });

  it('updates findings that need the same change in one call, one per status and note', async () => {
    // Prepare
    const calls: number[] = [];
    const inner: FindingsPort = {
      describe: async () => new Map(),
      async update(changes) {
        calls.push(changes.length);
        return new Map(changes.map((c) => [findingKey(c.ref), 'applied' as const]));
      },
    };
    const findings = createSharedFindings(inner, { lingerMs: 10 });
    const ref = (id: string): FindingRef => ({
      generation: 'asff',
      id,
      productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    });

    // Act
    const results = await Promise.all([
      findings.update([{ ref: ref('f1'), status: 'RESOLVED', note: 'n' }]),
      findings.update([{ ref: ref('f2'), status: 'RESOLVED', note: 'n' }]),
      findings.update([{ ref: ref('f3'), status: 'NOTIFIED', note: 'm' }]),
    ]);

    // Assess
    expect(calls.sort()).toEqual([1, 2]);
    expect(results.map((r) => [...r.values()])).toEqual([['applied'], ['applied'], ['applied']]);
  });
});

describe('processBatch shares calls across the records of an invocation', () => {
  function securityHubRecord(userName: string): RecordInput {
    const finding = makeFinding({ userName, accountId: ACCOUNT });
    return {
      messageId: `m-${userName}`,
      body: JSON.stringify(makeSecurityHubEvent([finding], { account: ACCOUNT })),
      receiptHandle: `rh-${userName}`,
      receiveCount: 1,
    };
  }

  it('ten records: one publish, one update per change, each record acknowledged with its own update', async () => {
    // Prepare
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    const publishCalls: number[] = [];
    const inner = deps.publisher;
    const counted = {
      ...deps,
      publisher: {
        async publish(outcomes: readonly Outcome[]) {
          publishCalls.push(outcomes.length);
          return inner.publish(outcomes);
        },
      },
    };
    const names = Array.from({ length: 10 }, (_, i) => `user-${i}`);
    const records = names.map((name, i) => {
      deps.iam.addUser(name, i % 2 === 0 ? { devices: [`arn:aws:iam::${ACCOUNT}:mfa/${name}`] } : {});
      const record = securityHubRecord(name);
      const finding = JSON.parse(record.body).detail.findings[0];
      addFinding(deps, { generation: 'asff', id: finding.Id, productArn: finding.ProductArn }, name);
      return record;
    });

    // Act
    const result = await processBatch(records, counted, { log: deps.log, concurrency: 4 });

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(publishCalls).toEqual([10]);
    expect(deps.findingCalls.update).toBe(2);
    expect(deps.findingCalls.describe).toBe(1);
    const statuses = deps.findingUpdates.map((u) => u.status).sort();
    expect(statuses).toEqual([...Array(5).fill('NOTIFIED'), ...Array(5).fill('RESOLVED')]);
    for (const published of deps.published) {
      expect(published.actions).toContainEqual({ action: 'update-finding', result: 'applied' });
    }
  });
});
