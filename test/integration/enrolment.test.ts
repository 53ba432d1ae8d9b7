/**
 * Enrolment end to end against the local cloud, which checks TOTP codes as IAM does: submitted codes, the
 * custodial flow with faults injected at each step, and the guided `enroll` command on injected streams.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS } from '../../src/core/custodial.ts';
import { INVALID_CODE_ADVICE } from '../../src/core/enrolment.ts';
import { escrowSecretName, guardPolicyArn, type Outcome, TAGS, type WorkItem } from '../../src/core/model.ts';
import { codeAt, consecutiveCodes } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import {
  CLOUD_ACCOUNT,
  type CloudDeps,
  cloudSerial,
  createCloudDeps,
  expectCustodialEndState,
  expectNothingLeftInCloud,
  ourDevices,
} from '../helpers/cloud-enrolment.ts';
import { expectNoSecrets } from '../helpers/custodial.ts';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.reset();
});

const item = (c: CloudDeps) => ({ attempts: 1, messageId: 'm-1', log: c.deps.log });

function codesTask(
  type: WorkItem['type'],
  userName: string,
  serialNumber: string,
  codes: string[],
): WorkItem {
  const [code1, code2] = codes;
  return {
    type,
    accountId: CLOUD_ACCOUNT,
    userName,
    serialNumber,
    ...(code1 === undefined ? {} : { code1 }),
    ...(code2 === undefined ? {} : { code2 }),
    trigger: { source: 'enrollment', requestId: 'req-1' },
  };
}

describe('submitted codes (enrollment-codes / resync-codes)', () => {
  /** Bob, contained, with a fresh virtual device created through the adapter; returns its serial and seed. */
  async function bobWithDevice(c: CloudDeps): Promise<{ serial: string; seed: string }> {
    cloud.seed({ accountId: CLOUD_ACCOUNT, users: [{ userName: 'bob', consolePassword: true }] });
    const { iam } = await c.deps.accounts.forAccount(CLOUD_ACCOUNT);
    await iam.tagUser('bob', { [TAGS.state]: 'enrollment-required' });
    await iam.attachUserPolicy('bob', guardPolicyArn(CLOUD_ACCOUNT));
    const device = await iam.createVirtualMfaDevice('bob', '/');
    return { serial: device.serialNumber, seed: device.seedBase32 };
  }

  it('two consecutive current codes enable the device; guard and tags released', async () => {
    // Prepare
    const c = createCloudDeps(cloud);
    const { serial, seed } = await bobWithDevice(c);
    const codes = consecutiveCodes(seed, Date.now());
    // Act
    const [outcome] = await runWorkItem(codesTask('enrollment-codes', 'bob', serial, codes), c.deps, item(c));
    // Assess
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      actions: [{ action: 'enable-mfa-device' }, {}, {}, { action: 'notify-user', result: 'skipped' }],
    });
    const bob = cloud.iam.getUser(CLOUD_ACCOUNT, 'bob');
    expect(bob?.mfaSerialNumbers).toEqual([serial]);
    expect(bob?.attachedPolicyArns).toEqual([]);
    expect(bob?.tags).toEqual({});
    expect(cloud.iam.isOutOfSync(CLOUD_ACCOUNT, serial)).toBe(false);
    expectNoSecrets([JSON.stringify(outcome), ...c.lines], [seed, ...codes]);
  });

  it.each([
    ['wrong', (_seed: string) => ['000000', '999999']],
    ['non-consecutive', (seed: string) => [codeAt(seed, Date.now(), -1), codeAt(seed, Date.now(), 1)]],
    [
      'stale (beyond IAM’s window)',
      (seed: string) => [codeAt(seed, Date.now(), -30), codeAt(seed, Date.now(), -29)],
    ],
  ])('%s codes: invalid-code, nothing changed', async (_, make) => {
    const c = createCloudDeps(cloud);
    const { serial, seed } = await bobWithDevice(c);
    const codes = make(seed);
    const [outcome] = await runWorkItem(codesTask('enrollment-codes', 'bob', serial, codes), c.deps, item(c));
    expect(outcome).toMatchObject({ outcome: 'invalid-code', reason: INVALID_CODE_ADVICE });
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.mfaSerialNumbers).toEqual([]);
    expect(cloud.stats().requests['iam:EnableMFADevice']).toBe(1);
  });

  it('codes kept a few minutes: enabled out of sync, and resync-codes brings it back', async () => {
    const c = createCloudDeps(cloud);
    const { serial, seed } = await bobWithDevice(c);
    const old = [codeAt(seed, Date.now(), -8), codeAt(seed, Date.now(), -7)];
    const [enabled] = await runWorkItem(codesTask('enrollment-codes', 'bob', serial, old), c.deps, item(c));
    expect(enabled?.outcome).toBe('remediated');
    expect(cloud.iam.isOutOfSync(CLOUD_ACCOUNT, serial)).toBe(true);
    const fresh = consecutiveCodes(seed, Date.now());
    const [resynced] = await runWorkItem(codesTask('resync-codes', 'bob', serial, fresh), c.deps, item(c));
    expect(resynced).toMatchObject({ outcome: 'remediated', actions: [{ action: 'resync-mfa-device' }] });
    expect(cloud.iam.isOutOfSync(CLOUD_ACCOUNT, serial)).toBe(false);
  });

  it('a replay of the same codes: remediated', async () => {
    const c = createCloudDeps(cloud);
    const { serial, seed } = await bobWithDevice(c);
    const task = codesTask('enrollment-codes', 'bob', serial, consecutiveCodes(seed, Date.now()));
    await runWorkItem(task, c.deps, item(c));
    const [replay] = await runWorkItem(task, c.deps, item(c));
    expect(replay).toMatchObject({
      outcome: 'remediated',
      actions: [{ action: 'enable-mfa-device', result: 'already-applied' }],
    });
  });

  it('another user’s device: manual-action-required', async () => {
    const c = createCloudDeps(cloud);
    const { serial, seed } = await bobWithDevice(c);
    cloud.seed({ accountId: CLOUD_ACCOUNT, users: [{ userName: 'alice', consolePassword: true }] });
    // An administrator (not the worker, which refuses a device named for someone else) gave it to alice.
    const { iam } = await c.deps.accounts.forAccount(CLOUD_ACCOUNT);
    await iam.enableMfaDevice('alice', serial, ...consecutiveCodes(seed, Date.now()));
    const [outcome] = await runWorkItem(
      codesTask('enrollment-codes', 'bob', serial, consecutiveCodes(seed, Date.now())),
      c.deps,
      item(c),
    );
    expect(outcome).toMatchObject({ outcome: 'manual-action-required' });
    expect(outcome?.reason).toContain('another IAM user');
  });

  it('an unknown device: rejected; an unknown user: user-not-found', async () => {
    const c = createCloudDeps(cloud);
    await bobWithDevice(c);
    const missing = `arn:aws:iam::${CLOUD_ACCOUNT}:mfa/elsewhere/bob`;
    const [unknownDevice] = await runWorkItem(
      codesTask('enrollment-codes', 'bob', missing, ['123456', '654321']),
      c.deps,
      item(c),
    );
    expect(unknownDevice).toMatchObject({ outcome: 'rejected' });
    expect(unknownDevice?.reason).toContain(missing);
    const [unknownUser] = await runWorkItem(
      codesTask('enrollment-codes', 'ghost', missing, ['123456', '654321']),
      c.deps,
      item(c),
    );
    expect(unknownUser?.outcome).toBe('user-not-found');
  });
});

