/**
 * A campaign in the local cloud for the report's tests: two accounts with a user in every state the report
 * knows, seeded through `/_local/seed` and contained through the real IAM API (AttachUserPolicy), with
 * deadlines relative to now. `expected` is what the report must say about them.
 */
import { AttachUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { guardPolicyArn, TAGS } from '../../src/core/model.ts';
import type { UserState } from '../../src/core/report/model.ts';
import type { LocalCloud } from '../../src/local/cloud/server.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation, memberAdmin } from '../../src/local/member-role.ts';

export const CAMPAIGN_SELF = '123456789012';
export const CAMPAIGN_MEMBER = '210987654321';

interface CampaignUser {
  readonly accountId: string;
  readonly userName: string;
  readonly password: boolean;
  readonly mfa: boolean;
  readonly tags?: Record<string, string>;
  readonly guarded?: boolean;
  readonly state: UserState | 'out-of-scope';
}

const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** The campaign's users and the state the report must give each (out-of-scope users are not listed). */
export function campaignUsers(): CampaignUser[] {
  const tracked = (deadlineHours: number, state = 'enrollment-required') => ({
    [TAGS.state]: state,
    [TAGS.since]: hours(deadlineHours - 72),
    [TAGS.deadline]: hours(deadlineHours),
  });
  const self = CAMPAIGN_SELF;
  const member = CAMPAIGN_MEMBER;
  return [
    { accountId: self, userName: 'alice', password: true, mfa: true, state: 'compliant' },
    { accountId: self, userName: 'amy', password: true, mfa: true, state: 'compliant' },
    {
      accountId: self,
      userName: 'bob',
      password: true,
      mfa: false,
      tags: tracked(30),
      guarded: true,
      state: 'contained',
    },
    {
      accountId: self,
      userName: 'carol',
      password: true,
      mfa: false,
      tags: { ...tracked(80), [TAGS.notified]: hours(-2) },
      guarded: true,
      state: 'contained',
    },
    {
      accountId: self,
      userName: 'dave',
      password: true,
      mfa: false,
      tags: tracked(-5),
      guarded: true,
      state: 'past-deadline',
    },
    {
      accountId: self,
      userName: 'erin',
      password: false,
      mfa: false,
      tags: tracked(-30, 'escalated'),
      guarded: true,
      state: 'escalated',
    },
    {
      accountId: self,
      userName: 'break-glass',
      password: true,
      mfa: false,
      tags: { [TAGS.exempt]: 'emergency access' },
      state: 'exempt',
    },
    {
      accountId: self,
      userName: 'contractor',
      password: true,
      mfa: false,
      tags: { [TAGS.exempt]: hours(24 * 10).slice(0, 10) },
      state: 'exempt',
    },
    { accountId: self, userName: 'frank', password: true, mfa: false, state: 'not-contained' },
    { accountId: self, userName: 'svc-ci', password: false, mfa: false, state: 'out-of-scope' },
    { accountId: member, userName: 'gina', password: true, mfa: true, state: 'compliant' },
    {
      accountId: member,
      userName: 'hal',
      password: true,
      mfa: false,
      tags: tracked(50),
      guarded: true,
      state: 'contained',
    },
    { accountId: member, userName: 'ivy', password: true, mfa: false, state: 'not-contained' },
  ];
}

/** The report's environment per cloud: the worker role's session, set by {@link seedCampaign}. */
const reportEnvs = new WeakMap<LocalCloud, Record<string, string>>();

/**
 * Seeds the campaign and deploys the member role from its template (the report reads the member account as
 * the worker does, through that role); users marked `guarded` get the guard policy through IAM (in the member
 * account as its administrator, through OrganizationAccountAccessRole).
 */
export async function seedCampaign(cloud: LocalCloud): Promise<CampaignUser[]> {
  const users = campaignUsers();
  const clientOptions: ClientOptions = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  for (const accountId of [CAMPAIGN_SELF, CAMPAIGN_MEMBER]) {
    const mine = users.filter((u) => u.accountId === accountId);
    cloud.seed({
      accountId,
      users: mine.map((u) => ({
        userName: u.userName,
        consolePassword: u.password,
        mfa: u.mfa,
        accessKeys: 0,
        tags: u.tags ?? {},
      })),
    });
    const options = accountId === CAMPAIGN_SELF ? clientOptions : await memberAdmin(clientOptions, accountId);
    const iam = new IAMClient(options);
    for (const u of mine.filter((x) => x.guarded)) {
      await iam.send(
        new AttachUserPolicyCommand({ UserName: u.userName, PolicyArn: guardPolicyArn(accountId) }),
      );
    }
    iam.destroy();
  }
  const organisation = await deployLocalOrganisation(clientOptions, {
    managementAccountId: CAMPAIGN_SELF,
    memberAccountIds: [CAMPAIGN_MEMBER],
    externalId: DEMO_EXTERNAL_ID,
  });
  const credentials = organisation.workerOptions.credentials as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  reportEnvs.set(cloud, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken ?? '',
    ...organisation.env,
  });
  return users;
}

/** The report's expected counts per account from the campaign's users. */
export function expectedCounts(users: readonly CampaignUser[], accountId: string) {
  const mine = users.filter((u) => u.accountId === accountId && u.state !== 'out-of-scope');
  const n = (state: UserState) => mine.filter((u) => u.state === state).length;
  return {
    inScope: mine.length,
    compliant: n('compliant'),
    exempt: n('exempt'),
    notContained: n('not-contained'),
    contained: n('contained'),
    pastDeadline: n('past-deadline'),
    escalated: n('escalated'),
  };
}

/** The environment for `mfa-remediation report` against the local cloud (after {@link seedCampaign}), both accounts allowed. */
export function campaignEnv(cloud: LocalCloud): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: cloud.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...reportEnvs.get(cloud),
    ALLOWED_ACCOUNTS: `${CAMPAIGN_SELF},${CAMPAIGN_MEMBER}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
