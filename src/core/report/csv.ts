/**
 * The report as CSV (RFC 4180): one row per user in scope, for spreadsheets. Fields are quoted when needed,
 * and a field that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return; IAM user names may start with `+`, `=`, `-` or `@`) is prefixed with `'`, as OWASP recommends
 * against CSV injection.
 */
import type { Report } from './model.ts';

export const CSV_COLUMNS = [
  'account_id',
  'user_name',
  'state',
  'password_enabled',
  'guarded',
  'since',
  'deadline',
  'exempt_until',
  'exempt_reason',
  'notified',
] as const;

/** One CSV field. */
export function csvField(value: string | number | boolean | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole report as CSV text (CRLF line ends, header first). */
export function reportCsv(report: Report): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const account of report.accounts) {
    if (account.status !== 'ok') continue;
    for (const user of account.users) {
      lines.push(
        [
          account.accountId,
          user.userName,
          user.state,
          user.passwordEnabled,
          user.guarded,
          user.since,
          user.deadline,
          user.exemptUntil,
          user.exemptReason,
          user.notified,
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
