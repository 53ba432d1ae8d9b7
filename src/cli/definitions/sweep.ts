import type { Command } from 'commander';
import { PATTERNS } from '../../core/patterns.ts';
import { collect, integerFlag, patternFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export interface SweepOptions {
  readonly account?: string[];
  readonly allAccounts?: boolean;
  readonly enqueue: boolean;
  readonly queueUrl?: string;
  readonly concurrency: number;
  readonly freshReport?: boolean;
}

export function defineSweep(program: Command, cli: CliContext): void {
  const command = program
    .command('sweep')
    .summary('find IAM users without MFA from credential reports and enqueue their remediation')
    .description(
      'Audit accounts from their IAM credential reports: every user without MFA (in MFA_SCOPE) gets an ' +
        'mfa-missing task on the remediation queue, or is listed with --no-enqueue. Which accounts: ' +
        '--account, --all-accounts, else SWEEP_ACCOUNTS, else your own; ALLOWED_ACCOUNTS filters them.',
    )
    .option(
      '--account <id>',
      'an account to sweep (repeatable)',
      collect(patternFlag(PATTERNS.accountId, 'a 12-digit account id')),
    )
    .option('--all-accounts', 'sweep every ACTIVE account of the organisation')
    .option('--no-enqueue', 'list users without MFA instead of enqueueing their remediation')
    .option('--queue-url <url>', 'where tasks go (default: REMEDIATION_QUEUE_URL)')
    .option('--concurrency <n>', 'accounts swept at once', integerFlag(1, 50), 4)
    .option(
      '--fresh-report',
      'do not reuse a credential report: wait until IAM generates a new one (IAM allows one every 4 hours)',
    );
  describeCommand(command, {
    examples: [
      ['mfa-remediation sweep --no-enqueue', 'who in my account lacks MFA'],
      ['mfa-remediation sweep --all-accounts', 'enqueue remediation across the organisation'],
      ['mfa-remediation sweep --account 111111111111 --fresh-report', 'from a report generated now'],
    ],
    prints:
      'Per account: users scanned, non-compliant, exempt, enqueued, root MFA, and the credential report used ' +
      '(when IAM generated it, its age, its users); with --no-enqueue, the users without MFA. json: one ' +
      'document (schema mfa-remediation/sweep@1 per account). On a terminal, stderr shows each stage: report ' +
      'requested, generated, parsed, tasks enqueued.',
    failsWhen: 'an account could not be swept (its row says why)',
    notes:
      'IAM generates a credential report at most every 4 hours and returns the last one until then; the ' +
      'sweep says how old the report is. Users created or enrolled since are not in it (the worker checks ' +
      'every enqueued user against IAM anyway).',
  });
  lazyAction<SweepOptions>(command, cli, async () => (await import('../commands/sweep.ts')).runSweep);
}
