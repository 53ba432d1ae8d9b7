/**
 * The IAM adapter: {@link IamPort} over the real `@aws-sdk/client-iam` client. Pagination uses the SDK's
 * paginators (Marker / IsTruncated); errors become `DependencyError`s with AWS's codes.
 */
import {
  AttachUserPolicyCommand,
  CreateVirtualMFADeviceCommand,
  DeleteLoginProfileCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  type IAMClient,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListMFADevices,
  paginateListUsers,
  paginateListUserTags,
  paginateListVirtualMFADevices,
  ResyncMFADeviceCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { AccessKey, IamPort, MfaDevice, VirtualMfaDevice } from '../core/ports.ts';
import { errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

async function collect<P, T>(
  pages: AsyncIterable<P>,
  pick: (page: P) => readonly T[] | undefined,
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...(pick(page) ?? []));
  return items;
}

/** Creates the IAM adapter for one account's client. */
export function createIamAdapter(client: IAMClient): IamPort {
  const iam = <T>(operation: string, fn: () => Promise<T>) => call('iam', operation, fn);
  return {
    listMfaDevices: (userName) =>
      iam('ListMFADevices', () =>
        collect(paginateListMFADevices({ client }, { UserName: userName }), (p) => p.MFADevices),
      ).then((devices) =>
        devices.map(
          (d): MfaDevice => ({
            serialNumber: d.SerialNumber ?? '',
            ...(d.EnableDate ? { enableDate: d.EnableDate } : {}),
          }),
        ),
      ),

    hasLoginProfile: async (userName) => {
      try {
        await iam('GetLoginProfile', () => client.send(new GetLoginProfileCommand({ UserName: userName })));
        return true;
      } catch (error) {
        // IAM answers NoSuchEntity both for "no password" and "no user"; ListMFADevices ran first and
        // already proved the user exists.
        if (errorCode(error) === 'NoSuchEntity') return false;
        throw error;
      }
    },

    listUserTags: (userName) =>
      iam('ListUserTags', () =>
        collect(paginateListUserTags({ client }, { UserName: userName }), (p) => p.Tags),
      ).then((tags) => Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']))),

    isPolicyAttached: (userName, policyArn) =>
      iam('ListAttachedUserPolicies', () =>
        collect(
          paginateListAttachedUserPolicies({ client }, { UserName: userName }),
          (p) => p.AttachedPolicies,
        ),
      ).then((policies) => policies.some((p) => p.PolicyArn === policyArn)),

    attachUserPolicy: async (userName, policyArn) => {
      await iam('AttachUserPolicy', () =>
        client.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
      );
    },

    detachUserPolicy: async (userName, policyArn) => {
      try {
        await iam('DetachUserPolicy', () =>
          client.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
        );
        return 'detached';
      } catch (error) {
        if (errorCode(error) === 'NoSuchEntity') return 'not-attached';
        throw error;
      }
    },

    tagUser: async (userName, tags) => {
      await iam('TagUser', () =>
        client.send(
          new TagUserCommand({
            UserName: userName,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
    },

    untagUser: async (userName, keys) => {
      await iam('UntagUser', () =>
        client.send(new UntagUserCommand({ UserName: userName, TagKeys: [...keys] })),
      );
    },

    deleteLoginProfile: async (userName) => {
      try {
        await iam('DeleteLoginProfile', () =>
          client.send(new DeleteLoginProfileCommand({ UserName: userName })),
        );
        return 'deleted';
      } catch (error) {
        if (errorCode(error) === 'NoSuchEntity') return 'absent';
        throw error;
      }
    },

    listAccessKeys: (userName) =>
      iam('ListAccessKeys', () =>
        collect(paginateListAccessKeys({ client }, { UserName: userName }), (p) => p.AccessKeyMetadata),
      ).then((keys) =>
        keys.map(
          (k): AccessKey => ({
            accessKeyId: k.AccessKeyId ?? '',
            status: k.Status === 'Active' ? 'Active' : 'Inactive',
          }),
        ),
      ),

    deactivateAccessKey: async (userName, accessKeyId) => {
      await iam('UpdateAccessKey', () =>
        client.send(
          new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }),
        ),
      );
    },

    getUser: async (userName) => {
      try {
        const { User: user } = await iam('GetUser', () =>
          client.send(new GetUserCommand({ UserName: userName })),
        );
        if (!user?.UserName || !user.UserId) return undefined;
        return { userName: user.UserName, userId: user.UserId, arn: user.Arn ?? '' };
      } catch (error) {
        if (errorCode(error) === 'NoSuchEntity') return undefined;
        throw error;
      }
    },

    listUsers: () =>
      // The largest page IAM serves: a 4,000-user account is listed in four calls.
      iam('ListUsers', () => collect(paginateListUsers({ client, pageSize: 1000 }, {}), (p) => p.Users)).then(
        (users) =>
          users.flatMap((u) =>
            u.UserName && u.UserId ? [{ userName: u.UserName, userId: u.UserId, arn: u.Arn ?? '' }] : [],
          ),
      ),

    enableMfaDevice: async (userName, serialNumber, code1, code2) => {
      await iam('EnableMFADevice', () =>
        client.send(
          new EnableMFADeviceCommand({
            UserName: userName,
            SerialNumber: serialNumber,
            AuthenticationCode1: code1,
            AuthenticationCode2: code2,
          }),
        ),
      );
    },

    resyncMfaDevice: async (userName, serialNumber, code1, code2) => {
      await iam('ResyncMFADevice', () =>
        client.send(
          new ResyncMFADeviceCommand({
            UserName: userName,
            SerialNumber: serialNumber,
            AuthenticationCode1: code1,
            AuthenticationCode2: code2,
          }),
        ),
      );
    },

    createVirtualMfaDevice: async (name, path) => {
      const response = await iam('CreateVirtualMFADevice', () =>
        client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name, Path: path })),
      );
      const device = response.VirtualMFADevice;
      if (!device?.SerialNumber || !device.Base32StringSeed) {
        throw new Error('CreateVirtualMFADevice returned no serial number or seed');
      }
      // The blob holds the base32 seed's ASCII characters.
      const seedBase32 = new TextDecoder().decode(device.Base32StringSeed);
      return {
        serialNumber: device.SerialNumber,
        seedBase32,
        ...(device.QRCodePNG ? { qrCodePng: device.QRCodePNG } : {}),
      };
    },

    deleteVirtualMfaDevice: async (serialNumber) => {
      await iam('DeleteVirtualMFADevice', () =>
        client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serialNumber })),
      );
    },

    listVirtualMfaDevices: ({ assignment }) =>
      iam('ListVirtualMFADevices', () =>
        collect(
          paginateListVirtualMFADevices({ client }, { AssignmentStatus: assignment }),
          (p) => p.VirtualMFADevices,
        ),
      ).then((devices) =>
        devices.map(
          (d): VirtualMfaDevice => ({
            serialNumber: d.SerialNumber ?? '',
            ...(d.User?.UserName ? { userName: d.User.UserName } : {}),
          }),
        ),
      ),
  };
}
