import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export function defineProcess(program: Command, cli: CliContext): void {
  const command = program
    .command('process')
    .summary('process message bodies without a queue and print their outcomes')
    .description(
      "Process message bodies without a queue, through the worker's own code, and print their outcomes. " +
        'Input: one message body, a Lambda SQS event ({"Records": [...]}), or JSON lines (one body per line).',
    )
    .argument('[file]', 'a file, or - for standard input', '-');
  describeCommand(command, {
    examples: [
      ['mfa-remediation process finding-event.json', 'one EventBridge event from a file'],
      ['mfa-remediation process --dry-run - < findings.jsonl', 'JSON lines on stdin; change nothing'],
      ['mfa-remediation process findings.jsonl --query outcome --output text', 'one outcome name per line'],
    ],
    prints:
      'One outcome per finding or task (docs/reference.md: Outcomes), in input order: json is one JSON line ' +
      'per outcome; --query applies to each outcome. A record that hit a retryable error has no outcome: a ' +
      'line on stderr says what happened and that SQS would retry it. Outcomes are published to ' +
      'OUTCOME_TOPIC_ARN when it is set.',
    failsWhen:
      'an outcome is failed, rejected or invalid-code, an outcome could not be published, or a record was ' +
      'left for retry',
  });
  lazyAction<Record<string, never>>(
    command,
    cli,
    async () => (await import('../commands/process.ts')).runProcess,
  );
}
