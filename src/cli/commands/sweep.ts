/**
 * `mfa-remediation sweep [--account ID ...] [--all-accounts] [--dry-run] [--no-enqueue] [--fresh-report]`:
 * run audit sweeps from here (bounded concurrency across accounts) instead of through the queue, and print
 * one row per account with the credential report it read (IAM reuses a report for up to four hours).
 * `--no-enqueue` lists the users without MFA instead of enqueueing their remediation.
 *
 * Which accounts: `--account` (repeatable); `--all-accounts` = every ACTIVE account of the organisation;
 * else SWEEP_ACCOUNTS as the scheduled sweep reads it; else the caller's own. When ALLOWED_ACCOUNTS is set,
 * accounts outside it are skipped as in the worker (whose intake would reject their tasks anyway); when it is
 * unset, the accounts named are allowed: the operator named them.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { createOrganizationsAdapter } from '../../aws/organizations.ts';
import { createTaskQueue } from '../../aws/task-queue.ts';
import { createSweepId, planSweep } from '../../core/fan-out.ts';
import type { SweepStage } from '../../core/sweep.ts';
import { type AccountSweepResult, sweepAccounts } from '../../core/sweep-accounts.ts';
import { loadSweepTarget, type SweepTarget } from '../../core/sweep-target.ts';
import { ValidationError } from '../../errors.ts';
import { type CliContext, EXIT } from '../context.ts';
import type { SweepOptions } from '../definitions/sweep.ts';
import type { Column } from '../output.ts';
import { checkQueue, checkTopic } from '../preflight.ts';
import { count } from '../progress.ts';

const accountColumns: readonly Column<AccountSweepResult>[] = [
  { header: 'ACCOUNT', value: (r) => r.accountId },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'SCANNED', value: (r) => (r.status === 'ok' ? r.summary.usersScanned : '') },
  { header: 'NON-COMPLIANT', value: (r) => (r.status === 'ok' ? r.summary.nonCompliant : '') },
  { header: 'EXEMPT', value: (r) => (r.status === 'ok' ? r.summary.exempt : '') },
  { header: 'ENQUEUED', value: (r) => (r.status === 'ok' ? r.summary.enqueued : '') },
  {
    header: 'ROOT MFA',
    value: (r) => (r.status === 'ok' ? (r.summary.rootWithoutMfa ? 'MISSING' : 'ok') : ''),
  },
  { header: 'REPORT AGE', value: (r) => (r.status === 'ok' ? age(r.report.ageSeconds) : '') },
  {
    header: 'DURATION',
    value: (r) => (r.status === 'ok' ? `${(r.summary.durationMs / 1000).toFixed(1)}s` : ''),
  },
  {
    header: 'ERROR',
    value: (r) => (r.status === 'failed' ? `${r.error.code}: ${r.error.message}` : ''),
    flex: true,
  },
];

type UserRow = {
  accountId: string;
  userName: string;
  password: boolean;
  accessKeys: number;
  contained: boolean;
};
const userColumns: readonly Column<UserRow>[] = [
  { header: 'USER', value: (u) => u.userName },
  { header: 'PASSWORD', value: (u) => (u.password ? 'yes' : 'no') },
  { header: 'ACCESS KEYS', value: (u) => u.accessKeys },
  { header: 'CONTAINED', value: (u) => (u.contained ? 'yes' : 'no') },
];

/** The JSON view of one account's result (the users only when they were listed instead of enqueued). */
function accountJson(result: AccountSweepResult, listUsers: boolean) {
  if (result.status === 'failed')
    return { accountId: result.accountId, status: result.status, error: result.error };
  return {
    accountId: result.accountId,
    status: result.status,
    summary: result.summary,
    report: result.report,
    ...(listUsers ? { nonCompliantUsers: result.nonCompliantUsers } : {}),
    ...(result.outcomes.length > 0 ? { outcomes: result.outcomes } : {}),
  };
}

