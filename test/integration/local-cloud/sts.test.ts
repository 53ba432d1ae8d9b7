import {
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { authorization, clientOptions, failure } from './support.ts';

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

  /** Root credentials of the default account, for IAM set-up. */
  const adminIam = () => new IAMClient(clientOptions(cloud));

  async function createRole(
    roleName: string,
    principal: Record<string, unknown> | '*',
    extra: { condition?: Record<string, unknown>; maxSessionDuration?: number; deny?: boolean } = {},
    options = clientOptions(cloud),
  ) {
    const iam = new IAMClient(options);
    const statements: Record<string, unknown>[] = [
      {
        Effect: 'Allow',
        Principal: principal,
        Action: 'sts:AssumeRole',
        ...(extra.condition ? { Condition: extra.condition } : {}),
      },
    ];
    if (extra.deny) statements.push({ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' });
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        ...(extra.maxSessionDuration ? { MaxSessionDuration: extra.maxSessionDuration } : {}),
      }),
    );
    iam.destroy();
    return Role!;
  }

  function credentialsOf(response: {
    Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
  }) {
    return {
      accessKeyId: response.Credentials?.AccessKeyId ?? '',
      secretAccessKey: response.Credentials?.SecretAccessKey ?? '',
      sessionToken: response.Credentials?.SessionToken ?? '',
    };
  }

  async function assume(
    accountId: string,
    extra: { DurationSeconds?: number; ExternalId?: string; roleName?: string } = {},
    client = sts,
  ) {
    const { roleName = 'MfaRemediationMemberRole', ...rest } = extra;
    return client.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'mfa-remediation',
        ...rest,
      }),
    );
  }

  /** A role in the default account that the account trusts, and an STS client acting as its session. */
  async function roleSession(roleName: string, maxSessionDuration?: number) {
    const role = await createRole(
      roleName,
      { AWS: `arn:aws:iam::${DEFAULT_ACCOUNT}:root` },
      maxSessionDuration ? { maxSessionDuration } : {},
    );
    const session = await assume(DEFAULT_ACCOUNT, { roleName });
    return { role, client: new STSClient(clientOptions(cloud, { credentials: credentialsOf(session) })) };
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

  it("refuses a role that does not exist, with AWS's AccessDenied (403) naming the caller", async () => {
    // Act
    const error = await failure(assume(DEFAULT_ACCOUNT));

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:iam::${DEFAULT_ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${DEFAULT_ACCOUNT}:role/MfaRemediationMemberRole`,
    );
  });

  it('issues sessions of a trusting role in a seeded account that land IAM calls in that account', async () => {
    // Prepare: the seeded account's OrganizationAccountAccessRole trusts the management account.
    cloud.seed({ accountId: MEMBER, users: [{ userName: 'member-user' }] });

    // Act
    const assumed = await assume(MEMBER, { roleName: 'OrganizationAccountAccessRole', DurationSeconds: 900 });
    const memberIam = new IAMClient(clientOptions(cloud, { credentials: credentialsOf(assumed) }));
    const memberSts = new STSClient(clientOptions(cloud, { credentials: credentialsOf(assumed) }));
    await memberIam.send(new CreateUserCommand({ UserName: 'created-in-member' }));
    const memberUsers = await memberIam.send(new ListUsersCommand({}));
    const defaultIam = adminIam();
    const defaultUsers = await defaultIam.send(new ListUsersCommand({}));
    const identity = await memberSts.send(new GetCallerIdentityCommand({}));
    const rootless = await failure(memberIam.send(new GetUserCommand({})));
    const role = await memberIam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));

    // Assess
    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(assumed.Credentials?.Expiration).toEqual(new Date(START + 900_000));
    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/mfa-remediation`,
    );
    expect(assumed.AssumedRoleUser?.AssumedRoleId).toBe(`${role.Role?.RoleId}:mfa-remediation`);
    expect(memberUsers.Users?.map((u) => u.UserName)).toEqual(['created-in-member', 'member-user']);
    expect(defaultUsers.Users).toEqual([]);
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/mfa-remediation`,
      UserId: `${role.Role?.RoleId}:mfa-remediation`,
    });
    expect(rootless.name).toBe('ValidationError');
    memberIam.destroy();
    memberSts.destroy();
    defaultIam.destroy();
  });

  it('evaluates the trust policy against the calling principal: a role principal trusts only its sessions', async () => {
    // Prepare
    const worker = await roleSession('worker');
    const other = await roleSession('other');
    await createRole('target', { AWS: worker.role.Arn });

    // Act
    const asRoot = await failure(assume(DEFAULT_ACCOUNT, { roleName: 'target' }));
    const asOther = await failure(assume(DEFAULT_ACCOUNT, { roleName: 'target' }, other.client));
    const asWorker = await assume(DEFAULT_ACCOUNT, { roleName: 'target' }, worker.client);

    // Assess
    expect(asRoot.name).toBe('AccessDenied');
    expect(asOther.name).toBe('AccessDenied');
    expect(asOther.message).toContain(
      `User: arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/other/mfa-remediation`,
    );
    expect(asWorker.AssumedRoleUser?.Arn).toContain(':assumed-role/target/');
    worker.client.destroy();
    other.client.destroy();
  });

  it('requires the sts:ExternalId the trust policy names (StringEquals)', async () => {
    // Prepare
    await createRole(
      'with-external-id',
      { AWS: DEFAULT_ACCOUNT },
      {
        condition: { StringEquals: { 'sts:ExternalId': 'org-secret' } },
      },
    );

    // Act
    const missing = await failure(assume(DEFAULT_ACCOUNT, { roleName: 'with-external-id' }));
    const wrong = await failure(
      assume(DEFAULT_ACCOUNT, { roleName: 'with-external-id', ExternalId: 'guessed' }),
    );
    const right = await assume(DEFAULT_ACCOUNT, { roleName: 'with-external-id', ExternalId: 'org-secret' });

    // Assess
    expect(missing.name).toBe('AccessDenied');
    expect(wrong.name).toBe('AccessDenied');
    expect(right.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('lets an explicit Deny win, and "*" trust anyone the conditions allow', async () => {
    // Prepare
    await createRole('denied', '*', { deny: true });
    await createRole('anyone', '*', { condition: { StringLike: { 'sts:RoleSessionName': 'mfa-*' } } });

    // Act / Assess
    expect((await failure(assume(DEFAULT_ACCOUNT, { roleName: 'denied' }))).name).toBe('AccessDenied');
    expect((await assume(DEFAULT_ACCOUNT, { roleName: 'anyone' })).Credentials).toBeDefined();
  });

  it("refuses DurationSeconds above the role's MaxSessionDuration, and above one hour for role chaining", async () => {
    // Prepare
    await createRole('one-hour', { AWS: DEFAULT_ACCOUNT });
    await createRole('twelve-hours', { AWS: DEFAULT_ACCOUNT }, { maxSessionDuration: 43_200 });
    const chained = await roleSession('hop');

    // Act
    const tooLong = await failure(assume(DEFAULT_ACCOUNT, { roleName: 'one-hour', DurationSeconds: 43_200 }));
    const long = await assume(DEFAULT_ACCOUNT, { roleName: 'twelve-hours', DurationSeconds: 43_200 });
    const chainedLong = await failure(
      assume(DEFAULT_ACCOUNT, { roleName: 'twelve-hours', DurationSeconds: 3601 }, chained.client),
    );
    const chainedHour = await assume(
      DEFAULT_ACCOUNT,
      { roleName: 'twelve-hours', DurationSeconds: 3600 },
      chained.client,
    );

    // Assess
    expect(tooLong.name).toBe('ValidationError');
    expect(tooLong.$metadata.httpStatusCode).toBe(400);
    expect(tooLong.message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    expect(long.Credentials?.Expiration).toEqual(new Date(START + 43_200_000));
    expect(chainedLong.name).toBe('ValidationError');
    expect(chainedLong.message).toContain('1 hour session limit for roles assumed by role chaining');
    expect(chainedHour.Credentials).toBeDefined();
    chained.client.destroy();
  });

  it('refuses a trust policy naming a principal that does not exist; a recreated role is another principal', async () => {
    // Prepare
    const iam = adminIam();
    const worker = await roleSession('recreated');
    await createRole('trusts-recreated', { AWS: worker.role.Arn });

    // Act
    const invalid = await failure(
      createRole('bad-trust', { AWS: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/nobody` }),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: 'recreated' }));
    await createRole('recreated', { AWS: `arn:aws:iam::${DEFAULT_ACCOUNT}:root` });
    const fresh = await assume(DEFAULT_ACCOUNT, { roleName: 'recreated' });
    const freshClient = new STSClient(clientOptions(cloud, { credentials: credentialsOf(fresh) }));
    const afterRecreate = await failure(
      assume(DEFAULT_ACCOUNT, { roleName: 'trusts-recreated' }, freshClient),
    );

    // Assess
    expect(invalid.name).toBe('MalformedPolicyDocumentException');
    expect(invalid.message).toContain('Invalid principal in policy');
    expect(afterRecreate.name).toBe('AccessDenied');
    iam.destroy();
    worker.client.destroy();
    freshClient.destroy();
  });

  it('denies a role in an account outside the organisation, or suspended', async () => {
    // Prepare
    cloud.env.addAccount('555555555555', { status: 'SUSPENDED' });

    // Act
    const outside = await failure(assume('999999999999', { roleName: 'OrganizationAccountAccessRole' }));
    const suspended = await failure(assume('555555555555', { roleName: 'OrganizationAccountAccessRole' }));

    // Assess
    expect(outside.name).toBe('AccessDenied');
    expect(outside.$metadata.httpStatusCode).toBe(403);
    expect(suspended.name).toBe('AccessDenied');
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
    expect(error.message).toContain('1 validation error detected');
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

  it('answers errors as XML in the STS namespace', async () => {
    // Act
    const response = await fetch(cloud.url, {
      method: 'POST',
      headers: {
        authorization: authorization('sts'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/none&RoleSessionName=s1',
    });
    const text = await response.text();

    // Assess
    expect(response.status).toBe(403);
    expect(text).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/,
    );
  });

  it('forgets issued sessions on reset: their keys fall back to the default account', async () => {
    // Prepare
    cloud.seed({ accountId: MEMBER });
    const assumed = await assume(MEMBER, { roleName: 'OrganizationAccountAccessRole' });
    const session = new STSClient(clientOptions(cloud, { credentials: credentialsOf(assumed) }));

    // Act
    cloud.reset();
    const identity = await session.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Account).toBe(DEFAULT_ACCOUNT);
    session.destroy();
  });

  it("identifies an IAM user's own access key as that user, in the user's account (as AWS does)", async () => {
    // Prepare: a user with a path in a member account, and its long-term key.
    cloud.seed({ accountId: MEMBER, users: [{ userName: 'Alice', path: '/engineering/', accessKeys: 1 }] });
    const alice = cloud.iam.getUser(MEMBER, 'Alice');
    const keyId = alice?.accessKeys[0]?.accessKeyId ?? '';
    const own = clientOptions(cloud, { credentials: { accessKeyId: keyId, secretAccessKey: 'any' } });
    const aliceSts = new STSClient(own);
    const aliceIam = new IAMClient(own);

    // Act
    const identity = await aliceSts.send(new GetCallerIdentityCommand({}));
    const { User } = await aliceIam.send(new GetUserCommand({}));

    // Assess: GetCallerIdentity's documented answer for a user; IAM calls without UserName act on the caller.
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:iam::${MEMBER}:user/engineering/Alice`,
      UserId: alice?.userId,
    });
    expect(identity.UserId).toMatch(/^AIDA[A-Z0-9]+$/);
    expect(User).toMatchObject({ UserName: 'Alice', Arn: identity.Arn });
    aliceSts.destroy();
    aliceIam.destroy();
  });

  it('lets a trust policy name an IAM user: only that user (aws:PrincipalType User) may assume the role', async () => {
    // Prepare
    cloud.seed({
      users: [
        { userName: 'ops', accessKeys: 1 },
        { userName: 'dev', accessKeys: 1 },
      ],
    });
    const keyOf = (name: string) =>
      cloud.iam.getUser(DEFAULT_ACCOUNT, name)?.accessKeys[0]?.accessKeyId ?? '';
    const stsOf = (name: string) =>
      new STSClient(
        clientOptions(cloud, { credentials: { accessKeyId: keyOf(name), secretAccessKey: 'any' } }),
      );
    await createRole(
      'OpsRole',
      { AWS: `arn:aws:iam::${DEFAULT_ACCOUNT}:user/ops` },
      { condition: { StringEquals: { 'aws:PrincipalType': 'User' } } },
    );
    const ops = stsOf('ops');
    const dev = stsOf('dev');

    // Act
    const assumed = await assume(DEFAULT_ACCOUNT, { roleName: 'OpsRole' }, ops);
    const refused = await failure(assume(DEFAULT_ACCOUNT, { roleName: 'OpsRole' }, dev));

    // Assess
    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/OpsRole/mfa-remediation`,
    );
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain(`User: arn:aws:iam::${DEFAULT_ACCOUNT}:user/dev is not authorized`);
    ops.destroy();
    dev.destroy();
  });
});
