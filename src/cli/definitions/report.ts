import type { Command } from 'commander';
import { PATTERNS } from '../../core/patterns.ts';
import { collect, patternFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export interface ReportOptions {
  readonly account?: string[];
  readonly allAccounts?: boolean;
  readonly out?: string;
}

/** What the report costs in IAM calls per account (measured by the benchmark's report scenario). */
export const REPORT_COST =
  'IAM calls per account (read-only): GenerateCredentialReport 1, plus one per poll while IAM builds the ' +
  "report; GetCredentialReport 1 (every user's password and MFA state); ListEntitiesForPolicy 1 per 1,000 " +
  "contained users (the guard policy's users); ListUserTags 1 per user without MFA in scope and per " +
  'contained user (deadline, exemption, notification tags) — users with MFA cost nothing; sts:AssumeRole 1 ' +
  'per member account (the member role). Permissions: those of the member role ' +
  '(deploy/member-account-role.yml); nothing is written.';

export function defineReport(program: Command, cli: CliContext): void {
  const command = program
    .command('report')
    .summary('the MFA campaign across accounts: users by state, deadlines, exemptions (reads IAM only)')
    .description(
      'Report the campaign per account: users in scope that are compliant, exempt (with expiry), not yet ' +
        'contained, contained (with deadlines), past their deadline, or escalated — read from the ' +
        'credential report and user tags; nothing is changed. Which accounts: as sweep — your own by ' +
        'default, --account (repeatable) or --all-accounts; ALLOWED_ACCOUNTS, when set, leaves the others out.',
    )
    .option(
      '--account <id>',
      'an account to report (repeatable; default: your own)',
      collect(patternFlag(PATTERNS.accountId, 'a 12-digit account id')),
    )
    .option('--all-accounts', 'every ACTIVE account of the organisation')
    .option('--out <file>', 'write the report to this file instead of stdout');
  describeCommand(command, {
    examples: [
      ['mfa-remediation report', 'my own account, as a table'],
      [
        'mfa-remediation report --all-accounts --output html --out campaign.html',
        'the whole organisation as one self-contained page with charts',
      ],
      ['mfa-remediation report --account 111111111111 --output csv', 'one CSV row per user'],
    ],
    prints:
      'table: one row per account and a totals line. json: one document (schema mfa-remediation/report@1). ' +
      'csv: one row per user in scope (formulas neutralised). html: one self-contained page (no network) ' +
      'with a stacked bar chart of users by state per account and a timeline of upcoming deadlines. With ' +
      '--out the document goes to that file and stderr names it.',
    failsWhen: 'an account could not be read (stderr and its row say why)',
    notes: REPORT_COST,
  });
  lazyAction<ReportOptions>(command, cli, async () => (await import('../commands/report.ts')).runReport);
}
