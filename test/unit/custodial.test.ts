import { describe, expect, it } from 'vitest';
import { ENROLLING_TAG, LEASE_TTL_MS, SECRET_TAGS } from '../../src/core/custodial.ts';
import { escrowSecretName, guardPolicyArn, TAGS } from '../../src/core/model.ts';
import { seedFromUri } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import {
  createEnrolmentDeps,
  type EnrolmentTestDeps,
  expectEscrowedAndEnabled,
  expectNoSecrets,
  expectNothingLeft,
  mfaMissing,
  ourSerial,
} from '../helpers/custodial.ts';
import { ACCOUNT, itemContext, NOW } from '../helpers/deps.ts';

const SECRET = escrowSecretName(ACCOUNT, 'vault');

function setup(config: Parameters<typeof createEnrolmentDeps>[0] = {}): EnrolmentTestDeps {
  const deps = createEnrolmentDeps(config);
  deps.iam.addUser('vault', { tags: { [TAGS.custodial]: 'true' } });
  return deps;
}

const run = (deps: EnrolmentTestDeps) => runWorkItem(mfaMissing('vault'), deps, itemContext(deps));

/** Moves the workflow clock past the lease an interrupted run left behind. */
function afterLease(deps: EnrolmentTestDeps): void {
  deps.clock.now = new Date(deps.clock.now.getTime() + LEASE_TTL_MS + 1);
}

