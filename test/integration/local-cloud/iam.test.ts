import {
  AttachUserPolicyCommand,
  ConcurrentModificationException,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteConflictException,
  DeleteLoginProfileCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  EnableMFADeviceCommand,
  EntityAlreadyExistsException,
  GenerateCredentialReportCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  InvalidAuthenticationCodeException,
  InvalidInputException,
  LimitExceededException,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListMFADevicesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  ListVirtualMFADevicesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PasswordPolicyViolationException,
  paginateListUsers,
  ResyncMFADeviceCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { HOTP, Secret } from 'otpauth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guardPolicyArn, NAMES } from '../../../src/core/model.ts';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { GUARD_POLICY_DOCUMENT } from '../../../src/policies/guard-policy.ts';
import { clientOptions, failure } from './support.ts';

const ACCOUNT = '123456789012';
const START = Date.parse('2026-11-23T10:00:00Z');
const STEP_MS = 30_000;

/** TOTP code of a base32 seed for the step `offset` steps from the clock's current step (RFC 6238, SHA1). */
function code(seed: string, nowMs: number, offset: number): string {
  const counter = Math.floor(nowMs / STEP_MS) + offset;
  return HOTP.generate({ secret: Secret.fromBase32(seed), algorithm: 'SHA1', digits: 6, counter });
}

describe('local cloud: IAM through the AWS SDK', () => {
  let cloud: LocalCloud;
  let iam: IAMClient;
  let clock = START;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, now: () => clock });
    iam = new IAMClient(clientOptions(cloud));
  });
  beforeEach(() => {
    clock = START;
  });
  afterEach(() => cloud.reset());
  afterAll(async () => {
    iam.destroy();
    await cloud.close();
  });

  const createUser = (UserName: string, extra: { Path?: string } = {}) =>
    iam.send(new CreateUserCommand({ UserName, ...extra }));

  /** A virtual device for `userName`, enabled with a fresh consecutive code pair. */
  async function enrol(userName: string, deviceName = userName): Promise<string> {
    const created = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: deviceName }));
    const serial = created.VirtualMFADevice?.SerialNumber ?? '';
    const seed = cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: userName,
        SerialNumber: serial,
        AuthenticationCode1: code(seed, clock, -1),
        AuthenticationCode2: code(seed, clock, 0),
      }),
    );
    return serial;
  }

  describe('users', () => {
    it('creates a user with AWS-shaped id and ARN, path and tags', async () => {
      // Act
      const created = await createUser('alice', { Path: '/engineering/' });
      await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'red' }] }));
      const fetched = await iam.send(new GetUserCommand({ UserName: 'alice' }));

      // Assess
      expect(created.User?.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
      expect(created.User?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/engineering/alice`);
      expect(created.User?.Path).toBe('/engineering/');
      expect(created.User?.CreateDate).toEqual(new Date(START));
      expect(fetched.User?.Tags).toEqual([{ Key: 'team', Value: 'red' }]);
    });

    it('refuses a second user whose name differs only in case (EntityAlreadyExists, 409)', async () => {
      // Prepare
      await createUser('Alice');

      // Act
      const error = await failure(createUser('alice'));

      // Assess
      expect(error).toBeInstanceOf(EntityAlreadyExistsException);
      expect(error.$metadata.httpStatusCode).toBe(409);
    });

    it('validates the user name and path as the IAM model does (ValidationError, 400)', async () => {
      // Act
      const badName = await failure(createUser('no spaces allowed'));
      const badPath = await failure(createUser('bob', { Path: 'engineering' }));

      // Assess
      expect(badName.name).toBe('ValidationError');
      expect(badName.$metadata.httpStatusCode).toBe(400);
      expect(badName.message).toContain("at 'userName' failed to satisfy constraint");
      expect(badPath.name).toBe('ValidationError');
    });

    it('answers an unknown user with NoSuchEntityException (404)', async () => {
      // Act
      const error = await failure(iam.send(new GetUserCommand({ UserName: 'ghost' })));

      // Assess
      expect(error).toBeInstanceOf(NoSuchEntityException);
      expect(error.$metadata.httpStatusCode).toBe(404);
      expect(error.message).toBe('The user with name ghost cannot be found.');
    });

    it('answers GetUser without a name with the calling root user', async () => {
      // Act
      const result = await iam.send(new GetUserCommand({}));

      // Assess
      expect(result.User).toMatchObject({ UserId: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
    });

    it('refuses to delete a user that still has a password, keys, devices or policies (DeleteConflict, 409)', async () => {
      // Prepare
      await createUser('carol');
      await iam.send(new CreateLoginProfileCommand({ UserName: 'carol', Password: 'correct-horse-1' }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'carol', PolicyArn: guardPolicyArn(ACCOUNT) }));
      const serial = await enrol('carol');
      const remove = [
        () => iam.send(new DeleteLoginProfileCommand({ UserName: 'carol' })),
        () =>
          iam.send(new DeleteAccessKeyCommand({ UserName: 'carol', AccessKeyId: AccessKey?.AccessKeyId })),
        () => iam.send(new DeactivateMFADeviceCommand({ UserName: 'carol', SerialNumber: serial })),
        () =>
          iam.send(new DetachUserPolicyCommand({ UserName: 'carol', PolicyArn: guardPolicyArn(ACCOUNT) })),
      ];

      // Act + Assess: each blocker in turn
      for (const removeBlocker of remove) {
        const error = await failure(iam.send(new DeleteUserCommand({ UserName: 'carol' })));
        expect(error).toBeInstanceOf(DeleteConflictException);
        expect(error.$metadata.httpStatusCode).toBe(409);
        await removeBlocker();
      }
      await iam.send(new DeleteUserCommand({ UserName: 'carol' }));
      expect(cloud.iam.getUser(ACCOUNT, 'carol')).toBeUndefined();
    });

    it('pages through 250 users 100 at a time, and the SDK paginator collects them all', async () => {
      // Prepare
      const names = Array.from({ length: 250 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
      cloud.seed({ users: names.map((userName) => ({ userName })) });

      // Act
      const pages: string[][] = [];
      let marker: string | undefined;
      do {
        const page = await iam.send(new ListUsersCommand({ MaxItems: 100, Marker: marker }));
        pages.push((page.Users ?? []).map((u) => u.UserName ?? ''));
        expect(page.IsTruncated).toBe(page.Marker !== undefined);
        marker = page.Marker;
      } while (marker);
      const viaPaginator: string[] = [];
      for await (const page of paginateListUsers({ client: iam }, {})) {
        viaPaginator.push(...(page.Users ?? []).map((u) => u.UserName ?? ''));
      }

      // Assess
      expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
      expect(pages.flat()).toEqual(names);
      expect(viaPaginator).toEqual(names);
    });

    it('filters ListUsers by path prefix and validates MaxItems', async () => {
      // Prepare
      await createUser('dev-1', { Path: '/dev/' });
      await createUser('ops-1', { Path: '/ops/' });

      // Act
      const dev = await iam.send(new ListUsersCommand({ PathPrefix: '/dev/' }));
      const tooSmall = await failure(iam.send(new ListUsersCommand({ MaxItems: 0 })));
      const badMarker = await failure(iam.send(new ListUsersCommand({ Marker: 'not-ours' })));

      // Assess
      expect(dev.Users?.map((u) => u.UserName)).toEqual(['dev-1']);
      expect(dev.IsTruncated).toBe(false);
      expect(tooSmall.name).toBe('ValidationError');
      expect(badMarker).toBeInstanceOf(InvalidInputException);
    });
  });

  describe('login profiles and access keys', () => {
    it('creates, reads and deletes a login profile', async () => {
      // Prepare
      await createUser('dave');

      // Act
      await iam.send(
        new CreateLoginProfileCommand({
          UserName: 'dave',
          Password: 'correct-horse-1',
          PasswordResetRequired: true,
        }),
      );
      const profile = await iam.send(new GetLoginProfileCommand({ UserName: 'dave' }));
      const again = await failure(
        iam.send(new CreateLoginProfileCommand({ UserName: 'dave', Password: 'correct-horse-2' })),
      );
      await iam.send(new DeleteLoginProfileCommand({ UserName: 'dave' }));
      const gone = await failure(iam.send(new GetLoginProfileCommand({ UserName: 'dave' })));

      // Assess
      expect(profile.LoginProfile).toEqual({
        UserName: 'dave',
        CreateDate: new Date(START),
        PasswordResetRequired: true,
      });
      expect(again).toBeInstanceOf(EntityAlreadyExistsException);
      expect(gone).toBeInstanceOf(NoSuchEntityException);
      expect(gone.$metadata.httpStatusCode).toBe(404);
    });

    it('enforces the default password policy', async () => {
      // Prepare
      await createUser('erin');

      // Act
      const error = await failure(
        iam.send(new CreateLoginProfileCommand({ UserName: 'erin', Password: 'short' })),
      );

      // Assess
      expect(error).toBeInstanceOf(PasswordPolicyViolationException);
    });

    it('allows two access keys per user, lists, deactivates and deletes them', async () => {
      // Prepare
      await createUser('frank');

      // Act
      const first = await iam.send(new CreateAccessKeyCommand({ UserName: 'frank' }));
      await iam.send(new CreateAccessKeyCommand({ UserName: 'frank' }));
      const third = await failure(iam.send(new CreateAccessKeyCommand({ UserName: 'frank' })));
      const id = first.AccessKey?.AccessKeyId ?? '';
      await iam.send(new UpdateAccessKeyCommand({ UserName: 'frank', AccessKeyId: id, Status: 'Inactive' }));
      const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'frank' }));
      await iam.send(new DeleteAccessKeyCommand({ UserName: 'frank', AccessKeyId: id }));
      const deletedAgain = await failure(
        iam.send(new DeleteAccessKeyCommand({ UserName: 'frank', AccessKeyId: id })),
      );

      // Assess
      expect(id).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(first.AccessKey?.SecretAccessKey).toHaveLength(40);
      expect(third).toBeInstanceOf(LimitExceededException);
      expect(third.$metadata.httpStatusCode).toBe(409);
      expect(listed.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Inactive', 'Active']);
      expect(deletedAgain).toBeInstanceOf(NoSuchEntityException);
      expect(cloud.iam.getUser(ACCOUNT, 'frank')?.accessKeys).toHaveLength(1);
    });
  });

  describe('tags', () => {
    it('merges tags, overwriting keys case-insensitively, untags and pages ListUserTags', async () => {
      // Prepare
      await createUser('gina');

      // Act
      await iam.send(
        new TagUserCommand({
          UserName: 'gina',
          Tags: [
            { Key: 'team', Value: 'red' },
            { Key: 'mfa-remediation:state', Value: 'enrollment-required' },
            { Key: 'cost-centre', Value: '42' },
          ],
        }),
      );
      await iam.send(new TagUserCommand({ UserName: 'gina', Tags: [{ Key: 'Team', Value: 'blue' }] }));
      await iam.send(new UntagUserCommand({ UserName: 'gina', TagKeys: ['cost-centre', 'not-there'] }));
      const firstPage = await iam.send(new ListUserTagsCommand({ UserName: 'gina', MaxItems: 1 }));
      const secondPage = await iam.send(
        new ListUserTagsCommand({ UserName: 'gina', MaxItems: 1, Marker: firstPage.Marker }),
      );

      // Assess
      expect(firstPage.Tags).toEqual([{ Key: 'Team', Value: 'blue' }]);
      expect(firstPage.IsTruncated).toBe(true);
      expect(secondPage.Tags).toEqual([{ Key: 'mfa-remediation:state', Value: 'enrollment-required' }]);
      expect(secondPage.IsTruncated).toBe(false);
    });

    it('enforces the tag quota, the reserved prefix and the key length', async () => {
      // Prepare
      await createUser('hank');
      const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      await iam.send(new TagUserCommand({ UserName: 'hank', Tags: fifty }));

      // Act
      const fiftyFirst = await failure(
        iam.send(new TagUserCommand({ UserName: 'hank', Tags: [{ Key: 'one-more', Value: 'v' }] })),
      );
      const reserved = await failure(
        iam.send(new TagUserCommand({ UserName: 'hank', Tags: [{ Key: 'aws:owner', Value: 'v' }] })),
      );
      const tooLong = await failure(
        iam.send(new TagUserCommand({ UserName: 'hank', Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] })),
      );
      const unknownUser = await failure(
        iam.send(new TagUserCommand({ UserName: 'nobody', Tags: [{ Key: 'a', Value: 'b' }] })),
      );

      // Assess
      expect(fiftyFirst).toBeInstanceOf(LimitExceededException);
      expect(reserved).toBeInstanceOf(InvalidInputException);
      expect(tooLong.name).toBe('ValidationError');
      expect(unknownUser).toBeInstanceOf(NoSuchEntityException);
      expect(Object.keys(cloud.iam.getUser(ACCOUNT, 'hank')?.tags ?? {})).toHaveLength(50);
    });
  });

  describe('managed policies', () => {
    it('has the guard policy deployed in every account', async () => {
      // Act
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: guardPolicyArn(ACCOUNT) }));

      // Assess
      expect(Policy).toMatchObject({
        PolicyName: NAMES.guardPolicyName,
        Path: NAMES.guardPolicyPath,
        Arn: `arn:aws:iam::${ACCOUNT}:policy/mfa-remediation/MfaRemediationGuard`,
        AttachmentCount: 0,
        IsAttachable: true,
      });
      expect(Policy?.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
      const stored = cloud.iam.account(ACCOUNT).policies.get(guardPolicyArn(ACCOUNT));
      expect(JSON.parse(stored?.document ?? '{}')).toEqual(GUARD_POLICY_DOCUMENT);
    });

    it('attaches idempotently, detaches, and says NoSuchEntity for what is missing or not attached', async () => {
      // Prepare
      await createUser('ivan');
      const guard = guardPolicyArn(ACCOUNT);

      // Act
      await iam.send(new AttachUserPolicyCommand({ UserName: 'ivan', PolicyArn: guard }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'ivan', PolicyArn: guard }));
      await iam.send(
        new AttachUserPolicyCommand({
          UserName: 'ivan',
          PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      );
      const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'ivan' }));
      const count = await iam.send(new GetPolicyCommand({ PolicyArn: guard }));
      const missing = await failure(
        iam.send(
          new AttachUserPolicyCommand({ UserName: 'ivan', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/Nope` }),
        ),
      );
      await iam.send(new DetachUserPolicyCommand({ UserName: 'ivan', PolicyArn: guard }));
      const notAttached = await failure(
        iam.send(new DetachUserPolicyCommand({ UserName: 'ivan', PolicyArn: guard })),
      );

      // Assess
      expect(attached.AttachedPolicies).toEqual([
        { PolicyName: 'MfaRemediationGuard', PolicyArn: guard },
        { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ]);
      expect(count.Policy?.AttachmentCount).toBe(1);
      expect(missing).toBeInstanceOf(NoSuchEntityException);
      expect(notAttached).toBeInstanceOf(NoSuchEntityException);
      expect(notAttached.$metadata.httpStatusCode).toBe(404);
    });

    it('creates, lists entities for, and deletes a customer-managed policy', async () => {
      // Prepare
      const document = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
      });
      const { Policy } = await iam.send(
        new CreatePolicyCommand({ PolicyName: 'DenyAll', PolicyDocument: document }),
      );
      const arn = Policy?.Arn ?? '';
      for (const name of ['u1', 'u2', 'u3']) {
        await createUser(name);
        await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
      }

      // Act
      const duplicate = await failure(
        iam.send(new CreatePolicyCommand({ PolicyName: 'DenyAll', PolicyDocument: document })),
      );
      const malformed = await failure(
        iam.send(new CreatePolicyCommand({ PolicyName: 'Broken', PolicyDocument: '{"Version":' })),
      );
      const page1 = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, MaxItems: 2 }));
      const page2 = await iam.send(
        new ListEntitiesForPolicyCommand({ PolicyArn: arn, Marker: page1.Marker }),
      );
      const roles = await iam.send(
        new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'Role' }),
      );
      const inUse = await failure(iam.send(new DeletePolicyCommand({ PolicyArn: arn })));
      for (const name of ['u1', 'u2', 'u3']) {
        await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
      }
      await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
      const gone = await failure(iam.send(new GetPolicyCommand({ PolicyArn: arn })));

      // Assess
      expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:policy/DenyAll`);
      expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);
      expect(malformed).toBeInstanceOf(MalformedPolicyDocumentException);
      expect(page1.PolicyUsers?.map((u) => u.UserName)).toEqual(['u1', 'u2']);
      expect(page1.IsTruncated).toBe(true);
      expect(page2.PolicyUsers?.map((u) => u.UserName)).toEqual(['u3']);
      expect(page2.PolicyGroups).toEqual([]);
      expect(roles.PolicyUsers).toEqual([]);
      expect(inUse).toBeInstanceOf(DeleteConflictException);
      expect(gone).toBeInstanceOf(NoSuchEntityException);
    });
  });

  describe('virtual MFA devices', () => {
    it('creates a device with a real base32 seed and a PNG QR code', async () => {
      // Act
      const { VirtualMFADevice } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'jane', Path: NAMES.devicePath }),
      );
      const duplicate = await failure(
        iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'jane', Path: NAMES.devicePath })),
      );

      // Assess
      expect(VirtualMFADevice?.SerialNumber).toBe(`arn:aws:iam::${ACCOUNT}:mfa/mfa-remediation/jane`);
      const seed = Buffer.from(VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('ascii');
      expect(seed).toMatch(/^[A-Z2-7]{64}$/);
      expect(seed).toBe(cloud.iam.deviceSeed(ACCOUNT, VirtualMFADevice?.SerialNumber ?? ''));
      const png = Buffer.from(VirtualMFADevice?.QRCodePNG ?? new Uint8Array());
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);
    });

    it('enables a device with two consecutive current codes and lists it', async () => {
      // Prepare
      await createUser('kate');

      // Act
      const serial = await enrol('kate');
      const mine = await iam.send(new ListMFADevicesCommand({ UserName: 'kate' }));
      const assigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));
      const unassigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Unassigned' }));

      // Assess
      expect(mine.MFADevices).toEqual([
        { UserName: 'kate', SerialNumber: serial, EnableDate: new Date(START) },
      ]);
      expect(assigned.VirtualMFADevices).toHaveLength(1);
      expect(assigned.VirtualMFADevices?.[0]).toMatchObject({
        SerialNumber: serial,
        EnableDate: new Date(START),
        User: { UserName: 'kate', Arn: `arn:aws:iam::${ACCOUNT}:user/kate` },
      });
      expect(assigned.VirtualMFADevices?.[0]?.User?.UserId).toMatch(/^AIDA/);
      expect(unassigned.VirtualMFADevices).toEqual([]);
      expect(cloud.iam.isOutOfSync(ACCOUNT, serial)).toBe(false);
    });

    it.each([
      ['a non-consecutive pair', -2, 0],
      ['a reversed pair', 0, -1],
      ['a pair older than the widest window', -25, -24],
      ['a pair from the future', 1, 2],
    ])(
      'rejects %s with InvalidAuthenticationCodeException (403) and leaves the device unassigned',
      async (_, first, second) => {
        // Prepare
        await createUser('liam');
        const { VirtualMFADevice } = await iam.send(
          new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'liam' }),
        );
        const serial = VirtualMFADevice?.SerialNumber ?? '';
        const seed = cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';

        // Act
        const error = await failure(
          iam.send(
            new EnableMFADeviceCommand({
              UserName: 'liam',
              SerialNumber: serial,
              AuthenticationCode1: code(seed, clock, first),
              AuthenticationCode2: code(seed, clock, second),
            }),
          ),
        );

        // Assess
        expect(error).toBeInstanceOf(InvalidAuthenticationCodeException);
        expect(error.$metadata.httpStatusCode).toBe(403);
        expect(error.message).toBe('Authentication code for device is not valid.');
        expect(cloud.iam.getUser(ACCOUNT, 'liam')?.mfaSerialNumbers).toEqual([]);
      },
    );

    it('rejects codes that are not six digits with ValidationError', async () => {
      // Prepare
      await createUser('mia');
      const { VirtualMFADevice } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'mia' }),
      );

      // Act
      const error = await failure(
        iam.send(
          new EnableMFADeviceCommand({
            UserName: 'mia',
            SerialNumber: VirtualMFADevice?.SerialNumber,
            AuthenticationCode1: '12345a',
            AuthenticationCode2: '123456',
          }),
        ),
      );

      // Assess
      expect(error.name).toBe('ValidationError');
      expect(error.$metadata.httpStatusCode).toBe(400);
    });

    it('associates a device enabled with an old pair but marks it out of sync until resynchronised', async () => {
      // Prepare
      await createUser('noah');
      const { VirtualMFADevice } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'noah' }),
      );
      const serial = VirtualMFADevice?.SerialNumber ?? '';
      const seed = cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';
      const oldCode1 = code(seed, clock, -10);
      const oldCode2 = code(seed, clock, -9);

      // Act
      await iam.send(
        new EnableMFADeviceCommand({
          UserName: 'noah',
          SerialNumber: serial,
          AuthenticationCode1: oldCode1,
          AuthenticationCode2: oldCode2,
        }),
      );
      const outOfSync = cloud.iam.isOutOfSync(ACCOUNT, serial);
      const listed = await iam.send(new ListMFADevicesCommand({ UserName: 'noah' }));
      const badResync = await failure(
        iam.send(
          new ResyncMFADeviceCommand({
            UserName: 'noah',
            SerialNumber: serial,
            AuthenticationCode1: code(seed, clock, 0),
            AuthenticationCode2: code(seed, clock, -1),
          }),
        ),
      );
      clock += 2 * STEP_MS;
      await iam.send(
        new ResyncMFADeviceCommand({
          UserName: 'noah',
          SerialNumber: serial,
          AuthenticationCode1: code(seed, clock, -1),
          AuthenticationCode2: code(seed, clock, 0),
        }),
      );

      // Assess
      expect(outOfSync).toBe(true);
      expect(listed.MFADevices?.map((d) => d.SerialNumber)).toEqual([serial]);
      expect(badResync).toBeInstanceOf(InvalidAuthenticationCodeException);
      expect(cloud.iam.isOutOfSync(ACCOUNT, serial)).toBe(false);
    });

    it('refuses to resync a device the user does not hold (NoSuchEntity)', async () => {
      // Prepare
      await createUser('olga');
      const { VirtualMFADevice } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'olga' }),
      );

      // Act
      const error = await failure(
        iam.send(
          new ResyncMFADeviceCommand({
            UserName: 'olga',
            SerialNumber: VirtualMFADevice?.SerialNumber,
            AuthenticationCode1: '123456',
            AuthenticationCode2: '654321',
          }),
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(NoSuchEntityException);
    });

    it('keeps a device to one user: enabling it again, for anyone, is EntityAlreadyExists (409)', async () => {
      // Prepare
      await createUser('pam');
      await createUser('quinn');
      const serial = await enrol('pam');
      const seed = cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';
      const pair = { AuthenticationCode1: code(seed, clock, -1), AuthenticationCode2: code(seed, clock, 0) };

      // Act
      const other = await failure(
        iam.send(new EnableMFADeviceCommand({ UserName: 'quinn', SerialNumber: serial, ...pair })),
      );
      const same = await failure(
        iam.send(new EnableMFADeviceCommand({ UserName: 'pam', SerialNumber: serial, ...pair })),
      );

      // Assess
      expect(other).toBeInstanceOf(EntityAlreadyExistsException);
      expect(other.$metadata.httpStatusCode).toBe(409);
      expect(same).toBeInstanceOf(EntityAlreadyExistsException);
      expect(cloud.iam.getUser(ACCOUNT, 'quinn')?.mfaSerialNumbers).toEqual([]);
    });

    it('allows eight devices per user; the ninth is LimitExceeded (409)', async () => {
      // Prepare
      await createUser('rita');
      for (let i = 1; i <= 8; i++) await enrol('rita', `rita-${i}`);

      // Act
      const error = await failure(enrol('rita', 'rita-9'));

      // Assess
      expect(error).toBeInstanceOf(LimitExceededException);
      expect(error.$metadata.httpStatusCode).toBe(409);
      expect(cloud.iam.getUser(ACCOUNT, 'rita')?.mfaSerialNumbers).toHaveLength(8);
    });

    it('refuses to delete an assigned device (DeleteConflict), then deactivates and deletes it', async () => {
      // Prepare
      await createUser('sam');
      const serial = await enrol('sam');

      // Act
      const conflict = await failure(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })));
      await iam.send(new DeactivateMFADeviceCommand({ UserName: 'sam', SerialNumber: serial }));
      const unassigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Unassigned' }));
      await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
      const gone = await failure(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })));

      // Assess
      expect(conflict).toBeInstanceOf(DeleteConflictException);
      expect(conflict.$metadata.httpStatusCode).toBe(409);
      expect(unassigned.VirtualMFADevices?.map((d) => d.SerialNumber)).toEqual([serial]);
      expect(gone).toBeInstanceOf(NoSuchEntityException);
    });

    it('answers unknown users and devices with NoSuchEntity', async () => {
      // Prepare
      await createUser('tom');

      // Act
      const unknownUser = await failure(iam.send(new ListMFADevicesCommand({ UserName: 'nobody' })));
      const unknownDevice = await failure(
        iam.send(
          new EnableMFADeviceCommand({
            UserName: 'tom',
            SerialNumber: `arn:aws:iam::${ACCOUNT}:mfa/none`,
            AuthenticationCode1: '123456',
            AuthenticationCode2: '234567',
          }),
        ),
      );
      const deactivateUnknown = await failure(
        iam.send(
          new DeactivateMFADeviceCommand({
            UserName: 'tom',
            SerialNumber: `arn:aws:iam::${ACCOUNT}:mfa/none`,
          }),
        ),
      );

      // Assess
      expect(unknownUser).toBeInstanceOf(NoSuchEntityException);
      expect(unknownDevice).toBeInstanceOf(NoSuchEntityException);
      expect(deactivateUnknown).toBeInstanceOf(NoSuchEntityException);
    });

    it('pages ListVirtualMFADevices', async () => {
      // Prepare
      for (const name of ['d1', 'd2', 'd3']) {
        await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
      }

      // Act
      const first = await iam.send(new ListVirtualMFADevicesCommand({ MaxItems: 2 }));
      const second = await iam.send(new ListVirtualMFADevicesCommand({ MaxItems: 2, Marker: first.Marker }));

      // Assess
      expect(first.VirtualMFADevices?.map((d) => d.SerialNumber?.split('/').pop())).toEqual(['d1', 'd2']);
      expect(first.IsTruncated).toBe(true);
      expect(second.VirtualMFADevices?.map((d) => d.SerialNumber?.split('/').pop())).toEqual(['d3']);
      expect(second.IsTruncated).toBe(false);
    });
  });

  describe('credential report', () => {
    const decode = (content: Uint8Array | undefined) =>
      Buffer.from(content ?? new Uint8Array()).toString('utf8');

    it('is not present before generation, in progress once started, then complete', async () => {
      // Prepare
      cloud.seed({ rootMfa: false, users: [{ userName: 'uma', consolePassword: true, accessKeys: 1 }] });
      await createUser('vic');
      await enrol('vic');

      // Act
      const notPresent = await failure(iam.send(new GetCredentialReportCommand({})));
      const started = await iam.send(new GenerateCredentialReportCommand({}));
      const inProgress = await failure(iam.send(new GetCredentialReportCommand({})));
      const completed = await iam.send(new GenerateCredentialReportCommand({}));
      const report = await iam.send(new GetCredentialReportCommand({}));

      // Assess
      expect(notPresent).toBeInstanceOf(CredentialReportNotPresentException);
      expect(notPresent.$metadata.httpStatusCode).toBe(410);
      expect(started.State).toBe('STARTED');
      expect(inProgress).toBeInstanceOf(CredentialReportNotReadyException);
      expect(inProgress.$metadata.httpStatusCode).toBe(404);
      expect(completed.State).toBe('COMPLETE');
      expect(report.ReportFormat).toBe('text/csv');
      expect(report.GeneratedTime).toEqual(new Date(START));
      const [header, root, uma, vic] = decode(report.Content).trimEnd().split('\n');
      expect(header).toBe(
        'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,' +
          'password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,' +
          'access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,' +
          'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,' +
          'access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,' +
          'cert_2_active,cert_2_last_rotated',
      );
      expect(root).toBe(
        `<root_account>,arn:aws:iam::${ACCOUNT}:root,2026-11-23T10:00:00+00:00,not_supported,no_information,` +
          'not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      );
      expect(uma).toBe(
        `uma,arn:aws:iam::${ACCOUNT}:user/uma,2026-11-23T10:00:00+00:00,true,no_information,` +
          '2026-11-23T10:00:00+00:00,N/A,false,true,2026-11-23T10:00:00+00:00,N/A,N/A,N/A,' +
          'false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      );
      expect(vic?.split(',').slice(3, 8)).toEqual(['false', 'N/A', 'N/A', 'N/A', 'true']);
    });

    it('completes on its own after a few hundred milliseconds of clock time', async () => {
      // Prepare
      await iam.send(new GenerateCredentialReportCommand({}));
      clock += 1000;

      // Act
      const report = await iam.send(new GetCredentialReportCommand({}));

      // Assess
      expect(decode(report.Content)).toContain('<root_account>');
    });

    it('reuses a report younger than four hours and regenerates an older one', async () => {
      // Prepare
      await iam.send(new GenerateCredentialReportCommand({}));
      await iam.send(new GenerateCredentialReportCommand({}));
      await createUser('walt');

      // Act
      const reused = await iam.send(new GenerateCredentialReportCommand({}));
      const cached = decode((await iam.send(new GetCredentialReportCommand({}))).Content);
      clock += 4 * 60 * 60 * 1000 + 1;
      const regenerated = await iam.send(new GenerateCredentialReportCommand({}));
      clock += 1000;
      const fresh = decode((await iam.send(new GetCredentialReportCommand({}))).Content);

      // Assess
      expect(reused.State).toBe('COMPLETE');
      expect(cached).not.toContain('walt');
      expect(regenerated.State).toBe('STARTED');
      expect(fresh).toContain(`walt,arn:aws:iam::${ACCOUNT}:user/walt`);
    });
  });

  describe('account summary', () => {
    it('reports root MFA and usage', async () => {
      // Prepare
      cloud.seed({ rootMfa: false, users: [{ userName: 'xena', mfa: true }] });

      // Act
      const { SummaryMap } = await iam.send(new GetAccountSummaryCommand({}));

      // Assess
      expect(SummaryMap).toMatchObject({ AccountMFAEnabled: 0, Users: 1, MFADevices: 1, MFADevicesInUse: 1 });
    });
  });
});

describe('local cloud: IAM write conflicts', () => {
  it('fails one of two concurrent writes to the same user with ConcurrentModification (409)', async () => {
    // Prepare
    const cloud = await startLocalCloud({ latencyMs: 80 });
    const iam = new IAMClient(clientOptions(cloud));
    cloud.seed({ users: [{ userName: 'yara' }, { userName: 'zack' }] });
    const tag = (UserName: string, Value: string) =>
      iam.send(new TagUserCommand({ UserName, Tags: [{ Key: 'k', Value }] }));

    // Act
    const sameUser = await Promise.allSettled([tag('yara', 'a'), tag('yara', 'b')]);
    const differentUsers = await Promise.allSettled([tag('yara', 'c'), tag('zack', 'd')]);
    await tag('yara', 'e');

    // Assess
    const rejected = sameUser.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const error = (rejected[0] as PromiseRejectedResult).reason as ConcurrentModificationException;
    expect(error).toBeInstanceOf(ConcurrentModificationException);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(differentUsers.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(cloud.iam.getUser('123456789012', 'yara')?.tags).toEqual({ k: 'e' });
    iam.destroy();
    await cloud.close();
  });

  it('fails parallel writes to one user at 0 ms latency, as IAM does, and never a caller that waits', async () => {
    // Prepare: the default local cloud (no injected latency, the default write window)
    const cloud = await startLocalCloud();
    const iam = new IAMClient(clientOptions(cloud));
    cloud.seed({ users: [{ userName: 'amy' }] });
    const tag = (Value: string) =>
      iam.send(new TagUserCommand({ UserName: 'amy', Tags: [{ Key: 'k', Value }] }));

    // Act
    const parallel = await Promise.allSettled(['1', '2', '3', '4', '5', '6', '7', '8'].map((v) => tag(v)));
    const sequential: unknown[] = [];
    for (const v of ['a', 'b', 'c', 'd']) sequential.push(await tag(v));

    // Assess
    const conflicts = parallel.filter(
      (r) => r.status === 'rejected' && r.reason instanceof ConcurrentModificationException,
    );
    expect(parallel.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(conflicts.length).toBeGreaterThanOrEqual(1);
    expect(conflicts.length + parallel.filter((r) => r.status === 'fulfilled').length).toBe(8);
    expect(sequential).toHaveLength(4);
    expect(cloud.iam.getUser('123456789012', 'amy')?.tags).toEqual({ k: 'd' });
    iam.destroy();
    await cloud.close();
  });

  it('turns the window off with conflictWindowMs 0', async () => {
    // Prepare
    const cloud = await startLocalCloud({ conflictWindowMs: 0 });
    const iam = new IAMClient(clientOptions(cloud));
    cloud.seed({ users: [{ userName: 'bea' }] });

    // Act
    const parallel = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        iam.send(new TagUserCommand({ UserName: 'bea', Tags: [{ Key: `k${n}`, Value: 'v' }] })),
      ),
    );

    // Assess
    expect(parallel.every((r) => r.status === 'fulfilled')).toBe(true);
    iam.destroy();
    await cloud.close();
  });
});
