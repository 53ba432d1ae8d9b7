import type { Command } from 'commander';
import { integerFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export interface LocalOptions {
  readonly users: number;
  readonly withoutMfa?: number;
}

export interface LocalCloudOptions {
  readonly port: number;
  readonly faults?: string;
  readonly latencyMs: number;
  readonly seed?: string;
}

export function defineLocal(program: Command, cli: CliContext): void {
  const command = program
    .command('local')
    .summary('run the whole pipeline against the built-in local cloud and summarise it (npm start)')
    .description(
      'Start the local cloud in this process, seed a demo organisation, send its findings through the ' +
        'queue, run the worker until the queue is empty, and summarise what happened. No AWS account needed.',
    )
    .option('--users <n>', 'generated users in addition to the demo cast', integerFlag(0, 100_000), 0)
    .option(
      '--without-mfa <m>',
      'how many generated users lack MFA (default: half)',
      integerFlag(0, 100_000),
    );
  describeCommand(command, {
    examples: [
      ['npm start', 'the same as mfa-remediation local'],
      ['mfa-remediation local --users 1000 --output json', '1,000 more users; the summary as JSON'],
    ],
    prints:
      'A row per demo user (account, user, outcome, what was applied, the scenario), outcome counts, API calls, ' +
      'the start of the e-mail the contained user received, and the path of the campaign report (HTML) it wrote.',
    failsWhen: 'the demo could not run to its end',
  });
  lazyAction<LocalOptions>(command, cli, async () => (await import('../commands/local.ts')).runLocal);
}

export function defineLocalCloud(program: Command, cli: CliContext): void {
  const command = program
    .command('local-cloud')
    .summary('serve the AWS-compatible local cloud until stopped')
    .description(
      'Serve the local cloud (IAM, STS, SQS, SNS, Security Hub, Organizations, Secrets Manager, SES) on 127.0.0.1 ' +
        "until SIGINT or SIGTERM, with the product's queues and topic created, for the SDKs, the AWS CLI and " +
        "another shell's mfa-remediation.",
    )
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free port)', integerFlag(0, 65_535), 4566)
    .option('--faults <spec>', 'fault injection, e.g. iam:write=ConcurrentModification:0.3')
    .option('--latency-ms <n>', 'latency added to every AWS call', integerFlag(0, 60_000), 0)
    .option('--seed <name>', "seed data: demo (the demo organisation's users)");
  describeCommand(command, {
    examples: [
      ['mfa-remediation local-cloud --seed demo', 'serve on 127.0.0.1:4566'],
      [
        'mfa-remediation local-cloud --port 0 2> local-cloud.env',
        'any free port; then ". ./local-cloud.env" in another shell',
      ],
    ],
    prints:
      'stdout: one line "ready http://127.0.0.1:PORT" once it accepts requests. stderr: export lines ' +
      '(AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ' +
      'OUTCOME_TOPIC_ARN, REMEDIATION_QUEUE_URL, DEAD_LETTER_QUEUE_URL, MAX_RECEIVE_COUNT, ALLOWED_ACCOUNTS; ' +
      "with --seed demo also the worker role's session (AWS_SESSION_TOKEN), ESCALATION, MEMBER_ROLE_NAME, " +
      'MEMBER_ROLE_EXTERNAL_ID, NOTIFY_FROM and NOTIFY_CONTACT) ' +
      'ready for eval or ".", then warnings only.',
    failsWhen: 'the port could not be opened',
  });
  lazyAction<LocalCloudOptions>(
    command,
    cli,
    async () => (await import('../commands/local.ts')).runLocalCloud,
  );
}
