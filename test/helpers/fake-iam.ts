/**
 * An in-memory IAM for unit tests: users with devices, password, tags, attached policies and access keys, with
 * per-operation call counts and scriptable failures. Behaves like IAM where the workflow depends on it
 * (NoSuchEntity for unknown users, idempotent attach, NoSuchEntity when detaching what is not attached).
 */
import { Secret, TOTP } from 'otpauth';
import { toDependencyError } from '../../src/aws/sdk-errors.ts';
import type { AccessKey, IamPort, VirtualMfaDevice } from '../../src/core/ports.ts';

export interface FakeUser {
  userName: string;
  userId: string;
  arn: string;
  devices: string[];
  password: boolean;
  tags: Record<string, string>;
  policies: Set<string>;
  keys: AccessKey[];
}

export interface FakeIam extends IamPort {
  readonly users: Map<string, FakeUser>;
  readonly calls: Map<string, number>;
  readonly virtualDevices: Map<string, { seed: string; userName?: string }>;
  totalCalls(): number;
  addUser(
    userName: string,
    options?: Partial<Omit<FakeUser, 'userName' | 'policies'>> & { policies?: string[] },
  ): FakeUser;
  /** Makes the next `times` calls of `operation` throw an AWS-like error named `name`. */
  failNext(operation: string, name: string, times?: number): void;
  codesFor(serialNumber: string, at?: number): [string, string];
}

/** An SDK-like error, wrapped as the real adapters wrap them (DependencyError with the AWS code). */
function awsError(name: string): Error {
  const raw = Object.assign(new Error(`${name} (fake)`), {
    name: name.endsWith('Exception') ? name : `${name}Exception`,
  });
  return toDependencyError(raw, 'iam', 'fake');
}

