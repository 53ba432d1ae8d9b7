import { CreateUserCommand, GetUserCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions, failure } from './support.ts';

const DEFAULT_ACCOUNT = '123456789012';
const MEMBER = '210987654321';
const START = Date.parse('2026-11-23T10:00:00Z');

describe('local cloud: STS through the AWS SDK', () => {
  let cloud: LocalCloud;
  let sts: STSClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ now: () => START });
    sts = new STSClient(clientOptions(cloud));
  });
  afterEach(() => cloud.reset());
  afterAll(async () => {
    sts.destroy();
    await cloud.close();
  });

  async function assume(accountId: string, extra: { DurationSeconds?: number } = {}) {
    return sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/MfaRemediationMemberRole`,
        RoleSessionName: 'mfa-remediation',
        ExternalId: 'external-id',
        ...extra,
      }),
    );
  }

  it('reports the default account for any access key', async () => {
    // Act
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity).toMatchObject({
      Account: DEFAULT_ACCOUNT,
      Arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:root`,
      UserId: DEFAULT_ACCOUNT,
    });
  });

  it('issues session credentials into a seeded account that land IAM calls in that account', async () => {
    // Prepare
    cloud.seed({ accountId: MEMBER, users: [{ userName: 'member-user' }] });
    const credentialsIn = async (accountId: string) => {
      const { Credentials } = await assume(accountId);
      return {
        accessKeyId: Credentials?.AccessKeyId ?? '',
        secretAccessKey: Credentials?.SecretAccessKey ?? '',
        sessionToken: Credentials?.SessionToken ?? '',
      };
    };

    // Act
    const assumed = await assume(MEMBER, { DurationSeconds: 900 });
    const memberCredentials = await credentialsIn(MEMBER);
    const memberIam = new IAMClient(clientOptions(cloud, { credentials: memberCredentials }));
    const memberSts = new STSClient(clientOptions(cloud, { credentials: memberCredentials }));
    await memberIam.send(new CreateUserCommand({ UserName: 'created-in-member' }));
    const memberUsers = await memberIam.send(new ListUsersCommand({}));
    const defaultIam = new IAMClient(clientOptions(cloud));
    const defaultUsers = await defaultIam.send(new ListUsersCommand({}));
    const identity = await memberSts.send(new GetCallerIdentityCommand({}));
    const rootless = await failure(memberIam.send(new GetUserCommand({})));

    // Assess
    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(assumed.Credentials?.SessionToken).toBeTruthy();
    expect(assumed.Credentials?.Expiration).toEqual(new Date(START + 900_000));
    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/MfaRemediationMemberRole/mfa-remediation`,
    );
    expect(assumed.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]{17}:mfa-remediation$/);
    expect(memberUsers.Users?.map((u) => u.UserName)).toEqual(['created-in-member', 'member-user']);
    expect(memberUsers.Users?.[0]?.Arn).toBe(`arn:aws:iam::${MEMBER}:user/created-in-member`);
    expect(defaultUsers.Users).toEqual([]);
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/MfaRemediationMemberRole/mfa-remediation`,
    });
    expect(identity.UserId).toMatch(/^AROA[A-Z0-9]{17}:mfa-remediation$/);
    expect(rootless.name).toBe('ValidationError');
    memberIam.destroy();
    memberSts.destroy();
    defaultIam.destroy();
  });

  it('can assume a role in the default account too', async () => {
    // Act
    const assumed = await assume(DEFAULT_ACCOUNT);

    // Assess
    expect(assumed.Credentials?.Expiration).toEqual(new Date(START + 3_600_000));
  });

  it('denies a role in an account outside the organisation (AccessDenied, 403)', async () => {
    // Act
    const error = await failure(assume('999999999999'));

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toContain('sts:AssumeRole');
  });

  it('denies a role in a suspended account', async () => {
    // Prepare
    cloud.env.addAccount('555555555555', { status: 'SUSPENDED' });

    // Act
    const error = await failure(assume('555555555555'));

    // Assess
    expect(error.name).toBe('AccessDenied');
  });

  it.each([
    ['a duration below 900 s', { DurationSeconds: 899 }],
    ['a duration above 12 h', { DurationSeconds: 43_201 }],
  ])('validates %s (ValidationError, 400)', async (_, extra) => {
    // Act
    const error = await failure(assume(DEFAULT_ACCOUNT, extra));

    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('validates the role ARN and session name', async () => {
    // Act
    const badArn = await failure(
      sts.send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123:user/someone', RoleSessionName: 'ok-name' }),
      ),
    );
    const badSession = await failure(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/R`,
          RoleSessionName: 'has spaces',
        }),
      ),
    );

    // Assess
    expect(badArn.name).toBe('ValidationError');
    expect(badSession.name).toBe('ValidationError');
  });

  it('forgets issued sessions on reset: their keys fall back to the default account', async () => {
    // Prepare
    cloud.seed({ accountId: MEMBER });
    const { Credentials } = await assume(MEMBER);
    const session = new STSClient(
      clientOptions(cloud, {
        credentials: {
          accessKeyId: Credentials?.AccessKeyId ?? '',
          secretAccessKey: Credentials?.SecretAccessKey ?? '',
          sessionToken: Credentials?.SessionToken ?? '',
        },
      }),
    );

    // Act
    cloud.reset();
    const identity = await session.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Account).toBe(DEFAULT_ACCOUNT);
    session.destroy();
  });
});
