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
import { createOrganizationsAdapter } from '../../aws/organizations.ts';
import { planSweep } from '../../core/fan-out.ts';
import { buildReport } from '../../core/report/collect.ts';
import { reportCsv } from '../../core/report/csv.ts';
import { reportHtml } from '../../core/report/html.ts';
import type { AccountReport, Report } from '../../core/report/model.ts';
import type { SweepTarget } from '../../core/sweep-target.ts';
import { ValidationError } from '../../errors.ts';
import { type CliContext, EXIT } from '../context.ts';
import type { ReportOptions } from '../definitions/report.ts';
import type { Column } from '../output.ts';

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
    flex: true,
  },
];

function nextDeadline(account: Extract<AccountReport, { status: 'ok' }>): string {
  const upcoming = account.users
    .filter((u) => u.state === 'contained' && u.deadline)
    .map((u) => u.deadline as string)
    .sort();
  return upcoming[0] ?? '';
}

/** The table view's footer: the totals line and the skipped accounts. */
function reportFooter(report: Report): string {
  const t = report.totals;
  return [
    `Totals: ${t.inScope} in scope, ${t.compliant} compliant, ${t.exempt} exempt, ${t.notContained} not contained, ${t.contained} contained, ${t.pastDeadline} past deadline, ${t.escalated} escalated (scope ${report.scope})`,
    ...report.skipped.map((s) => `skipped ${s.accountId}: ${s.reason}`),
  ].join('\n');
}

/** Runs `report` (see its definition for flags and help). */
export async function runReport(cli: CliContext, options: ReportOptions): Promise<void> {
  if (options.account && options.allAccounts) {
    throw new ValidationError('--account and --all-accounts cannot be combined', { field: '--all-accounts' });
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
  const runtime = await cli.runtime({ requireTopic: false });
  const { config, log } = runtime;
  const target: SweepTarget = options.allAccounts
    ? { kind: 'organization' }
    : options.account
      ? { kind: 'accounts', accounts: options.account }
      : { kind: 'self' };
  const { status } = cli;
  status.set('report: planning accounts');
  let report: Report;
  try {
    const plan = await planSweep(target, config.allowedAccounts === 'self' ? '*' : config.allowedAccounts, {
      selfAccountId: () => runtime.accounts.selfAccountId(),
      ...(target.kind === 'organization'
        ? { organizations: createOrganizationsAdapter(new OrganizationsClient(runtime.clientOptions)) }
        : {}),
      log,
    });
    let done = 0;
    status.set(`report: 0/${plan.accounts.length} accounts`);
    report = await buildReport(plan.accounts, plan.skipped, {
      accounts: runtime.accounts,
      now: () => new Date(),
      log,
      config,
      onAccountDone: () => status.set(`report: ${++done}/${plan.accounts.length} accounts`),
    });
  } finally {
    status.clear();
  }

  const text =
    format === 'html'
      ? reportHtml(report)
      : format === 'csv'
        ? reportCsv(report)
        : cli.format(report, {
            rows: report.accounts,
            columns: accountColumns,
            footer: reportFooter(report),
          });
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
}