export function createFakeIam(accountId = '111111111111'): FakeIam {
  const users = new Map<string, FakeUser>();
  const calls = new Map<string, number>();
  const failures = new Map<string, { name: string; times: number }>();
  const virtualDevices = new Map<string, { seed: string; userName?: string }>();
  let sequence = 0;

  const op = async (operation: string) => {
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    const failure = failures.get(operation);
    if (failure && failure.times > 0) {
      failure.times--;
      throw awsError(failure.name);
    }
  };
  const user = (userName: string) => {
    const found = users.get(userName);
    if (!found) throw awsError('NoSuchEntity');
    return found;
  };

  // Like IAM, accept the pair ending on the current step or on the one before (a code is valid ~30 s).
  const acceptsCodes = (serialNumber: string, code1: string, code2: string) =>
    [0, -30_000].some((shift) => {
      const [expected1, expected2] = fake.codesFor(serialNumber, Date.now() + shift);
      return code1 === expected1 && code2 === expected2;
    });

  const fake: FakeIam = {
    users,
    calls,
    virtualDevices,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
    addUser(userName, options = {}) {
      sequence++;
      const created: FakeUser = {
        userName,
        userId: options.userId ?? `AIDA${String(sequence).padStart(17, '0')}`,
        arn: options.arn ?? `arn:aws:iam::${accountId}:user/${userName}`,
        devices: options.devices ?? [],
        password: options.password ?? true,
        tags: options.tags ?? {},
        policies: new Set(options.policies ?? []),
        keys: options.keys ?? [],
      };
      users.set(userName, created);
      return created;
    },
    failNext(operation, name, times = 1) {
      failures.set(operation, { name, times });
    },
    codesFor(serialNumber, at = Date.now()) {
      const device = virtualDevices.get(serialNumber);
      if (!device) throw new Error(`no device ${serialNumber}`);
      const totp = new TOTP({ secret: Secret.fromBase32(device.seed) });
      return [totp.generate({ timestamp: at - 30_000 }), totp.generate({ timestamp: at })];
    },

    async listMfaDevices(userName) {
      await op('ListMFADevices');
      return user(userName).devices.map((serialNumber) => ({ serialNumber }));
    },
    async hasLoginProfile(userName) {
      await op('GetLoginProfile');
      return user(userName).password;
    },
    async listUserTags(userName) {
      await op('ListUserTags');
      return { ...user(userName).tags };
    },
    async isPolicyAttached(userName, policyArn) {
      await op('ListAttachedUserPolicies');
      return user(userName).policies.has(policyArn);
    },
    async attachUserPolicy(userName, policyArn) {
      await op('AttachUserPolicy');
      user(userName).policies.add(policyArn);
    },
    async detachUserPolicy(userName, policyArn) {
      await op('DetachUserPolicy');
      return user(userName).policies.delete(policyArn) ? 'detached' : 'not-attached';
    },
    async tagUser(userName, tags) {
      await op('TagUser');
      Object.assign(user(userName).tags, tags);
    },
    async untagUser(userName, keys) {
      await op('UntagUser');
      for (const key of keys) delete user(userName).tags[key];
    },
    async deleteLoginProfile(userName) {
      await op('DeleteLoginProfile');
      const u = user(userName);
      const had = u.password;
      u.password = false;
      return had ? 'deleted' : 'absent';
    },
    async listAccessKeys(userName) {
      await op('ListAccessKeys');
      return user(userName).keys.map((k) => ({ ...k }));
    },
    async deactivateAccessKey(userName, accessKeyId) {
      await op('UpdateAccessKey');
      const key = user(userName).keys.find((k) => k.accessKeyId === accessKeyId);
      if (!key) throw awsError('NoSuchEntity');
      (key as { status: string }).status = 'Inactive';
    },
    async getUser(userName) {
      await op('GetUser');
      const found = users.get(userName);
      return found ? { userName: found.userName, userId: found.userId, arn: found.arn } : undefined;
    },
    async listUsers() {
      await op('ListUsers');
      return [...users.values()].map((u) => ({ userName: u.userName, userId: u.userId, arn: u.arn }));
    },
    async enableMfaDevice(userName, serialNumber, code1, code2) {
      await op('EnableMFADevice');
      const u = user(userName);
      const device = virtualDevices.get(serialNumber);
      if (!device) throw awsError('NoSuchEntity');
      if (device.userName) throw awsError('EntityAlreadyExists');
      if (u.devices.length >= 8) throw awsError('LimitExceeded');
      if (!acceptsCodes(serialNumber, code1, code2)) throw awsError('InvalidAuthenticationCode');
      device.userName = userName;
      u.devices.push(serialNumber);
    },
    async resyncMfaDevice(userName, serialNumber, code1, code2) {
      await op('ResyncMFADevice');
      const device = virtualDevices.get(serialNumber);
      if (!device || device.userName !== userName) throw awsError('NoSuchEntity');
      if (!acceptsCodes(serialNumber, code1, code2)) throw awsError('InvalidAuthenticationCode');
    },
    async createVirtualMfaDevice(name, path) {
      await op('CreateVirtualMFADevice');
      const serialNumber = `arn:aws:iam::${accountId}:mfa${path}${name}`;
      if (virtualDevices.has(serialNumber)) throw awsError('EntityAlreadyExists');
      const seed = new Secret({ size: 20 }).base32;
      virtualDevices.set(serialNumber, { seed });
      return { serialNumber, seedBase32: seed };
    },
    async deleteVirtualMfaDevice(serialNumber) {
      await op('DeleteVirtualMFADevice');
      const device = virtualDevices.get(serialNumber);
      if (!device) throw awsError('NoSuchEntity');
      if (device.userName) throw awsError('DeleteConflict');
      virtualDevices.delete(serialNumber);
    },
    async listVirtualMfaDevices({ assignment }) {
      await op('ListVirtualMFADevices');
      const devices: VirtualMfaDevice[] = [...virtualDevices.entries()].map(([serialNumber, d]) =>
        d.userName ? { serialNumber, userName: d.userName } : { serialNumber },
      );
      if (assignment === 'Any') return devices;
      return devices.filter((d) => (assignment === 'Assigned') === (d.userName !== undefined));
    },
  };
  return fake;
}
