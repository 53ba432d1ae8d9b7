/**
 * Attack (the effect of AWS-2023-001, carried out by the worker's role): whoever creates a virtual MFA device
 * holds its seed, so can produce valid codes for it. Before the fix, an `enrollment-codes` task naming any
 * user and any unassigned device made the worker enable that device on that user — a second factor the
 * attacker holds, on a user who already had MFA, or on a user who had none yet.
 *
 * Through the real CLI worker and SDK against the local cloud, which checks TOTP codes as IAM does; the
 * attacker's devices are created with an unmodified IAM client. Assertions read the cloud's IAM state.
 */

import { CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { makeTask } from '../../src/local/findings.ts';
import { memberAdmin } from '../../src/local/member-role.ts';
import { ACCOUNT, type Harness, MEMBER, startHarness } from '../e2e/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A virtual device the attacker creates (in `accountId`), and its seed. */
async function attackerDevice(h: Harness, name: string, path = '/', accountId = ACCOUNT) {
  const iam = new IAMClient(accountId === ACCOUNT ? h.clientOptions : await sessionIn(h, accountId));
  const { VirtualMFADevice: device } = await iam.send(
    new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name, Path: path }),
  );
  iam.destroy();
  return {
    serialNumber: device?.SerialNumber ?? '',
    seed: new TextDecoder().decode(device?.Base32StringSeed),
  };
}

/** An administrator's credentials in another account (OrganizationAccountAccessRole, as the local cloud seeds it). */
function sessionIn(h: Harness, accountId: string): Promise<ClientOptions> {
  return memberAdmin(h.clientOptions, accountId);
}

function codesTask(
  type: 'enrollment-codes' | 'resync-codes',
  userName: string,
  device: { serialNumber: string; seed: string },
) {
  const [code1, code2] = consecutiveCodes(device.seed, Date.now());
  return makeTask(type, { accountId: ACCOUNT, userName, serialNumber: device.serialNumber, code1, code2 });
}

const devicesOf = (h: Harness, userName: string) => h.cloud.iam.getUser(ACCOUNT, userName)?.mfaSerialNumbers;

describe('device hijack', () => {
  it('a user who already has MFA gets no second device from a message, whatever its name', async () => {
    // Prepare: bob has MFA; the attacker creates two devices, one named like bob's own would be.
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true, mfa: true }]);
    const before = devicesOf(h, 'bob');
    const anyName = await attackerDevice(h, 'attacker-phone');
    const bobsName = await attackerDevice(h, 'bob', '/phones/');
    // Act
    await h.send([
      codesTask('enrollment-codes', 'bob', anyName),
      codesTask('enrollment-codes', 'bob', bobsName),
    ]);
    await h.runWorker();
    // Assess: bob's devices are what they were; both requests were refused and parked.
    expect(devicesOf(h, 'bob')).toEqual(before);
    const outcomes = await h.outcomes();
    expect(outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected']);
    expect(outcomes.map((o) => o.reason).join(' ')).toContain('AWS-2023-001');
    expect(await h.deadLetters()).toHaveLength(2);
  });

  it('a user without MFA gets no device that is not named after them or not of their account', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'alice', consolePassword: true }]);
    h.seed(MEMBER, [{ userName: 'alice', consolePassword: true }]);
    const attackers = await attackerDevice(h, 'attacker-phone');
    const pathTrick = await attackerDevice(h, 'alice-x', '/alice/');
    const otherAccount = await attackerDevice(h, 'alice', '/', MEMBER);
    await h.send([
      codesTask('enrollment-codes', 'alice', attackers),
      codesTask('enrollment-codes', 'alice', pathTrick),
      codesTask('enrollment-codes', 'alice', otherAccount),
    ]);
    await h.runWorker();
    expect(devicesOf(h, 'alice')).toEqual([]);
    const reasons = (await h.outcomes()).map((o) => `${o.outcome}: ${o.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^rejected: .*named attacker-phone/),
      expect.stringMatching(/^rejected: .*named alice-x/),
      expect.stringMatching(/^rejected: .*belongs to account 210987654321/),
    ]);
    // The member account's alice is untouched too.
    expect(h.cloud.iam.getUser(MEMBER, 'alice')?.mfaSerialNumbers).toEqual([]);
  });

  it('a device already given to someone else is not moved; resync only for the user’s own device', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [
      { userName: 'carol', consolePassword: true },
      { userName: 'dave', consolePassword: true },
    ]);
    const carols = await attackerDevice(h, 'carol');
    await h.send([codesTask('enrollment-codes', 'carol', carols)]);
    await h.runWorker();
    expect(devicesOf(h, 'carol')).toEqual([carols.serialNumber]);
    // dave's message names carol's device, to enable or to resync it.
    await h.send([codesTask('enrollment-codes', 'dave', carols), codesTask('resync-codes', 'dave', carols)]);
    await h.runWorker();
    expect(devicesOf(h, 'dave')).toEqual([]);
    expect(devicesOf(h, 'carol')).toEqual([carols.serialNumber]);
    const [, enable, resync] = await h.outcomes();
    expect(enable?.outcome).toBe('rejected');
    expect(resync).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('not assigned to IAM user dave'),
    });
  });

  it('the user’s own enrolment still works: their device, named after them, codes from its seed', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'erin', consolePassword: true }]);
    const own = await attackerDevice(h, 'erin');
    await h.send([codesTask('enrollment-codes', 'erin', own)]);
    await h.runWorker();
    expect(devicesOf(h, 'erin')).toEqual([own.serialNumber]);
    expect((await h.outcomes())[0]?.outcome).toBe('remediated');
  });
});
