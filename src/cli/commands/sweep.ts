/**
 * `mfa-remediation sweep [--account ID ...] [--all-accounts] [--dry-run] [--no-enqueue]`: run audit sweeps
 * from here (bounded concurrency across accounts) instead of through the queue, and print one row per
 * account. `--no-enqueue` lists the users without MFA instead of enqueueing their remediation.
 *
 * Which accounts: the caller's own by default; `--account` (repeatable); `--all-accounts` = every ACTIVE
 * account of the organisation. When ALLOWED_ACCOUNTS is set, accounts outside it are skipped as in the worker
 * (whose intake would reject their tasks anyway); when it is unset, the accounts the flags name are allowed:
 * the operator named them.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Command } from 'commander';
import { createOrganizationsAdapter } from '../../aws/organizations.ts';
import { createTaskQueue } from '../../aws/task-queue.ts';
import { createSweepId, planSweep } from '../../core/fan-out.ts';
import { PATTERNS } from '../../core/model.ts';
import { type AccountSweepResult, sweepAccounts } from '../../core/sweep-accounts.ts';
import type { SweepTarget } from '../../core/sweep-target.ts';
import { ValidationError } from '../../errors.ts';
import { collect, integerFlag, patternFlag } from '../args.ts';
import { type CliContext, EXIT } from '../context.ts';
import type { Column } from '../output.ts';
import { createProgressBar } from '../progress.ts';

interface SweepOptions {
  account?: string[];
  allAccounts?: boolean;
  enqueue: boolean;
  queueUrl?: string;
  concurrency: number;
}

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
  {
    header: 'DURATION',
    value: (r) => (r.status === 'ok' ? `${(r.summary.durationMs / 1000).toFixed(1)}s` : ''),
  },
  { header: 'ERROR', value: (r) => (r.status === 'failed' ? `${r.error.code}: ${r.error.message}` : '') },
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
    ...(listUsers ? { nonCompliantUsers: result.nonCompliantUsers } : {}),
    ...(result.outcomes.length > 0 ? { outcomes: result.outcomes } : {}),
  };
}

export function registerSweep(program: Command, cli: CliContext): void {
  program
    .command('sweep')
    .description('find IAM users without MFA from credential reports and enqueue their remediation')
    .option(
      '--account <id>',
      'an account to sweep (repeatable; default: your own)',
      collect(patternFlag(PATTERNS.accountId, 'a 12-digit account id')),
    )
    .option('--all-accounts', 'sweep every ACTIVE account of the organisation')
    .option('--no-enqueue', 'list users without MFA instead of enqueueing their remediation')
    .option('--queue-url <url>', 'where tasks go (default: REMEDIATION_QUEUE_URL)')
    .option('--concurrency <n>', 'accounts swept at once', integerFlag(1, 50), 4)
    .action(async (options: SweepOptions) => {
      if (options.account && options.allAccounts) {
        throw new ValidationError('--account and --all-accounts cannot be combined', {
          field: '--all-accounts',
        });
      }
      const runtime = cli.runtime({ requireTopic: false });
      const { config, log } = runtime;
      const queueUrl = options.queueUrl ?? config.remediationQueueUrl;
      const sends = options.enqueue && !config.dryRun;
      if (sends && !queueUrl) {
        throw new ValidationError(
          'a queue is needed to enqueue: set REMEDIATION_QUEUE_URL or --queue-url (or use --no-enqueue, --dry-run)',
          { field: '--queue-url' },
        );
      }
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

      const globals = cli.globals;
      const progress = createProgressBar(cli.io.stderr, {
        total: plan.accounts.length,
        label: 'sweep',
        unit: 'accounts',
        enabled: Boolean(cli.io.stderr.isTTY) && globals.output !== 'json',
      });
      const tasks = sends && queueUrl ? createTaskQueue(runtime.sqs, { queueUrl, log }) : undefined;
      const sweepId = createSweepId(new Date());
      let results: AccountSweepResult[];
      try {
        results = await sweepAccounts(
          plan.accounts,
          { sweepId, enqueue: options.enqueue, dryRun: config.dryRun, concurrency: options.concurrency },
          {
            accounts: runtime.accounts,
            ...(tasks ? { tasks } : {}),
            ...(config.outcomeTopicArn ? { publisher: runtime.publisher } : {}),
            now: () => new Date(),
            log,
            config,
            onAccountDone: (r) => progress.tick(r.accountId),
          },
        );
      } finally {
        progress.done();
      }

      const listUsers = !options.enqueue;
      if (globals.output === 'json' || globals.query) {
        cli.print({
          sweepId,
          dryRun: config.dryRun,
          enqueue: options.enqueue,
          accounts: results.map((r) => accountJson(r, listUsers)),
          skipped: plan.skipped,
        });
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
        const skipped = plan.skipped.map((s) => `skipped ${s.accountId}: ${s.reason}`).join('\n');
        cli.print(results, {
          rows: results,
          columns: accountColumns,
          footer: [`sweep ${sweepId}${config.dryRun ? ' (dry run)' : ''}`, skipped]
            .filter(Boolean)
            .join('\n'),
        });
      }
      process.exitCode = results.some((r) => r.status === 'failed') ? EXIT.workFailed : EXIT.ok;
    });
}
