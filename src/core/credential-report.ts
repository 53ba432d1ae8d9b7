/**
 * Parsing the IAM credential report (GetCredentialReport's CSV) into typed rows, and the scope rules that
 * decide which rows lack MFA. Pure: no AWS calls.
 *
 * The report has one row per IAM user plus a first row for the root user, named `<root_account>`. Boolean
 * columns hold `true` / `false`; columns that do not apply hold `N/A` (e.g. `password_last_used` of a user
 * without a password), `not_supported` (the root user's `password_enabled`: root always has a password, but
 * IAM does not report it) or `no_information`. Those become `undefined`, never a guess.
 */
import { parse } from 'csv-parse/sync';
import type { MfaScope } from '../config.ts';
import { ValidationError } from '../errors.ts';

/** The user name IAM gives the root user's row. */
export const ROOT_ACCOUNT_ROW = '<root_account>';

/** The columns the sweep needs; a report without them is not a credential report. */
const REQUIRED_COLUMNS = ['user', 'arn', 'password_enabled', 'mfa_active'] as const;

/** One row of the credential report, with the columns the sweep uses typed. */
export interface CredentialReportRow {
  /** The IAM user name, or {@link ROOT_ACCOUNT_ROW}. */
  readonly user: string;
  readonly arn: string;
  readonly isRoot: boolean;
  /** Whether the user has a console password; `undefined` when IAM reports `not_supported` / `N/A` (root). */
  readonly passwordEnabled: boolean | undefined;
  readonly mfaActive: boolean;
  /** Number of active access keys (0-2). */
  readonly activeAccessKeys: number;
  readonly userCreationTime?: string;
}

/** `true` / `false` as booleans; `N/A`, `not_supported`, `no_information` and empty as undefined. */
export function reportBoolean(value: string | undefined): boolean | undefined {
  const normalised = value?.trim().toLowerCase();
  if (normalised === 'true') return true;
  if (normalised === 'false') return false;
  return undefined;
}

function optionalText(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || trimmed === 'N/A' || trimmed === 'not_supported' || trimmed === 'no_information') {
    return undefined;
  }
  return trimmed;
}

/**
 * Parses a credential report. Throws a {@link ValidationError} (code `CredentialReportMalformed`) when the
 * CSV cannot be read or lacks a required column: a sweep must not report "0 users lack MFA" from a document
 * it did not understand.
 */
export function parseCredentialReport(csv: string): CredentialReportRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
      string,
      string
    >[];
  } catch (error) {
    throw new ValidationError(`credential report is not valid CSV: ${(error as Error).message}`, {
      code: 'CredentialReportMalformed',
      cause: error,
    });
  }
  const first = records[0];
  if (first) {
    const missing = REQUIRED_COLUMNS.filter((column) => !(column in first));
    if (missing.length > 0) {
      throw new ValidationError(`credential report lacks column(s) ${missing.join(', ')}`, {
        code: 'CredentialReportMalformed',
      });
    }
  }
  return records.map((record): CredentialReportRow => {
    const user = record.user ?? '';
    const isRoot = user === ROOT_ACCOUNT_ROW;
    const created = optionalText(record.user_creation_time);
    const activeAccessKeys = [record.access_key_1_active, record.access_key_2_active].filter(
      (v) => reportBoolean(v) === true,
    ).length;
    return {
      user,
      arn: record.arn ?? '',
      isRoot,
      passwordEnabled: isRoot ? undefined : reportBoolean(record.password_enabled),
      mfaActive: reportBoolean(record.mfa_active) === true,
      activeAccessKeys,
      ...(created ? { userCreationTime: created } : {}),
    };
  });
}

/**
 * Whether a (non-root) user lacks MFA under the scope: `console-users` (Security Hub IAM.5) counts only users
 * with a console password; `all-users` (IAM.19) counts every user without an active MFA device.
 */
export function lacksMfa(row: CredentialReportRow, scope: MfaScope): boolean {
  if (row.isRoot || row.mfaActive) return false;
  return scope === 'all-users' || row.passwordEnabled === true;
}