describe('custodial enrolment', () => {
  it('creates, escrows, then enables; the seed appears in no outcome or log', async () => {
    // Prepare
    const deps = setup({ config: { escrowKmsKeyId: 'alias/escrow' } });
    // Act
    const [outcome] = await run(deps);
    // Assess
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      userName: 'vault',
      actions: [
        { action: 'create-virtual-mfa-device', result: 'applied' },
        { action: 'escrow-seed', result: 'applied' },
        { action: 'enable-mfa-device', result: 'applied' },
      ],
    });
    expect(outcome?.reason).toContain(SECRET);
    expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
    const secret = deps.secrets.secrets.get(SECRET);
    expect(secret?.value).toMatch(/^otpauth:\/\/totp\/AWS:vault%40111111111111\?/);
    expect(secret?.tags).toEqual({ [SECRET_TAGS.user]: 'vault', [SECRET_TAGS.account]: ACCOUNT });
    expect(secret?.kmsKeyId).toBe('alias/escrow');
    expect(deps.iam.users.get('vault')?.tags).toEqual({ [TAGS.custodial]: 'true' });
    const seed = deps.iam.virtualDevices.get(ourSerial('vault'))?.seed ?? '';
    expectNoSecrets([JSON.stringify(outcome), ...deps.lines], [seed, secret?.value ?? '']);
  });

  it('escrows before enabling (the order that never loses a seed)', async () => {
    const deps = setup();
    const order: string[] = [];
    const { putSecret } = deps.secrets;
    const { enableMfaDevice } = deps.iam;
    deps.secrets.putSecret = (input) => {
      order.push('escrow');
      return putSecret(input);
    };
    deps.iam.enableMfaDevice = (...args) => {
      order.push('enable');
      return enableMfaDevice(...args);
    };
    await run(deps);
    expect(order).toEqual(['escrow', 'enable']);
  });

  it('matches CUSTODIAL_USERS patterns and releases a user contained earlier', async () => {
    const deps = createEnrolmentDeps({ config: { custodialUsers: ['svc-*'] } });
    const guard = guardPolicyArn(ACCOUNT);
    const user = deps.iam.addUser('svc-break-glass', {
      tags: { [TAGS.state]: 'enrollment-required', [TAGS.since]: NOW.toISOString(), team: 'ops' },
      policies: [guard],
    });
    const [outcome] = await runWorkItem(mfaMissing('svc-break-glass'), deps, itemContext(deps));
    expect(outcome?.outcome).toBe('remediated');
    expect(outcome?.actions.map((a) => `${a.action}:${a.result}`)).toEqual([
      'create-virtual-mfa-device:applied',
      'escrow-seed:applied',
      'enable-mfa-device:applied',
      'detach-guard-policy:applied',
      'untag-user:applied',
    ]);
    expect(user.policies.size).toBe(0);
    expect(user.tags).toEqual({ team: 'ops' });
  });

  it.each([
    ['notify mode', { mode: 'notify' as const }],
    ['dry run', { dryRun: true }],
  ])('%s: reports enrollment-required with the custodial actions skipped', async (why, config) => {
    const deps = setup({ config });
    const [outcome] = await run(deps);
    expect(outcome).toMatchObject({
      outcome: 'enrollment-required',
      deadline: '2026-11-26T10:00:00.000Z',
      actions: [
        { action: 'create-virtual-mfa-device', result: 'skipped', reason: why },
        { action: 'escrow-seed', result: 'skipped', reason: why },
        { action: 'enable-mfa-device', result: 'skipped', reason: why },
      ],
    });
    expect(deps.iam.virtualDevices.size).toBe(0);
    expect(deps.secrets.secrets.size).toBe(0);
    expect(deps.iam.calls.get('TagUser')).toBeUndefined();
  });

  it('a user who already has MFA is left alone', async () => {
    const deps = createEnrolmentDeps();
    deps.iam.addUser('vault', {
      tags: { [TAGS.custodial]: '' },
      devices: ['arn:aws:iam::111111111111:mfa/x'],
    });
    const [outcome] = await run(deps);
    expect(outcome?.outcome).toBe('already-compliant');
    expect(deps.iam.calls.get('CreateVirtualMFADevice')).toBeUndefined();
  });

  describe('failures roll back: no device or secret is orphaned', () => {
    it('escrow refused (permanent): device deleted, outcome failed', async () => {
      const deps = setup();
      deps.secrets.failNext('PutSecret', 'AccessDenied');
      const [outcome] = await run(deps);
      expect(outcome).toMatchObject({
        outcome: 'failed',
        error: { code: 'AccessDenied', retryable: false },
        actions: [
          { action: 'create-virtual-mfa-device', result: 'applied' },
          { action: 'escrow-seed', result: 'failed' },
        ],
      });
      expectNothingLeft(deps.iam, deps.secrets, 'vault');
      expect(deps.iam.users.get('vault')?.tags).toEqual({ [TAGS.custodial]: 'true' });
    });

    it('escrow throttled (retryable): device deleted, error thrown for SQS, the retry succeeds', async () => {
      const deps = setup();
      deps.secrets.failNext('PutSecret', 'Throttling');
      await expect(run(deps)).rejects.toMatchObject({ code: 'Throttling', retryable: true });
      expectNothingLeft(deps.iam, deps.secrets, 'vault');
      const [outcome] = await run(deps);
      expect(outcome?.outcome).toBe('remediated');
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
    });

    it('EnableMFADevice refused: device and its escrowed seed deleted', async () => {
      const deps = setup();
      deps.iam.failNext('EnableMFADevice', 'InvalidAuthenticationCode');
      const [outcome] = await run(deps);
      expect(outcome).toMatchObject({ outcome: 'failed', error: { code: 'InvalidAuthenticationCode' } });
      expect(outcome?.actions.at(-1)).toEqual({
        action: 'enable-mfa-device',
        result: 'failed',
        reason: 'InvalidAuthenticationCode',
      });
      expectNothingLeft(deps.iam, deps.secrets, 'vault');
    });

    it('LimitExceeded: manual-action-required, nothing left', async () => {
      const deps = setup();
      deps.iam.failNext('EnableMFADevice', 'LimitExceeded');
      const [outcome] = await run(deps);
      expect(outcome?.outcome).toBe('manual-action-required');
      expect(outcome?.reason).toContain('8 MFA devices');
      expectNothingLeft(deps.iam, deps.secrets, 'vault');
    });

    it('a device of that name assigned to another user: manual-action-required', async () => {
      const deps = setup();
      deps.iam.addUser('mallory');
      deps.iam.virtualDevices.set(ourSerial('vault'), { seed: 'JBSWY3DPEHPK3PXP', userName: 'mallory' });
      const [outcome] = await run(deps);
      expect(outcome?.outcome).toBe('manual-action-required');
      expect(outcome?.reason).toContain('mallory');
      expect(deps.secrets.secrets.size).toBe(0);
    });
  });

  describe('recovery after a crash at each step', () => {
    it('crash after create (rollback impossible): the next run replaces the device once the lease expires', async () => {
      const deps = setup();
      deps.secrets.failNext('PutSecret', 'AccessDenied');
      deps.iam.failNext('DeleteVirtualMFADevice', 'AccessDenied');
      await run(deps);
      expect(deps.iam.virtualDevices.get(ourSerial('vault'))?.userName).toBeUndefined();
      expect(deps.iam.users.get('vault')?.tags[ENROLLING_TAG]).toBe(NOW.toISOString());
      // Prepare: a redelivery inside the lease must not touch a device another run may own.
      await expect(run(deps)).rejects.toMatchObject({ code: 'EnrolmentInProgress', retryable: true });
      // Act
      afterLease(deps);
      const [outcome] = await run(deps);
      // Assess
      expect(outcome?.outcome).toBe('remediated');
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
      expect(deps.iam.users.get('vault')?.tags[ENROLLING_TAG]).toBeUndefined();
    });

    it('crash after escrow: the stale secret is overwritten with the new device’s seed', async () => {
      const deps = setup();
      deps.iam.failNext('EnableMFADevice', 'AccessDenied');
      deps.iam.failNext('DeleteVirtualMFADevice', 'AccessDenied');
      await run(deps);
      const stale = deps.secrets.secrets.get(SECRET)?.value;
      expect(stale).toBeDefined();
      afterLease(deps);
      const [outcome] = await run(deps);
      expect(outcome?.outcome).toBe('remediated');
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
      expect(deps.secrets.secrets.get(SECRET)?.value).not.toBe(stale);
    });

    it('crash after enable (answer lost): the device stays with its escrowed seed; the retry releases', async () => {
      const deps = setup({});
      const user = deps.iam.users.get('vault');
      if (user) user.tags[TAGS.state] = 'enrollment-required';
      const { enableMfaDevice } = deps.iam;
      deps.iam.enableMfaDevice = async (...args) => {
        deps.iam.enableMfaDevice = enableMfaDevice;
        await enableMfaDevice(...args);
        throw Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' });
      };
      await expect(run(deps)).rejects.toThrow('socket hang up');
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
      const [outcome] = await run(deps);
      expect(outcome?.outcome).toBe('remediated');
      expect(user?.tags[TAGS.state]).toBeUndefined();
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
    });

    it('concurrent deliveries: one enrols, the other backs off; one device, one matching seed', async () => {
      const deps = setup();
      const results = await Promise.allSettled([run(deps), run(deps)]);
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      expect(fulfilled).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({
        reason: { code: 'EnrolmentInProgress' },
      });
      expectEscrowedAndEnabled(deps.iam, deps.secrets, 'vault');
      expect(seedFromUri(deps.secrets.secrets.get(SECRET)?.value ?? '')).toBe(
        deps.iam.virtualDevices.get(ourSerial('vault'))?.seed,
      );
    });
  });
});