/** An age as people say it: 45 s, 12 min, 3 h 5 min. */
export function age(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `credential report of 2026-12-01T09:41:33Z (5 min old), 1,000 users`: fits 80 columns with an account id. */
function reportText(report: { generatedAt: string; ageSeconds: number; users: number }): string {
  const at = report.generatedAt.replace(/\.\d+Z$/, 'Z');
  return `credential report of ${at} (${age(report.ageSeconds)} old), ${count(report.users, 'users')}`;
}

function stageText(event: SweepStage): string | undefined {
  switch (event.stage) {
    case 'report-requested':
      return event.state === 'COMPLETE'
        ? undefined
        : `${event.accountId}: credential report ${event.state === 'STARTED' ? 'requested' : 'being generated'}`;
    case 'report-waiting':
      return `${event.accountId}: IAM makes a new credential report after ${event.until.toISOString().replace(/\.\d+Z$/, 'Z')}; waiting`;
    case 'report-parsed':
      return `${event.accountId}: ${reportText(event.report).replace('credential report of', 'report of').replace(' old), ', ' old) parsed: ')}`;
    case 'enqueued':
      return `${event.accountId}: ${count(event.tasks, 'tasks')} enqueued`;
  }
}

function target(options: SweepOptions, cli: CliContext): SweepTarget {
  if (options.allAccounts) return { kind: 'organization' };
  if (options.account) return { kind: 'accounts', accounts: options.account };
  return loadSweepTarget(cli.env());
}

export async function runSweep(cli: CliContext, options: SweepOptions): Promise<void> {
  if (options.account && options.allAccounts) {
    throw new ValidationError('--account and --all-accounts cannot be combined', { field: '--all-accounts' });
  }
  const sweepTarget = target(options, cli);
  const runtime = await cli.runtime({ requireTopic: false });
  const { config, log } = runtime;
  const queueUrl = options.queueUrl ?? config.remediationQueueUrl;
  const sends = options.enqueue && !config.dryRun;
  if (sends && !queueUrl) {
    throw new ValidationError(
      'a queue is needed to enqueue: set REMEDIATION_QUEUE_URL or --queue-url (or use --no-enqueue, --dry-run)',
      { field: '--queue-url' },
    );
  }
  await checkTopic(runtime.sns, config.outcomeTopicArn);
  if (sends && queueUrl)
    await checkQueue(runtime.sqs, queueUrl, options.queueUrl ? '--queue-url' : 'REMEDIATION_QUEUE_URL');
  const status = cli.status;
  status.set('sweep: planning accounts');
  const plan = await planSweep(
    sweepTarget,
    config.allowedAccounts === 'self' ? '*' : config.allowedAccounts,
    {
      selfAccountId: () => runtime.accounts.selfAccountId(),
      ...(sweepTarget.kind === 'organization'
        ? { organizations: createOrganizationsAdapter(new OrganizationsClient(runtime.clientOptions)) }
        : {}),
      log,
    },
  );
  const tasks = sends && queueUrl ? createTaskQueue(runtime.sqs, { queueUrl, log }) : undefined;
  const sweepId = createSweepId(new Date());
  let finished = 0;
  const progress = () => `sweep: ${finished}/${plan.accounts.length} accounts done`;
  status.set(progress());
  let results: AccountSweepResult[];
  try {
    results = await sweepAccounts(
      plan.accounts,
      {
        sweepId,
        enqueue: options.enqueue,
        dryRun: config.dryRun,
        concurrency: options.concurrency,
        ...(options.freshReport ? { freshReport: true } : {}),
      },
      {
        accounts: runtime.accounts,
        ...(tasks ? { tasks } : {}),
        ...(config.outcomeTopicArn ? { publisher: runtime.publisher } : {}),
        now: () => new Date(),
        log,
        config,
        onStage: (event) => {
          const text = stageText(event);
          if (text && status.enabled) status.above(text);
        },
        onAccountDone: () => {
          finished++;
          status.set(progress());
        },
      },
    );
  } finally {
    status.clear();
  }

  const listUsers = !options.enqueue;
  const document = {
    sweepId,
    dryRun: config.dryRun,
    enqueue: options.enqueue,
    accounts: results.map((r) => accountJson(r, listUsers)),
    skipped: plan.skipped,
  };
  if (cli.globals.output !== 'table' || cli.globals.query) {
    cli.print(document);
  } else {
    if (listUsers) {
      for (const result of results) {
        if (result.status !== 'ok') continue;
        const rows = result.nonCompliantUsers.map((u) => ({
          accountId: result.accountId,
          userName: u.userName,
          password: u.passwordEnabled,
          accessKeys: u.activeAccessKeys,
          contained: u.contained,
        }));
        cli.io.stdout.write(`Account ${result.accountId}: ${rows.length} user(s) without MFA\n`);
        if (rows.length > 0) cli.print(rows, { rows, columns: userColumns });
        cli.io.stdout.write('\n');
      }
    }
    const reports = results
      .filter((r) => r.status === 'ok')
      .map((r) => `${r.accountId}: ${reportText(r.report)}`);
    const stale = results.some((r) => r.status === 'ok' && r.report.ageSeconds > 60);
    const skipped = plan.skipped.map((s) => `skipped ${s.accountId}: ${s.reason}`);
    cli.print(results, {
      rows: results,
      columns: accountColumns,
      footer: [
        `sweep ${sweepId}${config.dryRun ? ' (dry run)' : ''}`,
        ...reports,
        stale && !options.freshReport
          ? 'IAM reuses a credential report for 4 hours; --fresh-report waits for a new one.'
          : '',
        ...skipped,
      ]
        .filter(Boolean)
        .join('\n'),
    });
  }
  process.exitCode = results.some((r) => r.status === 'failed') ? EXIT.workFailed : EXIT.ok;
}
