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
 *
 * Who runs it decides the device and what follows (docs/reference.md: Command line). With the caller's own
 * credentials the device is `mfa/<user>` at path `/`, as the console names it: the only device the guard lets
 * a contained user create for themselves. When the caller is that very user (STS GetCallerIdentity), they are
 * typically contained and without MFA: the session deletes no device and leaves releasing the guard to the
 * worker (authority `self`). In another account, the member role acts, and it may create devices only under
 * the product's `/mfa-remediation/`.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { call } from '../../aws/sdk-errors.ts';
import type { ItemContext } from '../../core/context.ts';
import {
  EnrollmentCodesTask,
  NAMES,
  type Outcome,
  ResyncCodesTask,
  type WorkItem,
} from '../../core/model.ts';
import { runWorkItem } from '../../core/workflow.ts';
import { errorCode, ValidationError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
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
  OWN_DEVICE_PATH,
  runEnrolSession,
  type SessionResult,
  type Submission,
} from '../enroll-session.ts';
import { checkTopic } from '../preflight.ts';
import { renderDevice } from '../qr.ts';
import { exitStatusFor } from '../results.ts';
import { outcomeColumns } from './outcome-table.ts';

export interface EnrollOptions extends EnrollFlags {
  readonly generateCliSkeleton?: string | true;
  readonly account?: string;
  readonly resync?: boolean;
  readonly submit?: boolean;
  readonly queueUrl?: string;
}

const CODES = ['SerialNumber', 'AuthenticationCode1', 'AuthenticationCode2'] as const;

/** The serial number's account: `arn:aws:iam::ACCOUNT:mfa/…` (undefined for hardware serials). */
export function serialAccount(serialNumber: string | undefined): string | undefined {
  return serialNumber ? /^arn:aws[\w-]*:iam::(\d{12}):mfa\//.exec(serialNumber)?.[1] : undefined;
}

/**
 * The IAM user the caller is, when it is `userName` of `accountId` (user names are unique without regard to
 * case; the ARN has the name as IAM keeps it, which `${aws:username}` in the guard resolves to).
 */
export function selfUserName(callerArn: string, accountId: string, userName: string): string | undefined {
  const match = /^arn:aws[\w-]*:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(callerArn);
  if (!match || match[1] !== accountId) return undefined;
  return match[2]?.toLowerCase() === userName.toLowerCase() ? match[2] : undefined;
}

/** `enroll` as the definition calls it. */
export async function runEnrollCommand(cli: CliContext, options: EnrollOptions): Promise<void> {
  return runEnroll(options, cli);
}

/** The command's action; resolves after setting `process.exitCode`. */
export async function runEnroll(options: EnrollOptions, cli: CliContext): Promise<void> {
  const yaml =
    options.cliInputYaml !== undefined || options.generateCliSkeleton === 'yaml-input'
      ? await import('yaml')
      : undefined;
  if (options.generateCliSkeleton !== undefined) return printSkeleton(options, cli, yaml);
  const input = resolveEnrollInput(options, (text) => yaml?.parse(text));
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
  const runtime = await cli.runtime({ requireTopic: false });
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
  if (runtime.config.outcomeTopicArn) await checkTopic(runtime.sns, runtime.config.outcomeTopicArn);
  const deps = runtime.depsFor(undefined);
  // A virtual device's serial number is its ARN, which names its account: enable it there (through the
  // member role), as IAM only finds a device in the account that owns it.
  const fromSerial = serialAccount(input.serialNumber);
  if (options.account && fromSerial && options.account !== fromSerial) {
    throw new ValidationError(
      `--account ${options.account} does not match the account of --serial-number (${fromSerial})`,
      { field: '--account' },
    );
  }
  // GetCallerIdentity needs no permission, and an explicit Deny (the guard's) does not stop it.
  const caller = await call('sts', 'GetCallerIdentity', () =>
    runtime.sts.send(new GetCallerIdentityCommand({})),
  );
  const callerAccount = caller.Account;
  if (!callerAccount) throw new Error('GetCallerIdentity returned no account');
  const accountId = options.account ?? fromSerial ?? callerAccount;
  const own = accountId === callerAccount;
  const self = own ? selfUserName(caller.Arn ?? '', accountId, input.userName as string) : undefined;
  const userName = self ?? (input.userName as string);
  const authority: NonNullable<ItemContext['authority']> = self ? 'self' : 'operator';
  const count: PublishCount = { unpublished: 0 };
  const submit = options.submit
    ? queueSubmitter(runtime, queueUrl as string, accountId, userName)
    : directSubmitter(runtime, { accountId, userName, authority }, count);

  if (unattended) {
    const { serialNumber, code1, code2 } = input as Required<EnrollInput>;
    const type = options.resync ? 'resync-codes' : 'enrollment-codes';
    const submission = await submit({ type, serialNumber, code1, code2 });
    printSubmission(cli, submission);
    process.exitCode = succeeded(submission, count) ? EXIT.ok : EXIT.workFailed;
    return;
  }

  const { iam } = await deps.accounts.forAccount(accountId);
  // Check the user before creating anything: a device, a QR code and two codes for nobody help no one.
  const devices = await iam.listMfaDevices(userName).catch((error: unknown) => {
    if (errorCode(error) === 'NoSuchEntity') return undefined;
    throw error;
  });
  if (devices === undefined) {
    cli.io.stderr.write(
      `enroll: IAM user ${userName} does not exist in account ${accountId}; nothing was created\n`,
    );
    process.exitCode = EXIT.workFailed;
    return;
  }
  if (!options.resync && !input.serialNumber && devices.length > 0) {
    cli.io.stdout.write(
      `IAM user ${userName} already has MFA (${devices.map((d) => d.serialNumber).join(', ')}): nothing to enrol.\n` +
        `If its codes fail at sign-in, resynchronise it: mfa-remediation enroll --user-name ${userName} --resync --serial-number ${devices[0]?.serialNumber}\n`,
    );
    process.exitCode = EXIT.ok;
    return;
  }
  const result: SessionResult = await runEnrolSession({
    input: cli.io.stdin,
    output: cli.io.stdout,
    userName,
    accountId,
    ...(input.serialNumber ? { serialNumber: input.serialNumber } : {}),
    ...(options.resync ? { resync: true } : {}),
    devicePath: own ? OWN_DEVICE_PATH : NAMES.devicePath,
    ...(self ? { selfEnrolment: true } : {}),
    devices: iam,
    submit,
    renderQr: async (uri) =>
      (await import('qrcode')).default.toString(uri, { type: 'terminal', small: true }),
    renderDevice: (device) => renderDevice(device, cli.io.stdout.columns ?? 80),
  });
  if (result.submission) printSubmission(cli, result.submission);
  const done = ['enabled', 'resynced', 'queued'].includes(result.status);
  process.exitCode = done && count.unpublished === 0 ? EXIT.ok : EXIT.workFailed;
}

