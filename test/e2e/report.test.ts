/**
 * `mfa-remediation report` against the local cloud: two accounts (the member one through the assumed role), a
 * user in every state; the JSON validates against `mfa-remediation/report@1` and says what IAM says, the CSV
 * has one row per user in scope, and the IAM calls it cost are what its help states (from /_local/stats).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Report } from '../../src/core/report/model.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import {
  CAMPAIGN_MEMBER,
  CAMPAIGN_SELF,
  campaignEnv,
  expectedCounts,
  seedCampaign,
} from '../helpers/campaign.ts';
import { runCli } from '../helpers/cli.ts';

let cloud: LocalCloud;
let users: Awaited<ReturnType<typeof seedCampaign>>;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, defaultAccountId: CAMPAIGN_SELF });
});
beforeEach(async () => {
  cloud.reset();
  users = await seedCampaign(cloud);
});
afterAll(async () => {
  await cloud?.close();
});

const report = (argv: string[]) =>
  runCli(['report', '--account', CAMPAIGN_SELF, '--account', CAMPAIGN_MEMBER, ...argv], {
    env: campaignEnv(cloud),
  });

describe('mfa-remediation report', () => {
  it('reports every account’s users by state, with deadlines and exemption expiry, as mfa-remediation/report@1', async () => {
    // Act
    const result = await report(['--output', 'json']);
    // Assess
    expect(result.status, result.stderr).toBe(0);
    const parsed = Report.parse(JSON.parse(result.stdout));
    expect(parsed.accounts.map((a) => a.accountId)).toEqual([CAMPAIGN_SELF, CAMPAIGN_MEMBER]);
    for (const account of parsed.accounts) {
      if (account.status !== 'ok') throw new Error(`${account.accountId} failed`);
      expect(account.counts).toEqual(expectedCounts(users, account.accountId));
      for (const user of account.users) {
        const seeded = users.find((u) => u.accountId === account.accountId && u.userName === user.userName);
        expect(user.state, user.userName).toBe(seeded?.state);
      }
    }
    const self = parsed.accounts[0] as Extract<(typeof parsed.accounts)[number], { status: 'ok' }>;
    const byName = Object.fromEntries(self.users.map((u) => [u.userName, u]));
    expect(byName['svc-ci']).toBeUndefined();
    expect(byName.contractor?.exemptUntil).toMatch(/T00:00:00\.000Z$/);
    expect(byName['break-glass']).toMatchObject({
      state: 'exempt',
      exemptReason: expect.stringContaining('not an ISO-8601 date'),
    });
    expect(byName['break-glass']?.exemptUntil).toBeUndefined();
    expect(byName.bob).toMatchObject({
      guarded: true,
      deadline: expect.any(String),
      since: expect.any(String),
    });
    expect(byName.carol?.notified).toEqual(expect.any(String));
    expect(parsed.totals.inScope).toBe(users.filter((u) => u.state !== 'out-of-scope').length);
  });

  it('costs the IAM calls its help states: no per-user call for users with MFA', async () => {
    // Prepare
    const before = cloud.stats().requests;
    // Act
    const result = await report(['--output', 'json']);
    // Assess
    expect(result.status, result.stderr).toBe(0);
    const after = cloud.stats().requests;
    const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    const needTags = users.filter((u) => u.state !== 'out-of-scope' && (!u.mfa || u.guarded)).length;
    expect(delta('iam:GetCredentialReport')).toBe(2);
    expect(delta('iam:ListEntitiesForPolicy')).toBe(2);
    expect(delta('iam:ListUserTags')).toBe(needTags);
    expect(delta('iam:ListMFADevices')).toBe(0);
    expect(delta('iam:GetUser')).toBe(0);
    const parsed = Report.parse(JSON.parse(result.stdout));
    const perAccount = parsed.accounts.map((a) =>
      a.status === 'ok' ? (a.calls['iam:ListUserTags'] ?? 0) : -1,
    );
    expect(perAccount.reduce((x, y) => x + y, 0)).toBe(needTags);
  });

  it('writes CSV with one row per user in scope, neutralising spreadsheet formulas', async () => {
    // Prepare: IAM allows a user name a spreadsheet would run as a formula.
    cloud.seed({
      accountId: CAMPAIGN_SELF,
      users: [{ userName: '=1+2', consolePassword: true, mfa: false, accessKeys: 0, tags: {} }],
    });
    // Act
    const result = await report(['--output', 'csv']);
    // Assess
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'account_id,user_name,state,password_enabled,guarded,since,deadline,exempt_until,exempt_reason,notified',
    );
    expect(lines).toHaveLength(1 + users.filter((u) => u.state !== 'out-of-scope').length + 1);
    expect(lines).toContain(`${CAMPAIGN_SELF},'=1+2,not-contained,true,false,,,,,`);
    expect(lines.some((line) => line.startsWith(`${CAMPAIGN_MEMBER},hal,contained,true,true,`))).toBe(true);
  });

  it('prints a table by default on a terminal, writes any format to --out, and refuses bad flags with exit 2', async () => {
    // Act
    const table = await runCli(['report', '--account', CAMPAIGN_SELF], {
      env: campaignEnv(cloud),
      tty: true,
    });
    const combined = await report(['--all-accounts']);
    const query = await report(['--output', 'csv', '--query', 'totals']);
    const elsewhere = await runCli(['sweep', '--output', 'html'], { env: campaignEnv(cloud) });
    const file = join(mkdtempSync(join(tmpdir(), 'mfa-report-')), 'report.csv');
    const written = await report(['--output', 'csv', '--out', file]);
    // Assess
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ACCOUNT\s+IN SCOPE\s+COMPLIANT/);
    expect(table.stdout).toContain(
      'Totals: 9 in scope, 2 compliant, 2 exempt, 1 not contained, 2 contained, 1 past deadline, 1 escalated',
    );
    expect(written.status, written.stderr).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(`wrote ${file}`);
    expect(readFileSync(file, 'utf8')).toMatch(/^account_id,user_name,state/);
    expect(combined.status).toBe(2);
    expect(combined.stderr).toContain('--account and --all-accounts cannot be combined');
    expect(query.status).toBe(2);
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toContain('--output: html is only for report');
  });

  it('reports an account it cannot enter as failed, the others as usual, and exits 1', async () => {
    // Act: 333333333333 is allowed by the flags but has no member role to assume.
    const result = await runCli(
      ['report', '--account', CAMPAIGN_SELF, '--account', '333333333333', '--output', 'json'],
      { env: { ...campaignEnv(cloud), ALLOWED_ACCOUNTS: '*' } },
    );
    // Assess
    const parsed = Report.parse(JSON.parse(result.stdout));
    expect(parsed.accounts.map((a) => [a.accountId, a.status])).toEqual([
      [CAMPAIGN_SELF, 'ok'],
      ['333333333333', 'failed'],
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('account 333333333333 not reported');
  });
});
