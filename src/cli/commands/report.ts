/**
 * `mfa-remediation report [--account ID ...] [--all-accounts] [--output table|json|csv|html] [--out FILE]`:
 * the campaign view across accounts (docs/reference.md: Command line) — per account, the users in scope by
 * state (compliant, exempt with expiry, not contained yet, contained with deadlines, past deadline,
 * escalated), read from IAM only: it changes nothing. Member accounts are read through the member role.
 *
 * Which accounts: as `sweep` — your own by default, `--account` (repeatable), or `--all-accounts` (every ACTIVE
 * account of the organisation); ALLOWED_ACCOUNTS, when set, leaves the others out.
 */
import { writeFileSync } from 'node:fs';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Command } from 'commander';
import { createOrganizationsAdapter } from '../../aws/organizations.ts';
import { planSweep } from '../../core/fan-out.ts';
import { PATTERNS } from '../../core/model.ts';
import { buildReport } from '../../core/report/collect.ts';
import { reportCsv } from '../../core/report/csv.ts';
import { reportHtml } from '../../core/report/html.ts';
import type { AccountReport, Report } from '../../core/report/model.ts';
import type { SweepTarget } from '../../core/sweep-target.ts';
import { ValidationError } from '../../errors.ts';
import { collect, patternFlag } from '../args.ts';
import { type CliContext, EXIT } from '../context.ts';
import { applyQuery, type Column, formatJson, renderTable } from '../output.ts';
import { createProgressBar } from '../progress.ts';

interface ReportOptions {
  account?: string[];
  allAccounts?: boolean;
  out?: string;
}

const COST = `
IAM calls per account (read-only; measured by the benchmark's report scenario):
  GenerateCredentialReport  1, plus one per poll while IAM builds the report
  GetCredentialReport       1 (every user's password and MFA state)
  ListEntitiesForPolicy     1 per 1,000 contained users (the guard policy's users)
  ListUserTags              1 per user without MFA in scope, and per contained user
                            (deadline, exemption, notification tags); users with MFA cost nothing
  sts:AssumeRole            1 per member account (the member role)
Permissions: those of the member role (deploy/member-account-role.yml); nothing is written.`;

const accountColumns: readonly Column<AccountReport>[] = [
  { header: 'ACCOUNT', value: (a) => a.accountId },
  { header: 'IN SCOPE', value: (a) => (a.status === 'ok' ? a.counts.inScope : '') },
  { header: 'COMPLIANT', value: (a) => (a.status === 'ok' ? a.counts.compliant : '') },
  { header: 'EXEMPT', value: (a) => (a.status === 'ok' ? a.counts.exempt : '') },
  { header: 'NOT CONTAINED', value: (a) => (a.status === 'ok' ? a.counts.notContained : '') },
  { header: 'CONTAINED', value: (a) => (a.status === 'ok' ? a.counts.contained : '') },
  { header: 'PAST DEADLINE', value: (a) => (a.status === 'ok' ? a.counts.pastDeadline : '') },
  { header: 'ESCALATED', value: (a) => (a.status === 'ok' ? a.counts.escalated : '') },
  { header: 'NEXT DEADLINE', value: (a) => (a.status === 'ok' ? nextDeadline(a) : '') },
  {
    header: 'NOTE',
    value: (a) =>
      a.status === 'failed'
        ? `failed: ${a.error.code}: ${a.error.message}`
        : a.rootWithoutMfa
          ? 'root user has no MFA'
          : '',
  },
];

function nextDeadline(account: Extract<AccountReport, { status: 'ok' }>): string {
  const upcoming = account.users
    .filter((u) => u.state === 'contained' && u.deadline)
    .map((u) => u.deadline as string)
    .sort();
  return upcoming[0] ?? '';
}

/** The table view: one row per account, a totals line, and the skipped accounts. */
function reportTable(report: Report): string {
  const t = report.totals;
  const footer = [
    `Totals: ${t.inScope} in scope, ${t.compliant} compliant, ${t.exempt} exempt, ${t.notContained} not contained, ${t.contained} contained, ${t.pastDeadline} past deadline, ${t.escalated} escalated (scope ${report.scope})`,
    ...report.skipped.map((s) => `skipped ${s.accountId}: ${s.reason}`),
  ];
  return `${renderTable(report.accounts, accountColumns)}\n${footer.join('\n')}\n`;
}

export function registerReport(program: Command, cli: CliContext): void {
  program
    .command('report')
    .description('the MFA campaign across accounts: users by state, deadlines, exemptions (reads IAM only)')
    .option(
      '--account <id>',
      'an account to report (repeatable; default: your own)',
      collect(patternFlag(PATTERNS.accountId, 'a 12-digit account id')),
    )
    .option('--all-accounts', 'every ACTIVE account of the organisation')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addHelpText(
      'after',
      `\nFormats (global --output): table, json (schema mfa-remediation/report@1), csv (one row per user),\nhtml (one self-contained page with charts).\n${COST}`,
    )
    .action(async (options: ReportOptions) => {
      if (options.account && options.allAccounts) {
        throw new ValidationError('--account and --all-accounts cannot be combined', {
          field: '--all-accounts',
        });
      }
      const globals = cli.globals;
      const format = globals.output;
      if (globals.query && (format === 'csv' || format === 'html')) {
        throw new ValidationError(
          `--query applies to JSON output; it cannot be combined with --output ${format}`,
          {
            field: '--query',
          },
        );
      }
      const runtime = cli.runtime({ requireTopic: false });
      const { config, log } = runtime;
      const target: SweepTarget = options.allAccounts
        ? { kind: 'organization' }
        : options.account
          ? { kind: 'accounts', accounts: options.account }
          : { kind: 'self' };
      const plan = await planSweep(target, config.allowedAccounts === 'self' ? '*' : config.allowedAccounts, {
        selfAccountId: () => runtime.accounts.selfAccountId(),
        ...(target.kind === 'organization'
          ? { organizations: createOrganizationsAdapter(new OrganizationsClient(runtime.clientOptions)) }
          : {}),
        log,
      });
      const progress = createProgressBar(cli.io.stderr, {
        total: plan.accounts.length,
        label: 'report',
        unit: 'accounts',
        enabled: Boolean(cli.io.stderr.isTTY) && !options.out && format === 'table',
      });
      let report: Report;
      try {
        report = await buildReport(plan.accounts, plan.skipped, {
          accounts: runtime.accounts,
          now: () => new Date(),
          log,
          config,
          onAccountDone: (result) => progress.tick(result.accountId),
        });
      } finally {
        progress.done();
      }

      const text =
        format === 'html'
          ? reportHtml(report)
          : format === 'csv'
            ? reportCsv(report)
            : format === 'json' || globals.query
              ? `${formatJson(applyQuery(report, globals.query))}\n`
              : reportTable(report);
      if (options.out) {
        writeFileSync(options.out, text);
        cli.io.stderr.write(`wrote ${options.out}\n`);
      } else {
        cli.io.stdout.write(text);
      }
      for (const account of report.accounts) {
        if (account.status === 'failed') {
          cli.io.stderr.write(
            `account ${account.accountId} not reported: ${account.error.code}: ${account.error.message}\n`,
          );
        }
      }
      process.exitCode = report.accounts.some((a) => a.status === 'failed') ? EXIT.workFailed : EXIT.ok;
    });
}
