/**
 * `mfa-remediation enroll --user-name NAME [--account ID]`: enrol a virtual MFA device for an IAM user.
 *
 * - At a terminal: guided (see `enroll-session.ts`): create the device, show its QR code, ask for two
 *   consecutive codes, enable, explain a refusal, offer a resync.
 * - With the AWS CLI's own parameters (`--serial-number`, `--authentication-code1`, `--authentication-code2`,
 *   or `--cli-input-json`): one EnableMFADevice, no prompt, so any documented
 *   `aws iam enable-mfa-device …` invocation works by changing only the program name.
 * - `--submit`: the codes go to the remediation queue as an `enrollment-codes` task instead of to IAM.
 *
 * Either way, enabling runs through the worker's own code (`runWorkItem`), so outcomes are identical; the
 * outcome is printed (and published when `OUTCOME_TOPIC_ARN` is set). Exit 0 when the device is enabled,
 * resynchronised or queued; 1 when the work failed (e.g. invalid codes); 2 for usage errors.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { call } from '../../aws/sdk-errors.ts';
import {
  EnrollmentCodesTask,
  type Outcome,
  PATTERNS,
  ResyncCodesTask,
  type WorkItem,
} from '../../core/model.ts';
import { runWorkItem } from '../../core/workflow.ts';
import { ValidationError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { patternFlag } from '../args.ts';
import { type CliContext, EXIT } from '../context.ts';
import {
  type EnrollFlags,
  type EnrollInput,
  INPUT_SKELETON,
  requireParameters,
  resolveEnrollInput,
} from '../enroll-input.ts';
import {
  type CodesRequest,
  runEnrolSession,
  type SessionResult,
  type Submission,
} from '../enroll-session.ts';
import { outcomeColumns } from './outcome-table.ts';

export interface EnrollOptions extends EnrollFlags {
  readonly generateCliSkeleton?: string | true;
  readonly account?: string;
  readonly resync?: boolean;
  readonly submit?: boolean;
  readonly queueUrl?: string;
}

const CODES = ['SerialNumber', 'AuthenticationCode1', 'AuthenticationCode2'] as const;

export function registerEnroll(program: Command, cli: CliContext): void {
  program
    .command('enroll')
    .description(
      'enrol a virtual MFA device for an IAM user: guided at a terminal, or with the codes as flags',
    )
    .option('--user-name <name>', 'the IAM user')
    .option(
      '--serial-number <serial>',
      'an existing device (its ARN); default: create /mfa-remediation/<user>',
    )
    .option('--authentication-code1 <code>', 'a code from the device (then no prompt)')
    .option('--authentication-code2 <code>', 'the next code from the device')
    .option('--cli-input-json <json>', 'the parameters as JSON or file://path, as in the AWS CLI')
    .option('--generate-cli-skeleton [type]', 'print the input skeleton (input, default) or the output one')
    .option(
      '--account <id>',
      "the user's account (default: your own)",
      patternFlag(PATTERNS.accountId, '12 digits'),
    )
    .option('--resync', 'resynchronise an enabled device (ResyncMFADevice) instead')
    .option('--submit', 'send the codes to the remediation queue as a task instead of calling IAM')
    .option('--queue-url <url>', 'the queue for --submit (default: REMEDIATION_QUEUE_URL)')
    .action((options: EnrollOptions) => runEnroll(options, cli));
}

/** The command's action; resolves after setting `process.exitCode`. */
export async function runEnroll(options: EnrollOptions, cli: CliContext): Promise<void> {
  if (options.generateCliSkeleton !== undefined) return printSkeleton(options, cli);
  const input = resolveEnrollInput(options);
  requireParameters(input, ['UserName']);
  const unattended = input.code1 !== undefined || input.code2 !== undefined;
  if (unattended) {
    requireParameters(input, CODES, ' with --authentication-code1/--authentication-code2');
  } else if (!cli.io.stdin.isTTY) {
    throw new ValidationError(
      'enroll: standard input is not a terminal, so there is nobody to ask for codes; pass --serial-number, ' +
        '--authentication-code1 and --authentication-code2 (as for aws iam enable-mfa-device)',
      { field: '--authentication-code1' },
    );
  }
  if (options.resync) requireParameters(input, ['SerialNumber'], ' with --resync');
  const runtime = cli.runtime({ requireTopic: false });
  if (runtime.config.dryRun && !input.serialNumber) {
    throw new ValidationError('--dry-run: the guided enrolment creates a device; give --serial-number', {
      field: '--dry-run',
    });
  }
  const queueUrl = options.queueUrl ?? runtime.config.remediationQueueUrl;
  if (options.submit && !queueUrl) {
    throw new ValidationError('--submit: needs --queue-url (or REMEDIATION_QUEUE_URL)', {
      field: '--queue-url',
    });
  }
  const deps = runtime.depsFor(undefined);
  const accountId = options.account ?? (await deps.accounts.selfAccountId());
  const userName = input.userName as string;
  const submit = options.submit
    ? queueSubmitter(runtime, queueUrl as string, accountId, userName)
    : directSubmitter(runtime, accountId, userName);

  if (unattended) {
    const { serialNumber, code1, code2 } = input as Required<EnrollInput>;
    const type = options.resync ? 'resync-codes' : 'enrollment-codes';
    const submission = await submit({ type, serialNumber, code1, code2 });
    printSubmission(cli, submission);
    process.exitCode = succeeded(submission) ? EXIT.ok : EXIT.workFailed;
    return;
  }

  const { iam } = await deps.accounts.forAccount(accountId);
  const result: SessionResult = await runEnrolSession({
    input: cli.io.stdin,
    output: cli.io.stdout,
    userName,
    accountId,
    ...(input.serialNumber ? { serialNumber: input.serialNumber } : {}),
    ...(options.resync ? { resync: true } : {}),
    devices: iam,
    submit,
    renderQr: (uri) => QRCode.toString(uri, { type: 'terminal', small: true }),
  });
  if (result.submission) printSubmission(cli, result.submission);
  process.exitCode = ['enabled', 'resynced', 'queued'].includes(result.status) ? EXIT.ok : EXIT.workFailed;
}

