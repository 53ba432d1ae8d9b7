import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../worker/defaults.ts';
import { integerFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

/** Options of `worker`. */
export interface WorkerOptions {
  readonly queueUrl?: string;
  readonly untilEmpty?: boolean;
  readonly concurrency: number;
  readonly giveUpAfter: number;
}

export function defineWorker(program: Command, cli: CliContext): void {
  const command = program
    .command('worker')
    .summary('poll the remediation queue and process its messages')
    .description(
      'Poll the remediation queue and process its messages until stopped (SIGTERM or SIGINT finish the ' +
        'messages already received first), or with --until-empty until the queue has no visible messages.',
    )
    .option('--queue-url <url>', 'the remediation queue (default: REMEDIATION_QUEUE_URL)')
    .option('--until-empty', 'stop when a receive finds no visible message')
    .option(
      '--concurrency <n>',
      'records doing their IAM work at once',
      integerFlag(1, 100),
      DEFAULT_CONCURRENCY,
    )
    .option(
      '--give-up-after <seconds>',
      'with --until-empty: stop (exit 1) when SQS cannot be reached for this long',
      integerFlag(1, 3600),
      30,
    );
  describeCommand(command, {
    examples: [
      ['mfa-remediation worker', 'poll REMEDIATION_QUEUE_URL until stopped'],
      ['mfa-remediation worker --until-empty', 'drain the queue once, then print what was done'],
      ["mfa-remediation worker --until-empty --query 'outcomes' --output text", 'outcome counts only'],
    ],
    prints:
      'When it stops, the run on stdout: messages received, acknowledged, retried, left unfinished, outcomes ' +
      'by kind, outcomes not published. While it runs, on stderr: one log line per outcome (level info) and, ' +
      'on a terminal, a live progress line.',
    failsWhen:
      'with --until-empty, a message was retried and not finished, an outcome was failed, rejected or ' +
      'invalid-code, an outcome could not be published, or SQS could not be reached for --give-up-after seconds',
    notes:
      'Default log level: info. Without --until-empty an unreachable SQS is retried for ever (backing off ' +
      'to 20 s between attempts), as a long-lived poller should.',
  });
  lazyAction<WorkerOptions>(command, cli, async () => (await import('../commands/worker.ts')).runWorker, {
    logLevel: 'info',
  });
}
