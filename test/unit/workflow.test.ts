import { describe, expect, it } from 'vitest';
import type { FindingRef, WorkItem } from '../../src/core/model.ts';
import { guardPolicyArn, TAGS } from '../../src/core/model.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { ACCOUNT, addFinding, createTestDeps as createDeps, itemContext, NOW } from '../helpers/deps.ts';

const GUARD = guardPolicyArn(ACCOUNT);
const FINDING: FindingRef = {
  generation: 'asff',
  id: 'arn:aws:securityhub:us-east-1:111111111111:security-control/IAM.5/finding/abc',
  productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
  controlId: 'IAM.5',
  region: 'us-east-1',
  workflowStatus: 'NEW',
};

/** Test dependencies whose Security Hub holds FINDING, the IAM.5 finding of bob. */
function createTestDeps(options?: Parameters<typeof createDeps>[0]) {
  const deps = createDeps(options);
  addFinding(deps, FINDING, 'bob');
  return deps;
}

function work(overrides: Partial<WorkItem> = {}): WorkItem {
  return {
    type: 'mfa-missing',
    accountId: ACCOUNT,
    userName: 'bob',
    trigger: { source: 'security-hub', findingId: FINDING.id, controlId: 'IAM.5' },
    finding: FINDING,
    scope: 'console-users',
    ...overrides,
  };
}

const tracking = {
  [TAGS.state]: 'enrollment-required',
  [TAGS.since]: '2026-11-20T10:00:00.000Z',
  [TAGS.deadline]: '2026-11-23T10:00:00.000Z',
};

