import { describe, expect, it } from 'vitest';
import { createSweepId, enqueueSweepTasks, planSweep } from '../../src/core/fan-out.ts';
import type { OrganizationPort } from '../../src/core/ports.ts';
import { loadSweepTarget } from '../../src/core/sweep-target.ts';
import { ConfigError } from '../../src/errors.ts';
import { createFakeTaskQueue } from '../helpers/fake-reports.ts';

const SELF = '111111111111';
const A = '222222222222';
const B = '333333333333';
const C = '444444444444';

const organizations: OrganizationPort = {
  listActiveAccounts: async () => [
    { id: SELF, status: 'ACTIVE' },
    { id: A, status: 'ACTIVE', name: 'dev' },
    { id: B, status: 'ACTIVE', name: 'prod' },
  ],
};
const deps = { selfAccountId: async () => SELF, organizations };

describe('loadSweepTarget', () => {
  it('defaults to the worker’s own account', () => {
    expect(loadSweepTarget({})).toEqual({ kind: 'self' });
    expect(loadSweepTarget({ SWEEP_ACCOUNTS: '  ' })).toEqual({ kind: 'self' });
  });

  it('reads a comma-separated list, trimmed and de-duplicated', () => {
    expect(loadSweepTarget({ SWEEP_ACCOUNTS: ` ${A}, ${B},,${A} ` })).toEqual({
      kind: 'accounts',
      accounts: [A, B],
    });
  });

  it('reads "organization"', () => {
    expect(loadSweepTarget({ SWEEP_ACCOUNTS: 'organization' })).toEqual({ kind: 'organization' });
  });

  it('fails naming the variable', () => {
    expect(() => loadSweepTarget({ SWEEP_ACCOUNTS: '1234' })).toThrow(ConfigError);
    expect(() => loadSweepTarget({ SWEEP_ACCOUNTS: '1234' })).toThrow(/^SWEEP_ACCOUNTS: "1234" is not/);
    expect(() => loadSweepTarget({ SWEEP_ACCOUNTS: `organization,${A}` })).toThrow(/cannot be combined/);
  });
});

describe('planSweep', () => {
  it('sweeps the own account by default', async () => {
    expect(await planSweep({ kind: 'self' }, 'self', deps)).toEqual({ accounts: [SELF], skipped: [] });
  });

  it('keeps only the accounts ALLOWED_ACCOUNTS allows, and says which it skipped', async () => {
    const plan = await planSweep({ kind: 'accounts', accounts: [A, B, C] }, [A, C], deps);
    expect(plan).toEqual({
      accounts: [A, C],
      skipped: [{ accountId: B, reason: 'not in ALLOWED_ACCOUNTS' }],
    });
  });

  it('"self" allows only the own account', async () => {
    const plan = await planSweep({ kind: 'accounts', accounts: [SELF, A] }, 'self', deps);
    expect(plan.accounts).toEqual([SELF]);
    expect(plan.skipped.map((s) => s.accountId)).toEqual([A]);
  });

  it('sweeps every ACTIVE account of the organisation when "*" allows it', async () => {
    expect((await planSweep({ kind: 'organization' }, '*', deps)).accounts).toEqual([SELF, A, B]);
  });

  it('needs Organizations for the organization target', async () => {
    await expect(
      planSweep({ kind: 'organization' }, '*', { selfAccountId: deps.selfAccountId }),
    ).rejects.toThrow(/Organizations/);
  });
});

describe('enqueueSweepTasks', () => {
  it('enqueues one sweep-account task per account', async () => {
    const queue = createFakeTaskQueue();
    const result = await enqueueSweepTasks({ accounts: [A, B], sweepId: 's-1', scope: 'all-users' }, queue);
    expect(result).toEqual({ sent: 2, failed: 0 });
    expect(queue.sent).toEqual([
      { type: 'sweep-account', accountId: A, sweepId: 's-1', scope: 'all-users' },
      { type: 'sweep-account', accountId: B, sweepId: 's-1', scope: 'all-users' },
    ]);
  });

  it('sends nothing for no accounts', async () => {
    const queue = createFakeTaskQueue();
    expect(await enqueueSweepTasks({ accounts: [], sweepId: 's-1' }, queue)).toEqual({ sent: 0, failed: 0 });
  });
});

describe('createSweepId', () => {
  it('is sortable by time and fits the task schema', () => {
    expect(createSweepId(new Date('2026-11-23T10:00:00.123Z'), () => 'abc123')).toBe(
      'sweep-20261123T100000Z-abc123',
    );
    expect(createSweepId(new Date())).toMatch(/^sweep-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });
});
