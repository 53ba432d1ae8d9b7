/**
 * The campaign report (`mfa-remediation report`, schema `mfa-remediation/report@1`; docs/reference.md: Command
 * line): per account, every user in scope and the state of its MFA campaign. The zod schema is the single
 * source of the JSON output and of `schemas/report.schema.json`.
 */
import * as z from 'zod';
import { AccountId } from '../model.ts';

export const REPORT_SCHEMA_ID = 'mfa-remediation/report@1';

/**
 * A user's state, one per user, so the states of an account add up to its users in scope:
 * - `compliant`: has an MFA device;
 * - `exempt`: lacks MFA, exempt by tag (until `exemptUntil`, if dated) or by EXEMPT_USERS;
 * - `not-contained`: lacks MFA and is not (yet) under remediation — notify mode, a programmatic user that is
 *   not contained, or a user no finding or sweep has reached yet;
 * - `contained`: under remediation, its deadline ahead;
 * - `past-deadline`: under remediation, its deadline passed, not escalated (ESCALATION=none, or not yet);
 * - `escalated`: the deadline passed and escalation was applied.
 */
export const USER_STATES = [
  'compliant',
  'exempt',
  'not-contained',
  'contained',
  'past-deadline',
  'escalated',
] as const;
export const UserState = z.enum(USER_STATES);
export type UserState = z.infer<typeof UserState>;

const IsoTime = z.iso.datetime({ offset: true });

export const ReportUser = z.strictObject({
  userName: z.string(),
  state: UserState,
  /** Whether the user has a console password (credential report). */
  passwordEnabled: z.boolean(),
  /** Whether the guard policy is attached. */
  guarded: z.boolean(),
  since: IsoTime.optional(),
  deadline: IsoTime.optional(),
  exemptUntil: IsoTime.optional(),
  /** Why the user is exempt (the tag, a note that is not a date, or EXEMPT_USERS). */
  exemptReason: z.string().optional(),
  /** The last person notification (`mfa-remediation:notified`). */
  notified: IsoTime.optional(),
});
export type ReportUser = z.infer<typeof ReportUser>;

/** Users per state; `inScope` is their sum. */
export const StateCounts = z.strictObject({
  inScope: z.number().int().min(0),
  compliant: z.number().int().min(0),
  exempt: z.number().int().min(0),
  notContained: z.number().int().min(0),
  contained: z.number().int().min(0),
  pastDeadline: z.number().int().min(0),
  escalated: z.number().int().min(0),
});
export type StateCounts = z.infer<typeof StateCounts>;

/** The IAM calls the account's report cost (docs/reference.md: Command line, report). */
export const ReportCalls = z.record(z.string(), z.number().int().min(0));

export const AccountReport = z.discriminatedUnion('status', [
  z.strictObject({
    accountId: AccountId,
    status: z.literal('ok'),
    /** When IAM generated the credential report the states come from. */
    credentialReportAt: IsoTime,
    rootWithoutMfa: z.boolean(),
    counts: StateCounts,
    users: z.array(ReportUser),
    calls: ReportCalls,
  }),
  z.strictObject({
    accountId: AccountId,
    status: z.literal('failed'),
    error: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean() }),
  }),
]);
export type AccountReport = z.infer<typeof AccountReport>;

/** The whole report. */
export const Report = z.strictObject({
  schema: z.literal(REPORT_SCHEMA_ID),
  generatedAt: IsoTime,
  scope: z.enum(['console-users', 'all-users']),
  accounts: z.array(AccountReport),
  /** Sums over the accounts that reported. */
  totals: StateCounts,
  /** Accounts asked for but left out, and why (e.g. not in ALLOWED_ACCOUNTS). */
  skipped: z.array(z.strictObject({ accountId: z.string(), reason: z.string() })),
});
export type Report = z.infer<typeof Report>;

/** `StateCounts` key of each state. */
export const COUNT_OF: Readonly<Record<UserState, Exclude<keyof StateCounts, 'inScope'>>> = {
  compliant: 'compliant',
  exempt: 'exempt',
  'not-contained': 'notContained',
  contained: 'contained',
  'past-deadline': 'pastDeadline',
  escalated: 'escalated',
};

export function emptyCounts(): StateCounts {
  return {
    inScope: 0,
    compliant: 0,
    exempt: 0,
    notContained: 0,
    contained: 0,
    pastDeadline: 0,
    escalated: 0,
  };
}
