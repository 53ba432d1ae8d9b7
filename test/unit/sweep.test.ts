import { describe, expect, it } from 'vitest';
import {
  guardPolicyArn,
  type SweepSummary,
  SweepSummary as SweepSummarySchema,
} from '../../src/core/model.ts';
import type { OutcomePublisher } from '../../src/core/ports.ts';
import { runAccountSweep, type SweepDeps } from '../../src/core/sweep.ts';
import { isRetryable } from '../../src/errors.ts';
import { ACCOUNT, captureLogger, NOW, testConfig } from '../helpers/deps.ts';
import {
  createFakeReports,
  createFakeTaskQueue,
  type FakeReports,
  type FakeTaskQueue,
  type ReportUser,
} from '../helpers/fake-reports.ts';

interface Harness {
  deps: SweepDeps;
  reports: FakeReports;
  queue: FakeTaskQueue;
  summaries: SweepSummary[];
}

function harness(users: ReportUser[], config: Parameters<typeof testConfig>[0] = {}): Harness {
  const reports = createFakeReports(ACCOUNT, users);
  const queue = createFakeTaskQueue();
  const summaries: SweepSummary[] = [];
  const publisher: OutcomePublisher = {
    publish: async () => ({ failed: [] }),
    publishSweepSummary: async (summary) => {
      summaries.push(summary);
    },
  };
  let now = NOW.getTime();
  const deps: SweepDeps = {
    reports,
    tasks: queue,
    publisher,
    now: () => new Date(now),
    log: captureLogger().log,
    config: testConfig(config),
    sleep: async (ms) => {
      now += ms;
    },
  };
  return { deps, reports, queue, summaries };
}

const input = { accountId: ACCOUNT, sweepId: 'sweep-1' };