describe('custodial enrolment', () => {
  const SECRET = escrowSecretName(CLOUD_ACCOUNT, 'vault');

  function seedVault(tags: Record<string, string> = {}): void {
    cloud.seed({
      accountId: CLOUD_ACCOUNT,
      users: [{ userName: 'vault', consolePassword: true, tags: { [TAGS.custodial]: 'true', ...tags } }],
    });
  }

  const mfaMissing: WorkItem = {
    type: 'mfa-missing',
    accountId: CLOUD_ACCOUNT,
    userName: 'vault',
    trigger: { source: 'sweep', sweepId: 's-1' },
  };
  const run = (c: CloudDeps) => runWorkItem(mfaMissing, c.deps, item(c));

  /** Every secret the cloud holds for vault, and its device's seed: none may appear in logs or outcomes. */
  function secretsOf(): string[] {
    const uri = cloud.secretsManager.secretString(CLOUD_ACCOUNT, SECRET) ?? '';
    const seed = cloud.iam.deviceSeed(CLOUD_ACCOUNT, cloudSerial('vault')) ?? '';
    return [uri, seed, ...(seed ? consecutiveCodes(seed, Date.now()) : [])];
  }

  it('end to end: create, escrow, enable; the escrowed seed is the device’s; nothing leaks', async () => {
    // Prepare
    seedVault();
    const c = createCloudDeps(cloud);
    // Act
    const outcomes: Outcome[] = await run(c);
    // Assess
    expect(outcomes[0]).toMatchObject({
      outcome: 'remediated',
      actions: [
        { action: 'create-virtual-mfa-device', result: 'applied' },
        { action: 'escrow-seed', result: 'applied' },
        { action: 'enable-mfa-device', result: 'applied' },
      ],
    });
    await expectCustodialEndState(cloud, c.runtime, 'vault');
    const secret = cloud.secretsManager.secrets(CLOUD_ACCOUNT).find((s) => s.name === SECRET);
    expect(secret?.tags).toEqual(
      expect.arrayContaining([
        { Key: 'mfa-remediation:user', Value: 'vault' },
        { Key: 'mfa-remediation:account', Value: CLOUD_ACCOUNT },
      ]),
    );
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'vault')?.tags).toEqual({ [TAGS.custodial]: 'true' });
    expectNoSecrets([JSON.stringify(outcomes), ...c.lines], secretsOf());
  });

  it('notify mode: nothing created', async () => {
    seedVault();
    const c = createCloudDeps(cloud, { mode: 'notify' });
    const [outcome] = await run(c);
    expect(outcome?.outcome).toBe('enrollment-required');
    expect(outcome?.actions.every((a) => a.result === 'skipped')).toBe(true);
    expectNothingLeftInCloud(cloud, 'vault');
  });

  /**
   * Faults at each step. `rolledBack`: the run's own rollback succeeds, so nothing is left and a redelivery
   * succeeds at once. Otherwise the failure is as bad as a crash: something is left, and the redelivery must
   * wait for the lease to expire before it replaces the device.
   */
  it.each([
    ['CreateVirtualMFADevice fails', 'iam:CreateVirtualMFADevice=ServiceFailure:1', true],
    ['escrow fails', 'secretsmanager:CreateSecret=AccessDeniedException:1', true],
    ['escrow throttled', 'secretsmanager:CreateSecret=ThrottlingException:1', true],
    ['EnableMFADevice fails', 'iam:EnableMFADevice=ServiceFailure:1', true],
    [
      'crash after create (escrow and rollback fail)',
      'secretsmanager:write=ServiceUnavailable:1,iam:DeleteVirtualMFADevice=ServiceFailure:1',
      false,
    ],
    [
      'crash after escrow (enable and rollback fail)',
      'iam:EnableMFADevice=ServiceFailure:1,iam:DeleteVirtualMFADevice=ServiceFailure:1',
      false,
    ],
  ])(
    '%s: rolled back or recovered; exactly one enabled device with its seed escrowed',
    async (_, faults, rolledBack) => {
      // Prepare
      seedVault();
      const c = createCloudDeps(cloud);
      cloud.setFaults(faults);
      // Act
      const first = await run(c).catch((error: unknown) => error);
      cloud.setFaults('');
      // Assess
      expectNoSecrets([JSON.stringify(first), ...c.lines], secretsOf());
      if (rolledBack) {
        expectNothingLeftInCloud(cloud, 'vault');
      } else {
        expect(ourDevices(cloud)).toEqual([expect.objectContaining({ serialNumber: cloudSerial('vault') })]);
        expect(ourDevices(cloud)[0]?.userName).toBeUndefined();
        await expect(run(c)).rejects.toMatchObject({ code: 'EnrolmentInProgress', retryable: true });
        c.clock.now = new Date(c.clock.now.getTime() + LEASE_TTL_MS + 1);
      }
      const [again] = await run(c);
      expect(again?.outcome).toBe('remediated');
      await expectCustodialEndState(cloud, c.runtime, 'vault');
      expectNoSecrets([JSON.stringify(again), ...c.lines], secretsOf());
    },
  );

  it('failure after enable (releasing the guard): the redelivery releases; seed still escrowed', async () => {
    seedVault({ [TAGS.state]: 'enrollment-required' });
    const c = createCloudDeps(cloud);
    const { iam } = await c.deps.accounts.forAccount(CLOUD_ACCOUNT);
    await iam.attachUserPolicy('vault', guardPolicyArn(CLOUD_ACCOUNT));
    cloud.setFaults('iam:DetachUserPolicy=ServiceFailure:1');
    await expect(run(c)).rejects.toMatchObject({ retryable: true });
    cloud.setFaults('');
    await expectCustodialEndState(cloud, c.runtime, 'vault');
    const [again] = await run(c);
    expect(again).toMatchObject({ outcome: 'remediated' });
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'vault')?.attachedPolicyArns).toEqual([]);
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'vault')?.tags).toEqual({ [TAGS.custodial]: 'true' });
  });
});