describe('enrolment workflow', () => {
  it('already-compliant: 2 IAM calls, nothing changed, finding resolved', async () => {
    // Prepare
    const deps = createTestDeps();
    deps.iam.addUser('bob', { devices: ['arn:aws:iam::111111111111:mfa/bob'] });
    // Act
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    // Assess
    expect(outcome).toMatchObject({
      schema: 'mfa-remediation/outcome@1',
      outcome: 'already-compliant',
      accountId: ACCOUNT,
      userName: 'bob',
      actions: [{ action: 'update-finding', result: 'applied' }],
      attempts: 1,
      dryRun: false,
      occurredAt: NOW.toISOString(),
    });
    expect(deps.iam.totalCalls()).toBe(2);
    expect(deps.findingUpdates).toEqual([expect.objectContaining({ status: 'RESOLVED' })]);
  });

  it('remediated: a compliant user we contained is released (detach, then untag)', async () => {
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob', {
      devices: ['arn:aws:iam::111111111111:mfa/bob'],
      tags: { ...tracking, team: 'x' },
      policies: [GUARD],
    });
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome?.outcome).toBe('remediated');
    expect(outcome?.actions).toEqual([
      { action: 'detach-guard-policy', result: 'applied' },
      { action: 'untag-user', result: 'applied' },
      { action: 'notify-user', result: 'skipped', reason: 'notifications are off (NOTIFY_FROM is not set)' },
      { action: 'update-finding', result: 'applied' },
    ]);
    expect(bob.policies.size).toBe(0);
    expect(bob.tags).toEqual({ team: 'x' });
  });

  it('remediated: a custodial lease left by a run killed after enabling the device is removed', async () => {
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob', {
      devices: ['arn:aws:iam::111111111111:mfa/mfa-remediation/bob'],
      tags: { ...tracking, [TAGS.enrolling]: '2026-11-23T09:59:00.000Z', [TAGS.custodial]: 'true' },
      policies: [GUARD],
    });
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome?.outcome).toBe('remediated');
    expect(bob.policies.size).toBe(0);
    expect(bob.tags).toEqual({ [TAGS.custodial]: 'true' });
  });

  it('enrollment-required (enforce): tags first, then the guard, finding NOTIFIED, ≤ 6 IAM calls', async () => {
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob');
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome).toMatchObject({
      outcome: 'enrollment-required',
      deadline: '2026-11-26T10:00:00.000Z',
      reason: 'no MFA device; console password present',
      actions: [
        { action: 'tag-user', result: 'applied' },
        { action: 'attach-guard-policy', result: 'applied' },
        {
          action: 'notify-user',
          result: 'skipped',
          reason: 'notifications are off (NOTIFY_FROM is not set)',
        },
        { action: 'update-finding', result: 'applied' },
      ],
    });
    expect(bob.policies.has(GUARD)).toBe(true);
    expect(bob.tags).toEqual({
      [TAGS.state]: 'enrollment-required',
      [TAGS.since]: NOW.toISOString(),
      [TAGS.deadline]: '2026-11-26T10:00:00.000Z',
    });
    expect(deps.iam.totalCalls()).toBeLessThanOrEqual(6);
    expect(deps.findingUpdates[0]).toMatchObject({ status: 'NOTIFIED' });
    // The note names no user and only the deadline's day: findings contained that day share one call.
    expect(deps.findingUpdates[0]?.note).toBe(
      'This IAM user must enable MFA by 2026-11-26 (UTC; the exact time is on its mfa-remediation:deadline tag); contained with MfaRemediationGuard until then.',
    );
    expect(deps.findingUpdates[0]?.note).not.toContain('bob');
  });

  it('is idempotent: a re-delivery changes nothing and reports already-applied', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    await runWorkItem(work(), deps, itemContext(deps));
    deps.iam.calls.clear();
    deps.clock.now = new Date(NOW.getTime() + 3_600_000);
    const [again] = await runWorkItem(
      work({ finding: { ...FINDING, workflowStatus: 'NOTIFIED' } }),
      deps,
      itemContext(deps),
    );
    expect(again).toMatchObject({
      outcome: 'enrollment-required',
      deadline: '2026-11-26T10:00:00.000Z',
      actions: [
        { action: 'tag-user', result: 'already-applied' },
        { action: 'attach-guard-policy', result: 'already-applied' },
        { action: 'notify-user', result: 'skipped' },
        { action: 'update-finding', result: 'already-applied' },
      ],
    });
    expect(deps.iam.calls.get('TagUser')).toBeUndefined();
    expect(deps.iam.calls.get('AttachUserPolicy')).toBeUndefined();
  });

  it('enrollment-required (notify): every write skipped, deadline reported', async () => {
    const deps = createTestDeps({ config: { mode: 'notify' } });
    const bob = deps.iam.addUser('bob');
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome).toMatchObject({
      outcome: 'enrollment-required',
      deadline: '2026-11-26T10:00:00.000Z',
      dryRun: false,
      actions: [
        { action: 'tag-user', result: 'skipped', reason: 'notify mode' },
        { action: 'attach-guard-policy', result: 'skipped', reason: 'notify mode' },
        { action: 'update-finding', result: 'skipped', reason: 'notify mode' },
        {
          action: 'notify-user',
          result: 'skipped',
          reason: 'notify mode: nobody is contained, so nobody is told they are',
        },
      ],
    });
    expect(bob.tags).toEqual({});
    expect(bob.policies.size).toBe(0);
    expect(deps.findingUpdates).toEqual([]);
  });

  it('DRY_RUN writes nothing to IAM or Security Hub, whatever the state', async () => {
    const deps = createTestDeps({ config: { dryRun: true, escalation: 'disable-console-and-keys' } });
    deps.iam.addUser('bob');
    deps.iam.addUser('carol', {
      devices: ['arn:aws:iam::111111111111:mfa/carol'],
      tags: tracking,
      policies: [GUARD],
    });
    deps.iam.addUser('dave', { tags: tracking, policies: [GUARD] });
    deps.clock.now = new Date('2026-12-01T00:00:00.000Z');
    const outcomes = [
      ...(await runWorkItem(work(), deps, itemContext(deps))),
      ...(await runWorkItem(work({ userName: 'carol' }), deps, itemContext(deps))),
      ...(await runWorkItem(work({ userName: 'dave' }), deps, itemContext(deps))),
    ];
    const writes = [
      'TagUser',
      'UntagUser',
      'AttachUserPolicy',
      'DetachUserPolicy',
      'DeleteLoginProfile',
      'UpdateAccessKey',
    ];
    for (const op of writes) expect(deps.iam.calls.get(op)).toBeUndefined();
    expect(deps.findingUpdates).toEqual([]);
    expect(outcomes.map((o) => [o.outcome, o.dryRun])).toEqual([
      ['enrollment-required', true],
      ['remediated', true],
      ['enrollment-required', true],
    ]);
    expect(outcomes.flatMap((o) => o.actions).every((a) => a.result === 'skipped')).toBe(true);
    // Dave is past his deadline: the outcome lists every step the escalation would take.
    expect(outcomes[2]?.actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['delete-login-profile', 'deactivate-access-keys']),
    );
  });

  it.each([
    [
      'tag',
      { tags: { [TAGS.exempt]: 'break-glass' } },
      {},
      'tagged mfa-remediation:exempt; its value is not an ISO-8601 date, so the exemption does not expire',
    ],
    ['pattern', {}, { exemptUsers: ['b*'] }, 'matches EXEMPT_USERS'],
  ])('exempt by %s: nothing changed', async (_by, user, config, reason) => {
    const deps = createTestDeps({ config });
    const bob = deps.iam.addUser('bob', user);
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome).toMatchObject({ outcome: 'exempt', reason, actions: [] });
    expect(bob.policies.size).toBe(0);
  });

  it('not-applicable: console-users scope and no console password', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob', { password: false });
    const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
    expect(outcome).toMatchObject({ outcome: 'not-applicable', actions: [] });
  });

  it('all-users scope: a programmatic user is tagged but not contained by default', async () => {
    const deps = createTestDeps({ config: { scope: 'all-users' } });
    const svc = deps.iam.addUser('svc', { password: false });
    const [outcome] = await runWorkItem(
      work({ userName: 'svc', scope: 'all-users' }),
      deps,
      itemContext(deps),
    );
    expect(outcome?.outcome).toBe('enrollment-required');
    expect(outcome?.actions[1]).toMatchObject({ action: 'attach-guard-policy', result: 'skipped' });
    expect(outcome?.actions[1]?.reason).toContain('CONTAIN_PROGRAMMATIC_USERS');
    expect(svc.policies.size).toBe(0);
  });

  it('all-users scope with CONTAIN_PROGRAMMATIC_USERS: the programmatic user is contained', async () => {
    const deps = createTestDeps({ config: { scope: 'all-users', containProgrammaticUsers: true } });
    const svc = deps.iam.addUser('svc', { password: false });
    await runWorkItem(work({ userName: 'svc', scope: 'all-users' }), deps, itemContext(deps));
    expect(svc.policies.has(GUARD)).toBe(true);
  });

  it('user-not-found when IAM has no such user', async () => {
    const deps = createTestDeps();
    const [outcome] = await runWorkItem(work({ userName: 'ghost' }), deps, itemContext(deps));
    expect(outcome).toMatchObject({ outcome: 'user-not-found', userName: 'ghost' });
  });

  it('resolves Config user IDs once per account and caches them', async () => {
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob', { devices: ['arn:aws:iam::111111111111:mfa/bob'] });
    const configWork = work({
      userName: undefined,
      userId: bob.userId,
      finding: undefined,
      trigger: { source: 'config' },
    });
    const [first] = await runWorkItem(configWork, deps, itemContext(deps));
    await runWorkItem(configWork, deps, itemContext(deps));
    expect(first).toMatchObject({ outcome: 'already-compliant', userName: 'bob', userArn: bob.arn });
    expect(deps.iam.calls.get('ListUsers')).toBe(1);
    const [missing] = await runWorkItem(
      work({ userName: undefined, userId: 'AIDAXXXXXXXXXXXXXXXXX' }),
      deps,
      itemContext(deps),
    );
    expect(missing?.outcome).toBe('user-not-found');
  });

  describe('escalation after the deadline', () => {
    const past = new Date('2026-11-24T10:00:00.000Z');

    it('is off by default: still enrollment-required', async () => {
      const deps = createTestDeps();
      deps.iam.addUser('bob', { tags: tracking, policies: [GUARD] });
      deps.clock.now = past;
      const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
      expect(outcome?.outcome).toBe('enrollment-required');
      expect(deps.iam.users.get('bob')?.password).toBe(true);
    });

    it('disable-console deletes the login profile and tags escalated', async () => {
      const deps = createTestDeps({ config: { escalation: 'disable-console' } });
      const bob = deps.iam.addUser('bob', {
        tags: tracking,
        policies: [GUARD],
        keys: [{ accessKeyId: 'AKIAFAKE000000000001', status: 'Active' }],
      });
      deps.clock.now = past;
      const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
      expect(outcome).toMatchObject({ outcome: 'escalated', deadline: tracking[TAGS.deadline] });
      expect(outcome?.actions.map((a) => [a.action, a.result])).toEqual([
        ['tag-user', 'applied'],
        ['attach-guard-policy', 'already-applied'],
        ['delete-login-profile', 'applied'],
        ['notify-user', 'skipped'],
        ['update-finding', 'applied'],
      ]);
      expect(bob.password).toBe(false);
      expect(bob.keys[0]?.status).toBe('Active');
      expect(bob.tags[TAGS.state]).toBe('escalated');
    });

    it('disable-console-and-keys also deactivates active keys, and converges on re-delivery', async () => {
      const deps = createTestDeps({ config: { escalation: 'disable-console-and-keys' } });
      const bob = deps.iam.addUser('bob', {
        tags: tracking,
        policies: [GUARD],
        keys: [
          { accessKeyId: 'AKIAFAKE000000000001', status: 'Active' },
          { accessKeyId: 'AKIAFAKE000000000002', status: 'Inactive' },
        ],
      });
      deps.clock.now = past;
      await runWorkItem(work(), deps, itemContext(deps));
      expect(bob.keys.map((k) => k.status)).toEqual(['Inactive', 'Inactive']);
      deps.iam.calls.clear();
      const [again] = await runWorkItem(work(), deps, itemContext(deps));
      expect(again?.outcome).toBe('escalated');
      // Security Hub already holds the escalation note: nothing to write anywhere.
      expect(again?.actions.filter((a) => a.result === 'applied')).toEqual([]);
      expect(again?.actions).toContainEqual({ action: 'update-finding', result: 'already-applied' });
      expect(deps.findingCalls.update).toBe(1);
      expect(deps.iam.calls.get('UpdateAccessKey')).toBeUndefined();
    });
  });

  describe('errors', () => {
    it('retries conflicts in-process and succeeds (tier 1)', async () => {
      const deps = createTestDeps();
      deps.iam.addUser('bob');
      deps.iam.failNext('AttachUserPolicy', 'ConcurrentModification', 2);
      const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
      expect(outcome?.outcome).toBe('enrollment-required');
      expect(deps.iam.calls.get('AttachUserPolicy')).toBe(3);
    });

    it('throws a conflict that outlives tier 1 so the record is retried (tier 2)', async () => {
      const deps = createTestDeps();
      deps.iam.addUser('bob');
      deps.iam.failNext('TagUser', 'EntityTemporarilyUnmodifiable', 100);
      await expect(
        runWorkItem(work(), deps, itemContext(deps, { deadline: Date.now() + 1500 })),
      ).rejects.toMatchObject({ code: 'EntityTemporarilyUnmodifiable', retryable: true });
    });

    it('turns permanent errors into a failed outcome, never retried', async () => {
      const deps = createTestDeps();
      deps.iam.addUser('bob');
      deps.iam.failNext('AttachUserPolicy', 'AccessDenied', 1);
      const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
      expect(outcome).toMatchObject({
        outcome: 'failed',
        error: { code: 'AccessDenied', retryable: false },
        actions: [
          { action: 'tag-user', result: 'applied' },
          { action: 'attach-guard-policy', result: 'failed' },
        ],
      });
      expect(deps.iam.calls.get('AttachUserPolicy')).toBe(1);
    });

    it('a Security Hub failure is recorded on the action, not fatal', async () => {
      const deps = createTestDeps();
      deps.iam.addUser('bob');
      (deps.findings as { update: unknown }).update = async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      };
      const [outcome] = await runWorkItem(work(), deps, itemContext(deps));
      expect(outcome?.outcome).toBe('enrollment-required');
      expect(outcome?.actions[3]).toMatchObject({ action: 'update-finding', result: 'failed' });
    });
  });

  it('handles another allowed account through its own ports', async () => {
    const deps = createTestDeps({ accounts: ['222222222222'] });
    const other = deps.iamFor.get('222222222222');
    other?.addUser('eve');
    const [outcome] = await runWorkItem(
      work({ accountId: '222222222222', userName: 'eve' }),
      deps,
      itemContext(deps),
    );
    expect(outcome?.outcome).toBe('enrollment-required');
    expect(other?.users.get('eve')?.policies.has(guardPolicyArn('222222222222'))).toBe(true);
  });
});
