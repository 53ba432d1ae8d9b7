/**
 * May a device a message names be enabled on the user it names? Codes prove that the sender holds the
 * device's seed, nothing more — whoever created a virtual device holds its seed. So the worker's role, which
 * may enable any device on any user, enables only a device that is plainly the user's own enrolment: a
 * virtual device of the user's account, named after the user (the name `mfa-remediation enroll`, the console
 * default and the guard policy's own rule all use), and — checked against IAM by the caller — unassigned, on a
 * user that has no MFA device yet. A user that already has one adds devices only in a session signed in with
 * MFA, as AWS requires since AWS-2023-001; otherwise anyone holding a seed could add a second factor to an
 * account that is already protected.
 */
import { show } from '../intake-items.ts';

/** Where a virtual device lives, from its serial number (its ARN). */
export interface VirtualDeviceArn {
  readonly accountId: string;
  /** The path, `/` or `/mfa-remediation/` … */
  readonly path: string;
  readonly name: string;
}

/** The user a device must belong to. */
export interface DeviceSubject {
  readonly accountId: string;
  readonly userName: string;
}

/** Why a device may not be enabled from codes, and which outcome that is. */
export interface DeviceRefusal {
  readonly outcome: 'rejected' | 'manual-action-required';
  readonly reason: string;
}

const VIRTUAL_DEVICE = /^arn:aws[\w-]*:iam::(\d{12}):mfa(\/(?:[^/]+\/)*)([^/]+)$/;

/** The account, path and name of a virtual MFA device's serial number; undefined for other serials. */
export function parseVirtualDevice(serialNumber: string): VirtualDeviceArn | undefined {
  const match = VIRTUAL_DEVICE.exec(serialNumber);
  if (!match) return undefined;
  return { accountId: match[1] as string, path: match[2] as string, name: match[3] as string };
}

/**
 * Whether the serial number is exactly the virtual device `mfa<path><name>` of the account: the partition
 * aside, every part compared whole. Never a suffix: a path may hold any printable character, `:` and `/`
 * included, so `arn:aws:iam::ACCOUNT:mfa/x:mfa/bob` ends like `…:mfa/bob` and is another device.
 */
export function isVirtualDevice(
  serialNumber: string,
  expected: { readonly accountId: string; readonly path: string; readonly name: string },
): boolean {
  const device = parseVirtualDevice(serialNumber);
  return (
    device?.accountId === expected.accountId && device.path === expected.path && device.name === expected.name
  );
}

/**
 * What the serial number alone says: a virtual device of the user's account, named after the user. Pure; the
 * caller still checks with IAM that the device exists, is unassigned, and that the user has no device yet.
 */
export function checkDeviceClaim(serialNumber: string, subject: DeviceSubject): DeviceRefusal | undefined {
  const device = parseVirtualDevice(serialNumber);
  if (!device) {
    return {
      outcome: 'manual-action-required',
      reason: `serialNumber: ${show(serialNumber)} is not a virtual MFA device; hardware and FIDO devices are enabled by the user or an administrator in the IAM console`,
    };
  }
  if (device.accountId !== subject.accountId) {
    return {
      outcome: 'rejected',
      reason: `serialNumber: the device belongs to account ${device.accountId}, not to the user's account ${subject.accountId}`,
    };
  }
  if (device.name !== subject.userName) {
    return {
      outcome: 'rejected',
      reason: `serialNumber: the device is named ${show(device.name)}; a device enabled from submitted codes must be named after IAM user ${subject.userName}`,
    };
  }
  return undefined;
}
