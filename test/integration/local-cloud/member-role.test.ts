/**
 * The member role as deploy/member-account-role.yml declares it, deployed into the local cloud through IAM
 * (src/local/member-role.ts) and assumed through STS: only the central worker role, only with the external id,
 * for at most the template's MaxSessionDuration. A mistake in the template's trust policy fails here.
 */
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMES } from '../../../src/core/model.ts';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import {
  DEMO_EXTERNAL_ID,
  deployLocalOrganisation,
  type LocalOrganisation,
  memberAdmin,
} from '../../../src/local/member-role.ts';
import { clientOptions, failure } from './support.ts';

const MANAGEMENT = '123456789012';
const MEMBER = '210987654321';
const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/${NAMES.memberRoleName}`;

describe('local cloud: the member role from deploy/member-account-role.yml', () => {
  let cloud: LocalCloud;
  let organisation: LocalOrganisation;
  let worker: STSClient;
  let root: STSClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    cloud.seed({ accountId: MEMBER });
    organisation = await deployLocalOrganisation(clientOptions(cloud), {
      managementAccountId: MANAGEMENT,
      memberAccountIds: [MEMBER],
      externalId: DEMO_EXTERNAL_ID,
      escalation: 'disable-console',
    });
    worker = new STSClient(organisation.workerOptions);
    root = new STSClient(clientOptions(cloud));
  });
  afterAll(async () => {
    worker.destroy();
    root.destroy();
    await cloud.close();
  });

  const assume = (client: STSClient, extra: { ExternalId?: string; DurationSeconds?: number } = {}) =>
    client.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'mfa-remediation', ...extra }));

  it('lets the central worker role in with the external id, for one hour', async () => {
    // Act
    const assumed = await assume(worker, { ExternalId: DEMO_EXTERNAL_ID, DurationSeconds: 3600 });
    const session = new STSClient({
      ...organisation.workerOptions,
      credentials: {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken ?? '',
      },
    });
    const identity = await session.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/${NAMES.memberRoleName}/mfa-remediation`);
    expect(organisation.env).toEqual({
      MEMBER_ROLE_NAME: NAMES.memberRoleName,
      MEMBER_ROLE_EXTERNAL_ID: DEMO_EXTERNAL_ID,
    });
    session.destroy();
  });

  it.each([
    ['the worker without the external id', () => assume(worker)],
    ['the worker with another external id', () => assume(worker, { ExternalId: 'guessed-id' })],
    [
      'the central account root, even with the external id',
      () => assume(root, { ExternalId: DEMO_EXTERNAL_ID }),
    ],
  ])('refuses %s (AccessDenied)', async (_, attempt) => {
    // Act
    const error = await failure(attempt());

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses sessions longer than the template allows', async () => {
    // Act
    const error = await failure(assume(worker, { ExternalId: DEMO_EXTERNAL_ID, DurationSeconds: 7200 }));

    // Assess: 7200 s exceeds both the role's MaxSessionDuration and the role-chaining hour.
    expect(error.name).toBe('ValidationError');
  });

  it("carries the template's maximum session duration and inline policies", async () => {
    // Prepare
    const iam = new IAMClient(await memberAdmin(clientOptions(cloud), MEMBER));

    // Act
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: NAMES.memberRoleName }));
    const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: NAMES.memberRoleName }));

    // Assess
    expect(Role?.MaxSessionDuration).toBe(3600);
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}')).Statement[0]).toMatchObject(
      {
        Principal: { AWS: organisation.workerRoleArn },
        Condition: { StringEquals: { 'sts:ExternalId': DEMO_EXTERNAL_ID } },
      },
    );
    expect(PolicyNames).toEqual(['mfa-remediation-account', 'mfa-remediation-escalation-console']);
    iam.destroy();
  });
});
