/**
 * Virtual MFA devices and their association with users. As on AWS: a device serves one user at a time
 * (enabling a device that is already in use is EntityAlreadyExists, even for the same user); a user holds
 * at most eight MFA devices (LimitExceeded); a device cannot be deleted while assigned (DeleteConflict);
 * deactivating a virtual device leaves it in the account, unassigned.
 */
import { Secret } from 'otpauth';
import QRCode from 'qrcode';
import { iamErrors } from './iam-errors.ts';
import { IAM_FIELDS } from './iam-fields.ts';
import { type IamContext, type IamHandler, pageXml, tagsXml, userXml } from './iam-handler.ts';
import {
  type IamAccount,
  type IamUser,
  mergeTags,
  requireUser,
  type Tag,
  toTagSet,
  userKey,
  type VirtualDevice,
} from './iam-state.ts';
import { checkEnableCodes, checkResyncCodes } from './iam-totp.ts';
import { byKey, paginate, paginateInOrder } from './pagination.ts';

/** Since November 2022 AWS allows up to eight MFA devices per user. */
export const MFA_DEVICES_PER_USER = 8;

/** Creates a virtual MFA device with a fresh 40-byte seed (64 base32 characters, like AWS's). */
export function createVirtualDevice(
  account: IamAccount,
  input: { name: string; path?: string | undefined; tags?: readonly Tag[] },
  now: Date,
): VirtualDevice {
  const path = input.path ?? '/';
  const serialNumber = `arn:aws:iam::${account.accountId}:mfa${path}${input.name}`;
  if (account.devices.has(serialNumber)) {
    throw iamErrors.alreadyExists('MFADevice entity at the same path and name already exists.');
  }
  const tags = toTagSet([]);
  mergeTags(tags, input.tags ?? []);
  const device: VirtualDevice = {
    serialNumber,
    path,
    name: input.name,
    seed: new Secret({ size: 40 }).base32,
    createDate: now,
    tags,
    sync: { outOfSync: false, driftSteps: 0 },
  };
  account.devices.set(serialNumber, device);
  return device;
}

/** The virtual device with this serial number, or NoSuchEntity. */
export function requireDevice(account: IamAccount, serialNumber: string): VirtualDevice {
  const device = account.devices.get(serialNumber);
  if (!device) {
    throw iamErrors.noSuchEntity(`VirtualMFADevice with serial number ${serialNumber} doesn't exist.`);
  }
  return device;
}

/** The checks EnableMFADevice makes before it looks at the codes. */
function ensureAssignable(user: IamUser, device: VirtualDevice): void {
  if (device.assignment) throw iamErrors.alreadyExists('MFA Device is already in use.');
  if (user.mfaSerials.length >= MFA_DEVICES_PER_USER) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for MfaDevicesPerUser: ${MFA_DEVICES_PER_USER}`);
  }
}

/** Associates a device with a user (EnableMFADevice once the codes are accepted). */
export function assignDevice(user: IamUser, device: VirtualDevice, now: Date): void {
  ensureAssignable(user, device);
  device.assignment = { userKey: userKey(user.userName), enableDate: now };
  user.mfaSerials.push(device.serialNumber);
}

/** The device a user has enabled, or NoSuchEntity (the device is missing or belongs to someone else). */
function assignedDevice(account: IamAccount, user: IamUser, serialNumber: string): VirtualDevice {
  const device = account.devices.get(serialNumber);
  if (!device || device.assignment?.userKey !== userKey(user.userName)) {
    throw iamErrors.noSuchEntity(
      `MFA Device with serial number ${serialNumber} does not exist for user ${user.userName}.`,
    );
  }
  return device;
}

/** The base32 seed as AWS returns it in `Base32StringSeed`: the ASCII text, which XML then base64-encodes. */
function seedBlob(device: VirtualDevice): Uint8Array {
  return Buffer.from(device.seed, 'ascii');
}

/**
 * The QR code image of a device. AWS documents the URI as
 * `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String`; authenticator apps show the
 * issuer, so the label is prefixed with it.
 */
async function qrCodePng(account: IamAccount, device: VirtualDevice): Promise<Uint8Array> {
  const label = encodeURIComponent(`${device.name}@${account.accountId}`);
  const uri = `otpauth://totp/AWS:${label}?secret=${device.seed}&issuer=AWS`;
  return QRCode.toBuffer(uri, { type: 'png' });
}

function codes(ctx: IamContext): [string, string] {
  return [
    ctx.params.required('AuthenticationCode1', IAM_FIELDS.authenticationCode),
    ctx.params.required('AuthenticationCode2', IAM_FIELDS.authenticationCode),
  ];
}

function deviceUser(account: IamAccount, device: VirtualDevice): IamUser | undefined {
  return device.assignment ? account.users.get(device.assignment.userKey) : undefined;
}

