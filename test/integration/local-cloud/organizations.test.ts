import {
  AccessDeniedException,
  type Account,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions } from './support.ts';

describe('local cloud: Organizations through the AWS SDK', () => {
  let cloud: LocalCloud;
  let orgs: OrganizationsClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    for (let i = 0; i < 24; i++) {
      cloud.env.addAccount(String(300000000000 + i), {
        name: `member-${i}`,
        status: i === 5 ? 'SUSPENDED' : 'ACTIVE',
      });
    }
    orgs = new OrganizationsClient(clientOptions(cloud));
  });

  afterAll(async () => {
    orgs?.destroy();
    await cloud?.close();
  });

  it('lists every account across pages of at most 20', async () => {
    // Act
    const accounts: Account[] = [];
    const pages: number[] = [];
    for await (const page of paginateListAccounts({ client: orgs, pageSize: 50 }, {})) {
      pages.push(page.Accounts?.length ?? 0);
      accounts.push(...(page.Accounts ?? []));
    }
    // Assess
    expect(pages).toEqual([20, 5]);
    expect(accounts.map((a) => a.Id)).toContain(cloud.env.defaultAccountId);
    const suspended = accounts.find((a) => a.Id === '300000000005');
    expect(suspended).toMatchObject({ Name: 'member-5', Status: 'SUSPENDED', JoinedMethod: 'CREATED' });
    expect(suspended?.Arn).toBe(
      `arn:aws:organizations::${cloud.env.defaultAccountId}:account/o-localcloud/300000000005`,
    );
    expect(suspended?.JoinedTimestamp).toBeInstanceOf(Date);
  });

  it('describes the organisation', async () => {
    const { Organization } = await orgs.send(new DescribeOrganizationCommand({}));
    expect(Organization).toMatchObject({
      Id: 'o-localcloud',
      FeatureSet: 'ALL',
      MasterAccountId: cloud.env.defaultAccountId,
    });
  });

  it('refuses ListAccounts to a member account', async () => {
    // Prepare: a role session in a member account, through the role Organizations creates there
    cloud.seed({ accountId: '300000000001' });
    const { Credentials } = await new STSClient(clientOptions(cloud)).send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::300000000001:role/OrganizationAccountAccessRole',
        RoleSessionName: 'org-test',
      }),
    );
    const member = new OrganizationsClient(
      clientOptions(cloud, {
        credentials: {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken!,
        },
      }),
    );
    // Act
    const error = await member.send(new ListAccountsCommand({})).catch((e: unknown) => e);
    const described = await member.send(new DescribeOrganizationCommand({}));
    // Assess
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect((error as AccessDeniedException).$metadata.httpStatusCode).toBe(403);
    expect(described.Organization?.MasterAccountId).toBe(cloud.env.defaultAccountId);
    member.destroy();
  });
});