function succeeded(submission: Submission): boolean {
  return 'queued' in submission || submission.outcome.outcome === 'remediated';
}

/** Enables through the worker's own code path, then publishes the outcome when a topic is configured. */
function directSubmitter(runtime: Runtime, accountId: string, userName: string) {
  const deps = runtime.depsFor(undefined);
  return async (request: CodesRequest): Promise<Submission> => {
    const work: WorkItem = {
      type: request.type,
      accountId,
      userName,
      serialNumber: request.serialNumber,
      code1: request.code1,
      code2: request.code2,
      trigger: { source: 'enrollment', requestId: randomUUID() },
    };
    // The person's own credentials act here, not the worker's role on a message's word.
    const [outcome] = await runWorkItem(work, deps, { attempts: 1, log: runtime.log, authority: 'operator' });
    if (!outcome) throw new Error('the workflow returned no outcome');
    if (runtime.config.outcomeTopicArn) {
      const { failed } = await runtime.publisher.publish([outcome]);
      if (failed.length > 0) runtime.log.warn({ outcome: outcome.outcome }, 'outcome_not_published');
    }
    return { outcome };
  };
}

/** Sends an `enrollment-codes` (or `resync-codes`) task, validated with the schema the worker reads it with. */
function queueSubmitter(runtime: Runtime, queueUrl: string, accountId: string, userName: string) {
  return async (request: CodesRequest): Promise<Submission> => {
    const requestId = randomUUID();
    const fields = { ...request, accountId, userName, requestId };
    const task =
      request.type === 'resync-codes' ? ResyncCodesTask.parse(fields) : EnrollmentCodesTask.parse(fields);
    const sent = await call('sqs', 'SendMessage', () =>
      runtime.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(task) })),
    );
    runtime.log.info({ requestId, messageId: sent.MessageId, type: task.type }, 'enrolment_codes_submitted');
    return { queued: { requestId, ...(sent.MessageId ? { messageId: sent.MessageId } : {}) } };
  };
}

function printSubmission(cli: CliContext, submission: Submission): void {
  if ('outcome' in submission) {
    const outcome: Outcome = submission.outcome;
    cli.print(outcome, { rows: [outcome], columns: outcomeColumns });
    return;
  }
  const queued = submission.queued;
  cli.print(queued, {
    rows: [queued],
    columns: [
      { header: 'REQUEST ID', value: (q) => q.requestId },
      { header: 'MESSAGE ID', value: (q) => q.messageId },
    ],
  });
}

/**
 * `--generate-cli-skeleton`: `input` (or no value) prints the JSON `--cli-input-json` takes; `output`
 * validates the parameters and prints the output skeleton (EnableMFADevice returns nothing: `{}`).
 */
function printSkeleton(options: EnrollOptions, cli: CliContext): void {
  const kind = options.generateCliSkeleton === true ? 'input' : options.generateCliSkeleton;
  if (kind === 'input') {
    cli.io.stdout.write(`${JSON.stringify(INPUT_SKELETON, null, 4)}\n`);
  } else if (kind === 'output') {
    requireParameters(resolveEnrollInput(options), ['UserName', ...CODES]);
    cli.io.stdout.write('{}\n');
  } else {
    throw new ValidationError(`--generate-cli-skeleton: must be input or output (got "${kind}")`, {
      field: '--generate-cli-skeleton',
    });
  }
  process.exitCode = EXIT.ok;
}
