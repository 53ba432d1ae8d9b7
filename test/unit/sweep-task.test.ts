import { describe, expect, it } from 'vitest';
import type { WorkflowDeps } from '../../src/core/context.ts';
import type { SweepSummary, WorkItem } from '../../src/core/model.ts';
import type { AccountPorts } from '../../src/core/ports.ts';
import { createSweepAccountRunner } from '../../src/core/sweep-task.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { ACCOUNT, createTestDeps, itemContext } from '../helpers/deps.ts';
import { createFakeReports, createFakeTaskQueue } from '../helpers/fake-reports.ts';

const MEMBER = '222222222222';

function setup(options: { queue?: boolean; dryRun?: boolean } = {}) {
  const base = createTestDeps({ accounts: [MEMBER], config: { dryRun: options.dryRun ?? false } });
  const reports = createFakeReports(MEMBER, [
    { userName: 'alice', mfa: false },
    { userName: 'bob', mfa: true },
  ]);
  reports.rootMfa = false;
  const queue = createFakeTaskQueue();
  const summaries: SweepSummary[] = [];
  const accountsSeen: string[] = [];
  const accounts: WorkflowDeps['accounts'] = {
    selfAccountId: async () => ACCOUNT,
    forAccount: async (accountId): Promise<AccountPorts> => {
      accountsSeen.push(accountId);
      if (accountId !== MEMBER) throw Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
      return { accountId, iam: base.iam, reports };
    },
  };
  const publisher = {
    publish: base.publisher.publish,
    publishSweepSummary: async (summary: SweepSummary) => {
      summaries.push(summary);
    },
  };
  const sweepAccount = createSweepAccountRunner({
    config: base.config,
    accounts,
    now: base.now,
    log: base.log,
    publisher,
    tasks: options.queue === false ? undefined : queue,
    sleep: async () => {},
  });
  const deps: WorkflowDeps = { ...base, accounts, sweepAccount, publisher };
  return { deps, base, reports, queue, summaries, accountsSeen };
}

const work = (accountId = MEMBER): WorkItem => ({
  type: 'sweep-account',
  accountId,
  sweepId: 'sweep-9',
  trigger: { source: 'sweep', sweepId: 'sweep-9' },
});

describe('sweep-account work items', () => {
  it('runs the sweep in the task’s account and returns the root outcome', async () => {
    // Prepare
    const s = setup();

    // Act
    const outcomes = await runWorkItem(work(), s.deps, itemContext(s.base, { attempts: 2 }));

    // Assess
    expect(s.accountsSeen).toEqual([MEMBER]);
    expect(s.queue.sent).toEqual([
      expect.objectContaining({ type: 'mfa-missing', accountId: MEMBER, userName: 'alice' }),
    ]);
    expect(s.summaries).toEqual([
      expect.objectContaining({ accountId: MEMBER, sweepId: 'sweep-9', enqueued: 1 }),
    ]);
    expect(outcomes).toEqual([
      expect.objectContaining({
        outcome: 'manual-action-required',
        accountId: MEMBER,
        attempts: 2,
        trigger: { source: 'sweep', sweepId: 'sweep-9', messageId: 'msg-1' },
      }),
    ]);
  });

  it('turns a permanent error (AssumeRole denied) into a failed outcome', async () => {
    const s = setup();
    const outcomes = await runWorkItem(work('999999999999'), s.deps, itemContext(s.base));
    expect(outcomes).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        accountId: '999999999999',
        error: expect.objectContaining({ code: 'AccessDenied' }),
      }),
    ]);
  });

  it('throws retryable errors so SQS redelivers the task', async () => {
    const s = setup();
    s.queue.failNext = 1;
    await expect(runWorkItem(work(), s.deps, itemContext(s.base))).rejects.toMatchObject({
      code: 'EnqueueIncomplete',
      retryable: true,
    });
  });

  it('fails without a queue unless it is a dry run', async () => {
    const s = setup({ queue: false });
    const outcomes = await runWorkItem(work(), s.deps, itemContext(s.base));
    expect(outcomes[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/REMEDIATION_QUEUE_URL/),
    });

    const dry = setup({ queue: false, dryRun: true });
    const dryOutcomes = await runWorkItem(work(), dry.deps, itemContext(dry.base));
    expect(dryOutcomes[0]).toMatchObject({ outcome: 'manual-action-required', dryRun: true });
    expect(dry.summaries[0]).toMatchObject({ dryRun: true, enqueued: 0, nonCompliant: 1 });
  });
});
