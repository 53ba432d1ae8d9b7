/**
 * Checking claims against AWS: the pure verdict on a finding (`claims/finding.ts`) and the batch lookups that
 * feed it (`claims/lookups.ts`) — one bulk describe per batch, at most one user listing per account.
 */
import { describe, expect, it } from 'vitest';
import { checkDeviceClaim, isVirtualDevice } from '../../src/core/claims/device.ts';
import { verifyFinding } from '../../src/core/claims/finding.ts';
import { createClaimLookups } from '../../src/core/claims/lookups.ts';
import type { FindingRef, IntakeItem } from '../../src/core/model.ts';
import type { FindingFacts } from '../../src/core/ports.ts';
import { ACCOUNT, addFinding, createTestDeps } from '../helpers/deps.ts';

const REF: FindingRef = {
  generation: 'asff',
  id: `arn:aws:securityhub:us-east-1:${ACCOUNT}:security-control/IAM.5/finding/abc`,
  productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
  controlId: 'IAM.5',
  region: 'us-east-1',
};
const BOB = { accountId: ACCOUNT, userName: 'bob' };
const facts = (overrides: Partial<FindingFacts> = {}): FindingFacts => ({
  generation: 'asff',
  id: REF.id,
  productArn: REF.productArn,
  accountId: ACCOUNT,
  controlId: 'IAM.5',
  resourceIds: [`arn:aws:iam::${ACCOUNT}:user/bob`],
  recordState: 'ACTIVE',
  workflowStatus: 'NEW',
  ...overrides,
});

describe('verifyFinding', () => {
  it('verifies Security Hub’s own ACTIVE MFA finding of the same user and account, any path', () => {
    expect(verifyFinding(REF, facts(), BOB)).toEqual({ verified: true, facts: facts() });
    const withPath = facts({ resourceIds: [`arn:aws:iam::${ACCOUNT}:user/eng/bob`], controlId: 'IAM.19' });
    expect(verifyFinding(REF, withPath, BOB).verified).toBe(true);
  });

  it.each([
    ['unknown to Security Hub', undefined, 'is not known to Security Hub'],
    ['another control (S3.1)', facts({ controlId: 'S3.1' }), 'control S3.1, not an MFA control'],
    ['no control at all', facts({ controlId: undefined }), 'no control'],
    ['root MFA (IAM.9)', facts({ controlId: 'IAM.9' }), 'not an MFA control of IAM users'],
    ['another account', facts({ accountId: '999999999999' }), 'belongs to account 999999999999'],
    [
      'another user',
      facts({ resourceIds: [`arn:aws:iam::${ACCOUNT}:user/alice`] }),
      'not about IAM user bob',
    ],
    ['a suffix of the user', facts({ resourceIds: [`arn:aws:iam::${ACCOUNT}:user/bobby`] }), 'not about'],
    [
      'the user of another account',
      facts({ resourceIds: ['arn:aws:iam::222222222222:user/bob'] }),
      'not about',
    ],
    ['archived', facts({ recordState: 'ARCHIVED' }), 'is ARCHIVED'],
    ['suppressed by a person', facts({ workflowStatus: 'SUPPRESSED' }), 'suppressed'],
    [
      'another product',
      facts({ productArn: 'arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default' }),
      'not the finding',
    ],
  ])('refuses a finding that is %s', (_what, given, reason) => {
    const verdict = verifyFinding(REF, given, BOB);
    expect(verdict.verified).toBe(false);
    expect(verdict.verified ? '' : verdict.reason).toContain(reason);
  });

  it('refuses a third-party product even when everything else matches', () => {
    const ref = {
      ...REF,
      productArn: 'arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default',
    };
    const verdict = verifyFinding(ref, facts({ productArn: ref.productArn }), BOB);
    expect(verdict.verified ? '' : verdict.reason).toContain('not from a Security Hub control');
  });
});

const item = (overrides: Record<string, unknown>): IntakeItem => ({
  kind: 'work',
  work: { type: 'mfa-missing', accountId: ACCOUNT, trigger: { source: 'config' }, ...overrides },
});