export const mfaHandlers: Record<string, IamHandler> = {
  CreateVirtualMFADevice: async (ctx) => {
    const device = createVirtualDevice(
      ctx.account,
      {
        name: ctx.params.required('VirtualMFADeviceName', IAM_FIELDS.virtualMFADeviceName),
        path: ctx.params.optional('Path', IAM_FIELDS.path),
        tags: ctx.params.tags(),
      },
      ctx.now,
    );
    return {
      VirtualMFADevice: {
        SerialNumber: device.serialNumber,
        Base32StringSeed: seedBlob(device),
        QRCodePNG: await qrCodePng(ctx.account, device),
        Tags: device.tags.size > 0 ? tagsXml(device.tags) : undefined,
      },
    };
  },

  DeleteVirtualMFADevice: (ctx) => {
    const device = requireDevice(ctx.account, ctx.params.required('SerialNumber', IAM_FIELDS.serialNumber));
    if (device.assignment) throw iamErrors.deleteConflict('MFA VirtualDevice in use. Must deactivate first.');
    ctx.account.devices.delete(device.serialNumber);
    return undefined;
  },

  ListVirtualMFADevices: (ctx) => {
    const status = ctx.params.oneOf('AssignmentStatus', ['Assigned', 'Unassigned', 'Any'] as const) ?? 'Any';
    const devices = [...ctx.account.devices.values()]
      .filter((d) => status === 'Any' || (status === 'Assigned') === (d.assignment !== undefined))
      .sort(byKey((d) => d.serialNumber));
    const page = paginate(devices, (d) => d.serialNumber, ctx.params.page());
    return {
      VirtualMFADevices: page.items.map((device) => {
        const user = deviceUser(ctx.account, device);
        return {
          SerialNumber: device.serialNumber,
          User: user ? userXml(user) : undefined,
          EnableDate: device.assignment?.enableDate,
          Tags: device.tags.size > 0 ? tagsXml(device.tags) : undefined,
        };
      }),
      ...pageXml(page),
    };
  },

  EnableMFADevice: (ctx) => {
    const user = requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
    const serialNumber = ctx.params.required('SerialNumber', IAM_FIELDS.serialNumber);
    const [code1, code2] = codes(ctx);
    const device = requireDevice(ctx.account, serialNumber);
    ensureAssignable(user, device);
    const check = checkEnableCodes(device.seed, code1, code2, ctx.now.getTime());
    if (!check.valid) throw iamErrors.invalidAuthenticationCode();
    assignDevice(user, device, ctx.now);
    device.sync = { outOfSync: check.outOfSync, driftSteps: check.driftSteps };
    return undefined;
  },

  ResyncMFADevice: (ctx) => {
    const user = requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
    const serialNumber = ctx.params.required('SerialNumber', IAM_FIELDS.serialNumber);
    const [code1, code2] = codes(ctx);
    const device = assignedDevice(ctx.account, user, serialNumber);
    const check = checkResyncCodes(device.seed, code1, code2, ctx.now.getTime());
    if (!check.valid) throw iamErrors.invalidAuthenticationCode();
    device.sync = { outOfSync: false, driftSteps: check.driftSteps };
    return undefined;
  },

  DeactivateMFADevice: (ctx) => {
    const serialNumber = ctx.params.required('SerialNumber', IAM_FIELDS.serialNumber);
    const userName = ctx.params.optional('UserName', IAM_FIELDS.userName);
    // UserName became optional in 2023: IAM then deactivates the device for whoever holds it.
    const user =
      userName === undefined
        ? deviceUser(ctx.account, requireDevice(ctx.account, serialNumber))
        : requireUser(ctx.account, userName);
    if (!user) throw iamErrors.noSuchEntity(`MFA Device with serial number ${serialNumber} is not assigned.`);
    const device = assignedDevice(ctx.account, user, serialNumber);
    delete device.assignment;
    device.sync = { outOfSync: false, driftSteps: 0 };
    user.mfaSerials.splice(user.mfaSerials.indexOf(serialNumber), 1);
    return undefined;
  },

  ListMFADevices: (ctx) => {
    const userName = ctx.params.optional('UserName', IAM_FIELDS.userName);
    // Without UserName IAM lists the caller's devices; the root user's MFA is an account flag here.
    const caller = ctx.caller.kind === 'user' ? ctx.caller.user.userName : undefined;
    const named = userName ?? caller;
    const user = named === undefined ? undefined : requireUser(ctx.account, named);
    const page = paginateInOrder(user?.mfaSerials ?? [], ctx.params.page());
    return {
      MFADevices: page.items.map((serial) => ({
        UserName: user?.userName,
        SerialNumber: serial,
        EnableDate: ctx.account.devices.get(serial)?.assignment?.enableDate,
      })),
      ...pageXml(page),
    };
  },
};
