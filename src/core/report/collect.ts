/**
 * Collecting the campaign report from IAM, cheap paths first. Per account:
 * - the credential report (GenerateCredentialReport until COMPLETE, then one GetCredentialReport) gives every
 *   user's password and MFA state in one document;
 * - one paginated ListEntitiesForPolicy on the guard policy (1,000 users a page) gives the contained users;
 * - one ListUserTags per user that needs its tags — users in scope without MFA, and contained users — for
 *   the deadline, state, exemption and notification tags. Users with MFA need no call.
 * So an account of U users, N of them without MFA or contained, costs 2 + polls + ⌈contained/1000⌉ + N IAM
 * calls (plus one AssumeRole for a member account); the benchmark's report scenario measures it.
 */
import pLimit from 'p-limit';
import type { MfaScope } from '../../config.ts';
import { describeError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { type CredentialReportRow, parseCredentialReport } from '../credential-report.ts';
import { fetchCredentialReport, type ReportPolling } from '../credential-report-fetch.ts';
import { exemptionOf } from '../exemption.ts';
import { guardPolicyArn, TAGS } from '../model.ts';
import type { AccountAccess, CredentialReportPort, IamPort } from '../ports.ts';
import {
  type AccountReport,
  COUNT_OF,
  emptyCounts,
  REPORT_SCHEMA_ID,
  type Report,
  type ReportUser,
  type StateCounts,
  type UserState,
} from './model.ts';

export interface ReportDeps {
  readonly accounts: AccountAccess;
  readonly now: () => Date;
  readonly log: Logger;
  readonly config: { readonly scope: MfaScope; readonly exemptUsers: readonly string[] };
  /** ListUserTags calls in flight per account. Default 4: well inside IAM's per-account rate limits. */
  readonly concurrency?: number;
  readonly polling?: Partial<ReportPolling>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called as each account finishes. */
  readonly onAccountDone?: (result: AccountReport) => void;
}

/** Reports every account (a few at once); one account's failure never stops the others. */
export async function buildReport(
  accountIds: readonly string[],
  skipped: Report['skipped'],
  deps: ReportDeps,
): Promise<Report> {
  const limit = pLimit(4);
  const accounts = await Promise.all(
    accountIds.map((accountId) =>
      limit(async () => {
        const result = await reportAccount(accountId, deps);
        deps.onAccountDone?.(result);
        return result;
      }),
    ),
  );
  const totals = emptyCounts();
  for (const account of accounts) {
    if (account.status !== 'ok') continue;
    for (const key of Object.keys(totals) as (keyof StateCounts)[]) totals[key] += account.counts[key];
  }
  return {
    schema: REPORT_SCHEMA_ID,
    generatedAt: deps.now().toISOString(),
    scope: deps.config.scope,
    accounts,
    totals,
    skipped: [...skipped],
  };
}

/** One account's report, or the error that stopped it. */
export async function reportAccount(accountId: string, deps: ReportDeps): Promise<AccountReport> {
  const calls: Record<string, number> = {};
  try {
    const ports = await deps.accounts.forAccount(accountId);
    if (!ports.reports) throw new Error(`credential reports are not available for ${accountId}`);
    const reports = counted(ports.reports, calls);
    const report = await fetchCredentialReport(reports, {
      now: () => deps.now().getTime(),
      log: deps.log,
      ...(deps.polling ? { polling: deps.polling } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
    const rows = parseCredentialReport(report.content);
    const guarded = new Set(await reports.listGuardedUsers(guardPolicyArn(accountId)));
    const listTags = (userName: string) => {
      calls['iam:ListUserTags'] = (calls['iam:ListUserTags'] ?? 0) + 1;
      return ports.iam.listUserTags(userName);
    };
    const users = await usersOf(rows, guarded, listTags, deps);
    const counts = emptyCounts();
    for (const user of users) {
      counts.inScope++;
      counts[COUNT_OF[user.state]]++;
    }
    const root = rows.find((row) => row.isRoot);
    return {
      accountId,
      status: 'ok',
      credentialReportAt: report.generatedAt.toISOString(),
      rootWithoutMfa: root !== undefined && !root.mfaActive,
      counts,
      users,
      calls,
    };
  } catch (error) {
    deps.log.error({ accountId, err: describeError(error) }, 'report_account_failed');
    return { accountId, status: 'failed', error: describeError(error) };
  }
}

/** Counts the credential-report port's IAM calls under their AWS names. */
function counted(port: CredentialReportPort, calls: Record<string, number>): CredentialReportPort {
  const bump = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    generate: () => {
      bump('iam:GenerateCredentialReport');
      return port.generate();
    },
    get: () => {
      bump('iam:GetCredentialReport');
      return port.get();
    },
    listGuardedUsers: (arn) => {
      bump('iam:ListEntitiesForPolicy');
      return port.listGuardedUsers(arn);
    },
  };
}

async function usersOf(
  rows: readonly CredentialReportRow[],
  guarded: ReadonlySet<string>,
  listTags: IamPort['listUserTags'],
  deps: ReportDeps,
): Promise<ReportUser[]> {
  const now = deps.now();
  const limit = pLimit(deps.concurrency ?? 4);
  const inScope = rows.filter(
    (row) =>
      !row.isRoot &&
      (deps.config.scope === 'all-users' || row.passwordEnabled === true || guarded.has(row.user)),
  );
  const users = await Promise.all(
    inScope.map((row) =>
      limit(async (): Promise<ReportUser> => {
        const isGuarded = guarded.has(row.user);
        const base = {
          userName: row.user,
          passwordEnabled: row.passwordEnabled === true,
          guarded: isGuarded,
        };
        if (row.mfaActive && !isGuarded) return { ...base, state: 'compliant' };
        const tags = await listTags(row.user);
        return { ...base, ...stateOf(row, tags, isGuarded, now, deps.config.exemptUsers) };
      }),
    ),
  );
  return users.sort((a, b) => a.userName.localeCompare(b.userName));
}

function stateOf(
  row: CredentialReportRow,
  tags: Readonly<Record<string, string>>,
  guarded: boolean,
  now: Date,
  exemptUsers: readonly string[],
): Omit<ReportUser, 'userName' | 'passwordEnabled' | 'guarded'> {
  const since = isoOf(tags[TAGS.since]);
  const deadline = isoOf(tags[TAGS.deadline]);
  const notified = isoOf(tags[TAGS.notified]);
  const tracking = {
    ...(since ? { since } : {}),
    ...(deadline ? { deadline } : {}),
    ...(notified ? { notified } : {}),
  };
  // A contained user who enrolled is compliant; the worker releases the guard on its next check.
  if (row.mfaActive) return { state: 'compliant', ...tracking };
  const exemption = exemptionOf(row.user, tags, exemptUsers, now);
  if (exemption.exempt) {
    return {
      state: 'exempt',
      exemptReason: exemption.reason,
      ...(exemption.until ? { exemptUntil: exemption.until.toISOString() } : {}),
    };
  }
  // Tracked but not guarded (a programmatic user while CONTAIN_PROGRAMMATIC_USERS is false) is not contained.
  let state: UserState = 'not-contained';
  if (tags[TAGS.state] === 'escalated') state = 'escalated';
  else if (guarded) state = deadline && Date.parse(deadline) <= now.getTime() ? 'past-deadline' : 'contained';
  return { state, ...tracking };
}

function isoOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