describe('claim lookups', () => {
  it('describes every finding of a batch in one call, and answers each item from it', async () => {
    // Prepare
    const deps = createTestDeps();
    const refs = Array.from({ length: 30 }, (_, i) => ({ ...REF, id: `${REF.id}${i}` }));
    for (const ref of refs) addFinding(deps, ref, 'bob');
    const lookups = createClaimLookups(deps);
    // Act
    await lookups.prefetch(refs.map((finding) => item({ userName: 'bob', finding })));
    const answers = await Promise.all(refs.map((ref) => lookups.findingFacts(ref)));
    // Assess
    expect(deps.findingCalls.describe).toBe(1);
    expect(answers.every((a) => 'facts' in a && a.facts !== undefined)).toBe(true);
  });

  it('reads no finding in a dry run or with updates off', async () => {
    for (const config of [{ dryRun: true }, { securityHubUpdates: false }]) {
      const deps = createTestDeps({ config });
      await createClaimLookups(deps).prefetch([item({ userName: 'bob', finding: REF })]);
      expect(deps.findingCalls.describe).toBe(0);
    }
  });

  it('a failing describe makes the facts unavailable, with the code', async () => {
    const deps = createTestDeps();
    (deps.findings as { describe: unknown }).describe = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    };
    const lookups = createClaimLookups(deps);
    await lookups.prefetch([item({ userName: 'bob', finding: REF })]);
    expect(await lookups.findingFacts(REF)).toEqual({ unavailable: 'Throttling' });
  });

  it('resolves all unknown user ids of an account with one listing per batch', async () => {
    const deps = createTestDeps();
    const ids = Array.from({ length: 21 }, (_, i) => deps.iam.addUser(`user-${i}`).userId);
    const lookups = createClaimLookups(deps);
    await lookups.prefetch(ids.map((userId) => item({ userId })));
    const users = await Promise.all(ids.map((id) => lookups.resolveUserId(ACCOUNT, id)));
    expect(await lookups.resolveUserId(ACCOUNT, 'AIDANOBODY000000000')).toBeUndefined();
    expect(users.map((u) => u?.userName)).toEqual(ids.map((_, i) => `user-${i}`));
    expect(deps.iam.calls.get('ListUsers')).toBe(1);
  });

  it('checks a cached id on use: a re-created user does not inherit the deleted one’s id', async () => {
    // Prepare: bob's id is cached from an earlier batch; bob is deleted and re-created (a new id).
    const deps = createTestDeps();
    const old = deps.iam.addUser('bob');
    await createClaimLookups(deps).resolveUserId(ACCOUNT, old.userId);
    deps.iam.users.delete('bob');
    deps.iam.addUser('bob');
    deps.iam.calls.clear();
    // Act
    const resolved = await createClaimLookups(deps).resolveUserId(ACCOUNT, old.userId);
    // Assess: GetUser showed the cached answer stale; the listing knows no user with the old id.
    expect(resolved).toBeUndefined();
    expect(deps.iam.calls.get('GetUser')).toBe(1);
    expect(deps.userIdCache?.has(`${ACCOUNT}/${old.userId}`)).toBe(false);
  });

  it('answers a cached id that still holds with one GetUser, without listing', async () => {
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob');
    await createClaimLookups(deps).resolveUserId(ACCOUNT, bob.userId);
    deps.iam.calls.clear();
    expect((await createClaimLookups(deps).resolveUserId(ACCOUNT, bob.userId))?.userName).toBe('bob');
    expect(Object.fromEntries(deps.iam.calls)).toEqual({ GetUser: 1 });
  });
});

describe('checkDeviceClaim', () => {
  const bob = { accountId: ACCOUNT, userName: 'bob' };
  it('accepts a virtual device of the user’s account named after the user, under any path', () => {
    expect(checkDeviceClaim(`arn:aws:iam::${ACCOUNT}:mfa/bob`, bob)).toBeUndefined();
    expect(checkDeviceClaim(`arn:aws:iam::${ACCOUNT}:mfa/mfa-remediation/bob`, bob)).toBeUndefined();
    expect(checkDeviceClaim(`arn:aws-us-gov:iam::${ACCOUNT}:mfa/team/a/bob`, bob)).toBeUndefined();
  });

  it.each([
    [`arn:aws:iam::${ACCOUNT}:mfa/attacker-phone`, 'rejected', 'named attacker-phone'],
    [`arn:aws:iam::${ACCOUNT}:mfa/bobby`, 'rejected', 'named bobby'],
    [`arn:aws:iam::${ACCOUNT}:mfa/bob/x`, 'rejected', 'named x'],
    ['arn:aws:iam::999999999999:mfa/bob', 'rejected', 'belongs to account 999999999999'],
    ['GAHT12345678', 'manual-action-required', 'not a virtual MFA device'],
    [`arn:aws:iam::${ACCOUNT}:u2f/user/bob/key-1`, 'manual-action-required', 'not a virtual MFA device'],
  ])('refuses %s (%s)', (serial, outcome, reason) => {
    const refusal = checkDeviceClaim(serial, bob);
    expect(refusal?.outcome).toBe(outcome);
    expect(refusal?.reason).toContain(reason);
  });
});

describe('isVirtualDevice', () => {
  const root = { accountId: ACCOUNT, path: '/', name: 'bob' };
  const ours = { accountId: ACCOUNT, path: '/mfa-remediation/', name: 'bob' };
  it('matches the device of that account, path and name, in any partition', () => {
    expect(isVirtualDevice(`arn:aws:iam::${ACCOUNT}:mfa/bob`, root)).toBe(true);
    expect(isVirtualDevice(`arn:aws-cn:iam::${ACCOUNT}:mfa/mfa-remediation/bob`, ours)).toBe(true);
  });

  it.each([
    // A path may hold ":" and "/": these end exactly like the wanted serial numbers.
    [`arn:aws:iam::${ACCOUNT}:mfa/x:mfa/bob`, root],
    [`arn:aws:iam::${ACCOUNT}:mfa/x:mfa/mfa-remediation/bob`, ours],
    [`arn:aws:iam::${ACCOUNT}:mfa/x/mfa-remediation/bob`, ours],
    [`arn:aws:iam::${ACCOUNT}:mfa/mfa-remediation/bob`, root],
    [`arn:aws:iam::${ACCOUNT}:mfa/bobby`, root],
    [`arn:aws:iam::999999999999:mfa/bob`, root],
    [`arn:aws:iam::${ACCOUNT}:u2f/user/bob/key-1`, root],
  ])('does not take %s for %j', (serial, expected) => {
    expect(isVirtualDevice(serial, expected)).toBe(false);
  });
});
