import type { Command } from 'commander';
import { integerFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export interface DlqListOptions {
  readonly queueUrl?: string;
  readonly max: number;
}

export interface DlqRedriveOptions {
  readonly queueUrl?: string;
  readonly to?: string;
  readonly wait: boolean;
  readonly waitTimeout: number;
}

export function defineDlq(program: Command, cli: CliContext): void {
  const dlq = program
    .command('dlq')
    .summary('inspect and redrive the dead-letter queue')
    .description('Inspect the dead-letter queue (list) and move its messages back to work (redrive).')
    .usage('list | redrive [flags]');
  describeCommand(dlq, {
    examples: [
      ['mfa-remediation dlq list', 'what was parked, and why'],
      ['mfa-remediation dlq redrive', 'move it back to the remediation queue'],
    ],
    prints: 'See mfa-remediation dlq list --help and mfa-remediation dlq redrive --help.',
    failsWhen: 'see each subcommand',
  });

  const list = dlq
    .command('list')
    .summary('show parked messages and why they were parked (codes masked)')
    .description(
      'Show the messages on the dead-letter queue and why each was parked, authentication codes masked. ' +
        'Each message is received, then returned to visibility at once (ChangeMessageVisibility 0), so ' +
        'listing hides nothing from a redrive or a second list; each receive adds one to its receive count.',
    )
    .option('--queue-url <url>', 'the dead-letter queue (default: DEAD_LETTER_QUEUE_URL)')
    .option('--max <n>', 'messages to show at most', integerFlag(1, 1000), 50);
  describeCommand(list, {
    examples: [
      ['mfa-remediation dlq list', 'a table on a terminal'],
      ["mfa-remediation dlq list --query '[].reason' --output text", 'the reasons only'],
      [
        'mfa-remediation dlq list --queue-url "$(aws cloudformation describe-stacks --stack-name mfa-remediation-prod --query "Stacks[0].Outputs[?OutputKey==\'DeadLetterQueueUrl\'].OutputValue" --output text)"',
        "the deployed stack's dead-letter queue",
      ],
    ],
    prints:
      'A list of {messageId, sentAt, receiveCount, reason, body}: reason is the rejection-reason attribute ' +
      '(absent when SQS moved the message after its retries were exhausted); body is the parked body with ' +
      'codes masked.',
    failsWhen: 'an AWS call failed (the messages are still returned to visibility)',
  });
  lazyAction<DlqListOptions>(list, cli, async () => (await import('../commands/dlq.ts')).runDlqList);

  const redrive = dlq
    .command('redrive')
    .summary('move parked messages back to the remediation queue (SQS StartMessageMoveTask)')
    .description(
      "Move the dead-letter queue's messages back to the remediation queue with SQS's own " +
        'StartMessageMoveTask, wait for the task to end, and report what it moved.',
    )
    .option('--queue-url <url>', 'the dead-letter queue (default: DEAD_LETTER_QUEUE_URL)')
    .option('--to <url>', 'destination queue (default: REMEDIATION_QUEUE_URL, else the source SQS recorded)')
    .option('--no-wait', 'start the move task and return at once')
    .option('--wait-timeout <seconds>', 'how long to wait for the task', integerFlag(1, 86_400), 300);
  describeCommand(redrive, {
    examples: [
      ['mfa-remediation dlq redrive', 'move everything back, wait, report'],
      ['mfa-remediation dlq redrive --no-wait --output json', 'start the task only'],
    ],
    prints:
      "{taskHandle, sourceArn, destinationArn, status, moved, toMove, remaining}: status is the move task's " +
      '(COMPLETED, RUNNING with --no-wait, FAILED, CANCELLED); moved is what SQS says it moved; remaining ' +
      'the messages still on the dead-letter queue afterwards (in flight ones included).',
    failsWhen:
      'the task failed or was cancelled, did not end within --wait-timeout, or messages remain on the ' +
      'dead-letter queue after it completed (e.g. in flight while it ran)',
  });
  lazyAction<DlqRedriveOptions>(redrive, cli, async () => (await import('../commands/dlq.ts')).runDlqRedrive);
}
