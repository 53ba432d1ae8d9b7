/**
 * The IAM credential report. On AWS, GenerateCredentialReport starts an asynchronous job (State STARTED,
 * then INPROGRESS, then COMPLETE) and a report younger than four hours is reused rather than regenerated;
 * GetCredentialReport fails with ReportNotPresent (410) before any generation and ReportInProgress (404)
 * while the job runs.
 *
 * The local cloud keeps that life cycle but makes it quick: the report is a snapshot of the account taken
 * when generation starts, and it becomes COMPLETE either on the next GenerateCredentialReport call (so the
 * usual "call until COMPLETE" loop needs no sleep) or once {@link GENERATION_MS} of environment time has
 * passed (so "generate, wait, get" works too). Within four hours a new generation returns COMPLETE with the
 * cached report, exactly as AWS does: changes made since then are not in it.
 */

import { iamErrors } from './iam-errors.ts';
import type { IamHandler } from './iam-handler.ts';
import type { CredentialReportState, IamAccount, IamUser } from './iam-state.ts';
import { sortedUsers } from './iam-users.ts';

/** How long a report is reused before GenerateCredentialReport starts a new one. */
export const REPORT_REUSE_MS = 4 * 60 * 60 * 1000;
/** Environment time after which a started report is complete without a further Generate call. */
export const GENERATION_MS = 300;

/** AWS's column order, which CSV consumers rely on. */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

/** The report's timestamp format: ISO 8601 with an explicit `+00:00` offset and whole seconds. */
function reportTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

const NA = 'N/A';
const NO_KEY = ['false', NA, NA, NA, NA];
const NO_CERTS = ['false', NA, 'false', NA];

function keyColumns(user: IamUser, index: number): string[] {
  const key = [...user.accessKeys].sort((a, b) => a.createDate.getTime() - b.createDate.getTime())[index];
  // Access key usage is not tracked: AWS writes N/A for keys that have never been used.
  return key ? [String(key.status === 'Active'), reportTime(key.createDate), NA, NA, NA] : NO_KEY;
}

function userRow(user: IamUser): string[] {
  const profile = user.loginProfile;
  return [
    user.userName,
    user.arn,
    reportTime(user.createDate),
    String(profile !== undefined),
    // A password that has never been used to sign in: AWS writes no_information; no password at all: N/A.
    profile ? 'no_information' : NA,
    profile ? reportTime(profile.createDate) : NA,
    // No password policy with expiry is modelled, so there is no next rotation.
    NA,
    String(user.mfaSerials.length > 0),
    ...keyColumns(user, 0),
    ...keyColumns(user, 1),
    ...NO_CERTS,
  ];
}

/** The root user's row: AWS reports its password fields as `not_supported`. */
function rootRow(account: IamAccount): string[] {
  return [
    '<root_account>',
    `arn:aws:iam::${account.accountId}:root`,
    reportTime(account.createDate),
    'not_supported',
    'no_information',
    'not_supported',
    'not_supported',
    String(account.rootMfaEnabled),
    ...NO_KEY,
    ...NO_KEY,
    ...NO_CERTS,
  ];
}

/** The report's CSV text (header, root row, one row per user by name). */
export function credentialReportCsv(account: IamAccount): string {
  const rows = [[...CREDENTIAL_REPORT_COLUMNS], rootRow(account), ...sortedUsers(account).map(userRow)];
  return `${rows.map((row) => row.join(',')).join('\n')}\n`;
}

function isFresh(report: CredentialReportState, nowMs: number): boolean {
  return nowMs - report.startedAt < REPORT_REUSE_MS;
}

export const credentialReportHandlers: Record<string, IamHandler> = {
  GenerateCredentialReport: ({ account, now }) => {
    const report = account.report;
    if (!report || (report.complete && !isFresh(report, now.getTime()))) {
      account.report = {
        startedAt: now.getTime(),
        complete: false,
        csv: credentialReportCsv(account),
        generatedTime: now,
      };
      return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
    }
    report.complete = true;
    return { State: 'COMPLETE' };
  },

  GetCredentialReport: ({ account, now }) => {
    const report = account.report;
    if (!report) throw iamErrors.reportNotPresent();
    if (!report.complete && now.getTime() - report.startedAt >= GENERATION_MS) report.complete = true;
    if (!report.complete) throw iamErrors.reportInProgress();
    return {
      Content: Buffer.from(report.csv, 'utf8'),
      ReportFormat: 'text/csv',
      GeneratedTime: report.generatedTime,
    };
  },
};