describe('runAccountSweep', () => {
  it('enqueues mfa-missing for console users without MFA and publishes one summary', async () => {
    // Prepare
    const h = harness([
      { userName: 'alice', password: true, mfa: false },
      { userName: 'bob', password: true, mfa: true },
      { userName: 'ci-bot', password: false, mfa: false, accessKeys: 1 },
    ]);
    h.reports.pollsUntilComplete = 1;

    // Act
    const result = await runAccountSweep(input, h.deps);

    // Assess
    expect(h.queue.sent).toEqual([
      {
        type: 'mfa-missing',
        accountId: ACCOUNT,
        userName: 'alice',
        source: 'sweep',
        sweepId: 'sweep-1',
        detectedAt: '2026-11-23T09:59:00.000Z',
      },
    ]);
    expect(result.nonCompliantUsers).toEqual([
      {
        userName: 'alice',
        arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        passwordEnabled: true,
        activeAccessKeys: 0,
        contained: false,
      },
    ]);
    expect(h.summaries).toHaveLength(1);
    const summary = h.summaries[0];
    expect(SweepSummarySchema.parse(summary)).toEqual(summary);
    expect(summary).toMatchObject({
      schema: 'mfa-remediation/sweep@1',
      sweepId: 'sweep-1',
      accountId: ACCOUNT,
      usersScanned: 3,
      nonCompliant: 1,
      enqueued: 1,
      rootWithoutMfa: false,
      exempt: 0,
      dryRun: false,
    });
    // STARTED, INPROGRESS, COMPLETE: the duration includes the two backoff waits (500 + 1000 ms).
    expect(summary?.durationMs).toBe(1500);
    expect(result.outcomes).toEqual([]);
  });

  it('all-users scope includes programmatic users', async () => {
    const h = harness([
      { userName: 'alice', password: true, mfa: false },
      { userName: 'ci-bot', password: false, mfa: false, accessKeys: 2 },
    ]);
    const result = await runAccountSweep({ ...input, scope: 'all-users' }, h.deps);
    expect(h.queue.sent.map((t) => 'userName' in t && t.userName)).toEqual(['alice', 'ci-bot']);
    expect(result.summary.nonCompliant).toBe(2);
  });

  it('takes the scope from MFA_SCOPE when the task names none', async () => {
    const h = harness([{ userName: 'ci-bot', password: false, mfa: false }], { scope: 'all-users' });
    await runAccountSweep(input, h.deps);
    expect(h.queue.sent).toHaveLength(1);
  });

  it('reports the root user without MFA as manual-action-required, never as a task', async () => {
    // Prepare
    const h = harness([{ userName: 'bob', mfa: true }]);
    h.reports.rootMfa = false;

    // Act
    const result = await runAccountSweep(input, h.deps);

    // Assess
    expect(h.queue.sent).toEqual([]);
    expect(result.summary.rootWithoutMfa).toBe(true);
    expect(result.summary.usersScanned).toBe(1);
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({
      schema: 'mfa-remediation/outcome@1',
      outcome: 'manual-action-required',
      accountId: ACCOUNT,
      userArn: `arn:aws:iam::${ACCOUNT}:root`,
      trigger: { source: 'sweep', sweepId: 'sweep-1' },
      dryRun: false,
    });
    expect(result.outcomes[0]?.userName).toBeUndefined();
  });

  it('sends verify for contained users that now have MFA, so they are released', async () => {
    // Prepare
    const h = harness([
      { userName: 'enrolled', mfa: true },
      { userName: 'still-missing', mfa: false },
      { userName: 'never-contained', mfa: true },
    ]);
    h.reports.guarded = new Set(['enrolled', 'still-missing']);

    // Act
    const result = await runAccountSweep(input, h.deps);

    // Assess: the contained non-compliant user is sent again (moves it to escalation past its deadline)
    expect(h.queue.sent).toEqual([
      { type: 'verify', accountId: ACCOUNT, userName: 'enrolled' },
      expect.objectContaining({ type: 'mfa-missing', userName: 'still-missing' }),
    ]);
    expect(result.nonCompliantUsers.find((u) => u.userName === 'still-missing')?.contained).toBe(true);
    expect(result.summary.enqueued).toBe(2);
  });

  it('sends verify for contained users that left the scope (lost their password)', async () => {
    const h = harness([{ userName: 'keys-only', password: false, mfa: false }]);
    h.reports.guarded = new Set(['keys-only']);
    await runAccountSweep(input, h.deps);
    expect(h.queue.sent).toEqual([{ type: 'verify', accountId: ACCOUNT, userName: 'keys-only' }]);
  });

  it('skips and counts exempt users; a contained exempt user gets verify', async () => {
    // Prepare
    const h = harness(
      [
        { userName: 'break-glass', mfa: false },
        { userName: 'svc-legacy', mfa: false },
        { userName: 'alice', mfa: false },
      ],
      { exemptUsers: ['break-glass', 'svc-*'] },
    );
    h.reports.guarded = new Set(['svc-legacy']);

    // Act
    const result = await runAccountSweep(input, h.deps);

    // Assess
    expect(result.summary).toMatchObject({ usersScanned: 3, nonCompliant: 1, exempt: 2, enqueued: 2 });
    expect(h.queue.sent.map((t) => [t.type, 'userName' in t ? t.userName : ''])).toEqual([
      ['verify', 'svc-legacy'],
      ['mfa-missing', 'alice'],
    ]);
  });

  it('dry run computes everything, enqueues nothing and says so in the summary', async () => {
    const h = harness([{ userName: 'alice', mfa: false }], { dryRun: true });
    h.reports.rootMfa = false;
    const result = await runAccountSweep(input, h.deps);
    expect(h.queue.sent).toEqual([]);
    expect(result.tasks).toHaveLength(1);
    expect(result.summary).toMatchObject({ nonCompliant: 1, enqueued: 0, dryRun: true });
    expect(h.summaries).toHaveLength(1);
    expect(result.outcomes[0]?.dryRun).toBe(true);
  });

  it('enqueue: false lists the users and sends nothing (no queue needed)', async () => {
    const h = harness([{ userName: 'alice', mfa: false }]);
    const { tasks: _unused, ...withoutQueue } = h.deps;
    const result = await runAccountSweep({ ...input, enqueue: false }, withoutQueue);
    expect(result.nonCompliantUsers.map((u) => u.userName)).toEqual(['alice']);
    expect(result.summary).toMatchObject({ enqueued: 0, dryRun: false });
  });

  it('needs a queue when it enqueues', async () => {
    const h = harness([{ userName: 'alice', mfa: false }]);
    const { tasks: _unused, ...withoutQueue } = h.deps;
    await expect(runAccountSweep(input, withoutQueue)).rejects.toThrow(/task queue/);
  });

  it('throws a retryable error and publishes no summary when tasks could not be enqueued', async () => {
    // Prepare
    const h = harness([
      { userName: 'a', mfa: false },
      { userName: 'b', mfa: false },
    ]);
    h.queue.failNext = 1;

    // Act
    const error = await runAccountSweep(input, h.deps).catch((e: unknown) => e);

    // Assess
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toMatch(/1 of 2 tasks not enqueued/);
    expect(h.summaries).toEqual([]);
  });

  it('reads the guard policy of the swept account', async () => {
    const h = harness([]);
    const seen: string[] = [];
    h.deps = {
      ...h.deps,
      reports: {
        ...h.reports,
        listGuardedUsers: async (arn) => {
          seen.push(arn);
          return [];
        },
      },
    };
    await runAccountSweep(input, h.deps);
    expect(seen).toEqual([guardPolicyArn(ACCOUNT)]);
  });

  it('costs the same number of report calls for 10 and 10,000 users', async () => {
    // Prepare
    const users = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ userName: `user-${i}`, mfa: i % 3 === 0 }));
    const small = harness(users(10));
    const large = harness(users(10_000));

    // Act
    await runAccountSweep(input, small.deps);
    const result = await runAccountSweep(input, large.deps);

    // Assess
    expect(large.reports.calls).toEqual(small.reports.calls);
    expect(result.summary).toMatchObject({ usersScanned: 10_000, nonCompliant: 6666, enqueued: 6666 });
  });
});