/** Outcomes of a run that could not be published to OUTCOME_TOPIC_ARN. */
interface PublishCount {
  unpublished: number;
}

function succeeded(submission: Submission, count: PublishCount): boolean {
  if ('queued' in submission) return true;
  const outcome = submission.outcome;
  return outcome.outcome === 'remediated' && exitStatusFor([outcome], count) === EXIT.ok;
}

/** Whose enrolment this is, and on whose authority (`self`: the user's own credentials). */
interface Enrolment {
  readonly accountId: string;
  readonly userName: string;
  readonly authority: NonNullable<ItemContext['authority']>;
}

/** Enables through the worker's own code path, then publishes the outcome when a topic is configured. */
function directSubmitter(
  runtime: Runtime,
  { accountId, userName, authority }: Enrolment,
  count: PublishCount,
) {
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
    const [outcome] = await runWorkItem(work, deps, { attempts: 1, log: runtime.log, authority });
    if (!outcome) throw new Error('the workflow returned no outcome');
    if (runtime.config.outcomeTopicArn) {
      const { failed } = await runtime.publisher.publish([outcome]).catch(() => ({ failed: [outcome] }));
      if (failed.length > 0) {
        count.unpublished += failed.length;
        runtime.log.warn({ outcome: outcome.outcome }, 'outcome_not_published');
      }
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
 * `--generate-cli-skeleton`: `input` (or no value) prints the JSON `--cli-input-json` takes, `yaml-input` the
 * YAML `--cli-input-yaml` takes; `output` prints a sample of what the command prints, an outcome, without
 * calling AWS (the AWS CLI's own output skeleton of EnableMFADevice is `{}`: it returns nothing).
 */
function printSkeleton(
  options: EnrollOptions,
  cli: CliContext,
  yaml: typeof import('yaml') | undefined,
): void {
  const kind = options.generateCliSkeleton === true ? 'input' : options.generateCliSkeleton;
  if (kind === 'input') {
    cli.io.stdout.write(`${JSON.stringify(INPUT_SKELETON, null, 4)}\n`);
  } else if (kind === 'yaml-input') {
    cli.io.stdout.write(yaml?.stringify(INPUT_SKELETON) ?? '');
  } else if (kind === 'output') {
    cli.io.stdout.write(`${JSON.stringify(SAMPLE_OUTCOME, null, 4)}\n`);
  } else {
    throw new ValidationError(
      `--generate-cli-skeleton: must be input, yaml-input or output (got "${kind}")`,
      {
        field: '--generate-cli-skeleton',
      },
    );
  }
  process.exitCode = EXIT.ok;
}

/** A sample of what `enroll` prints: the outcome of a device enabled from two codes. */
export const SAMPLE_OUTCOME: Outcome = {
  schema: 'mfa-remediation/outcome@1',
  outcome: 'remediated',
  accountId: '123456789012',
  region: 'us-east-1',
  userName: 'bob',
  userArn: 'arn:aws:iam::123456789012:user/bob',
  trigger: { source: 'enrollment', requestId: '00000000-0000-4000-8000-000000000000' },
  actions: [
    { action: 'enable-mfa-device', result: 'applied' },
    { action: 'detach-guard-policy', result: 'applied' },
    { action: 'untag-user', result: 'applied' },
  ],
  attempts: 1,
  dryRun: false,
  reason: 'MFA device enabled from the submitted codes',
  occurredAt: '2026-11-23T10:00:00.000Z',
};
