import type { Command } from 'commander';
import { PATTERNS } from '../../core/patterns.ts';
import { patternFlag } from '../args.ts';
import type { CliContext } from '../context.ts';
import { describeCommand } from '../help.ts';
import { lazyAction } from './action.ts';

export function defineEnroll(program: Command, cli: CliContext): void {
  const command = program
    .command('enroll')
    .summary('enrol a virtual MFA device for an IAM user: guided at a terminal, or with the codes as flags')
    .description(
      'Enrol a virtual MFA device for an IAM user. At a terminal: check the user, create the device, show ' +
        "its QR code and key, ask for two consecutive codes, enable it. With the AWS CLI's own parameters " +
        '(aws iam enable-mfa-device: --serial-number, --authentication-code1, --authentication-code2, or ' +
        "--cli-input-json): one EnableMFADevice, no prompt. Either way through the worker's own code, so " +
        'the outcome is the one a queued submission would get.',
    )
    .option('--user-name <name>', 'the IAM user')
    .option(
      '--serial-number <serial>',
      'an existing device (its ARN); default: create mfa/<user> (through the member role: mfa/mfa-remediation/<user>)',
    )
    .option('--authentication-code1 <code>', 'a code from the device (then no prompt)')
    .option('--authentication-code2 <code>', 'the next code from the device')
    .option('--cli-input-json <json>', 'the parameters as JSON or file://path, as in the AWS CLI')
    .option('--cli-input-yaml <yaml>', 'the parameters as YAML or file://path, as in the AWS CLI')
    .option(
      '--generate-cli-skeleton [type]',
      'print the input skeleton (input, the default, or yaml-input), or a sample of the output (output)',
    )
    .option(
      '--account <id>',
      "the user's account (default: the serial number's account, else your own)",
      patternFlag(PATTERNS.accountId, '12 digits'),
    )
    .option('--resync', 'resynchronise an enabled device (ResyncMFADevice) instead')
    .option('--submit', 'send the codes to the remediation queue as a task instead of calling IAM')
    .option('--queue-url <url>', 'the queue for --submit (default: REMEDIATION_QUEUE_URL)');
  describeCommand(command, {
    examples: [
      ['mfa-remediation enroll --user-name bob', 'guided, at a terminal'],
      [
        'mfa-remediation enroll --user-name bob --serial-number arn:aws:iam::123456789012:mfa/bob --authentication-code1 123456 --authentication-code2 789012',
        'as aws iam enable-mfa-device',
      ],
      ['mfa-remediation enroll --generate-cli-skeleton output', 'a sample of the printed outcome'],
    ],
    prints:
      'The outcome (docs/reference.md: Outcomes): remediated when the device is enabled; with --submit, the ' +
      'queued request ({requestId, messageId}). The guided session talks to you on the terminal; the QR code ' +
      'and key are shown there only, never logged or printed in the result.',
    failsWhen:
      'the device was not enabled: the user does not exist, the codes were refused (invalid-code), the ' +
      'outcome is failed or rejected, or the outcome could not be published',
    notes:
      'Without --account, a serial number of another account (arn:aws:iam::ACCOUNT:mfa/…) is enabled in ' +
      'that account through the member role (MEMBER_ROLE_NAME). Run by the user themselves (contained, ' +
      'without MFA yet), it needs only what the guard policy allows: it deletes no device, and the worker ' +
      'releases the guard at its next check; sign in again with MFA.',
  });
  lazyAction(command, cli, async () => (await import('../commands/enroll.ts')).runEnrollCommand);
}
