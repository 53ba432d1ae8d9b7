import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { INVALID_CODE_ADVICE } from '../../src/core/enrolment.ts';
import { guardPolicyArn, TAGS, type WorkItem } from '../../src/core/model.ts';
import { codeAt } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { expectNoSecrets } from '../helpers/custodial.ts';
import { ACCOUNT, createTestDeps, itemContext, type TestDeps } from '../helpers/deps.ts';

const SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/bob`;

function codes(type: 'enrollment-codes' | 'resync-codes', code1: string, code2: string): WorkItem {
  return {
    type,
    accountId: ACCOUNT,
    userName: 'bob',
    serialNumber: SERIAL,
    code1,
    code2,
    trigger: { source: 'enrollment', requestId: 'req-1' },
  };
}

/** Bob, contained, with an unassigned virtual device whose seed the test knows. */
function setup(): { deps: TestDeps; seed: string } {
  const deps = createTestDeps();
  deps.iam.addUser('bob', {
    tags: { [TAGS.state]: 'enrollment-required', [TAGS.since]: '2026-11-20T10:00:00.000Z' },
    policies: [guardPolicyArn(ACCOUNT)],
  });
  const seed = new Secret({ size: 20 }).base32;
  deps.iam.virtualDevices.set(SERIAL, { seed });
  return { deps, seed };
}

const run = (deps: TestDeps, work: WorkItem) => runWorkItem(work, deps, itemContext(deps));

describe('enrollment-codes', () => {
  it('two consecutive current codes enable the device and release the guard and tags', async () => {
    // Prepare
    const { deps } = setup();
    const [code1, code2] = deps.iam.codesFor(SERIAL);
    // Act
    const [outcome] = await run(deps, codes('enrollment-codes', code1, code2));
    // Assess
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      trigger: { source: 'enrollment', requestId: 'req-1' },
      actions: [
        { action: 'enable-mfa-device', result: 'applied' },
        { action: 'detach-guard-policy', result: 'applied' },
        { action: 'untag-user', result: 'applied' },
        { action: 'notify-user', result: 'skipped' },
      ],
    });
    expect(deps.iam.users.get('bob')?.devices).toEqual([SERIAL]);
    expect(deps.iam.users.get('bob')?.tags).toEqual({});
    expectNoSecrets([JSON.stringify(outcome), ...deps.lines], [code1, code2]);
  });

  it.each([
    ['wrong', (_seed: string) => ['000000', '111111']],
    ['not consecutive', (seed: string) => [codeAt(seed, Date.now(), -3), codeAt(seed, Date.now())]],
    ['stale', (seed: string) => [codeAt(seed, Date.now(), -21), codeAt(seed, Date.now(), -20)]],
  ])('%s codes: invalid-code with advice, nothing changed, never retried', async (_, make) => {
    const { deps, seed } = setup();
    const [code1 = '', code2 = ''] = make(seed);
    const [outcome] = await run(deps, codes('enrollment-codes', code1, code2));
    expect(outcome).toMatchObject({
      outcome: 'invalid-code',
      reason: INVALID_CODE_ADVICE,
      actions: [{ action: 'enable-mfa-device', result: 'failed' }],
    });
    expect(outcome?.reason).toMatch(/wait for it to change.*immediately/);
    expect(deps.iam.calls.get('EnableMFADevice')).toBe(1);
    expect(deps.iam.users.get('bob')?.tags[TAGS.state]).toBe('enrollment-required');
  });

  it('a replay of codes already used: remediated (already-applied)', async () => {
    const { deps } = setup();
    const [code1, code2] = deps.iam.codesFor(SERIAL);
    await run(deps, codes('enrollment-codes', code1, code2));
    const [again] = await run(deps, codes('enrollment-codes', code1, code2));
    expect(again).toMatchObject({
      outcome: 'remediated',
      actions: [{ action: 'enable-mfa-device', result: 'already-applied' }],
    });
    expect(again?.reason).toContain('already enabled');
  });

  it('a device assigned to another user: manual-action-required', async () => {
    const { deps } = setup();
    deps.iam.addUser('alice', { devices: [SERIAL] });
    const device = deps.iam.virtualDevices.get(SERIAL);
    if (device) device.userName = 'alice';
    const [code1, code2] = deps.iam.codesFor(SERIAL);
    const [outcome] = await run(deps, codes('enrollment-codes', code1, code2));
    expect(outcome?.outcome).toBe('manual-action-required');
    expect(outcome?.reason).toContain('another IAM user');
  });

  it('LimitExceeded (8 devices): manual-action-required', async () => {
    const { deps } = setup();
    deps.iam.failNext('EnableMFADevice', 'LimitExceeded');
    const [outcome] = await run(deps, codes('enrollment-codes', '123456', '654321'));
    expect(outcome?.outcome).toBe('manual-action-required');
    expect(outcome?.reason).toContain('8 MFA devices');
  });

  it('unknown device: rejected, naming the serial number', async () => {
    const { deps } = setup();
    deps.iam.virtualDevices.clear();
    const [outcome] = await run(deps, codes('enrollment-codes', '123456', '654321'));
    expect(outcome?.outcome).toBe('rejected');
    expect(outcome?.reason).toContain(`no MFA device ${SERIAL}`);
  });

  it('unknown user: user-not-found', async () => {
    const { deps } = setup();
    deps.iam.users.delete('bob');
    const [outcome] = await run(deps, codes('enrollment-codes', '123456', '654321'));
    expect(outcome?.outcome).toBe('user-not-found');
  });

  it('retries IAM conflicts in-process (tier 1)', async () => {
    const { deps } = setup();
    deps.iam.failNext('EnableMFADevice', 'ConcurrentModification', 1);
    const [code1, code2] = deps.iam.codesFor(SERIAL);
    const [outcome] = await run(deps, codes('enrollment-codes', code1, code2));
    expect(outcome?.outcome).toBe('remediated');
    expect(deps.iam.calls.get('EnableMFADevice')).toBe(2);
  });

  it('dry run: nothing submitted', async () => {
    const deps = createTestDeps({ config: { dryRun: true } });
    deps.iam.addUser('bob');
    const [outcome] = await run(deps, codes('enrollment-codes', '123456', '654321'));
    expect(outcome?.actions).toEqual([{ action: 'enable-mfa-device', result: 'skipped', reason: 'dry run' }]);
    expect(deps.iam.calls.get('EnableMFADevice')).toBeUndefined();
  });
});

describe('resync-codes', () => {
  it('resynchronises an assigned device', async () => {
    const { deps } = setup();
    await run(deps, codes('enrollment-codes', ...deps.iam.codesFor(SERIAL)));
    const [outcome] = await run(deps, codes('resync-codes', ...deps.iam.codesFor(SERIAL)));
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      reason: 'MFA device resynchronised',
      actions: [{ action: 'resync-mfa-device', result: 'applied' }],
    });
  });

  it('wrong codes: invalid-code', async () => {
    const { deps, seed } = setup();
    await run(deps, codes('enrollment-codes', ...deps.iam.codesFor(SERIAL)));
    const [outcome] = await run(
      deps,
      codes('resync-codes', codeAt(seed, Date.now(), 5), codeAt(seed, Date.now(), 9)),
    );
    expect(outcome?.outcome).toBe('invalid-code');
  });

  it('a device not assigned to the user: rejected with the reason', async () => {
    const { deps } = setup();
    const [outcome] = await run(deps, codes('resync-codes', ...deps.iam.codesFor(SERIAL)));
    expect(outcome?.outcome).toBe('rejected');
    expect(outcome?.reason).toContain('not assigned to IAM user bob');
  });
});
