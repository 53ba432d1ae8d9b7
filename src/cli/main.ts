/**
 * The `mfa-remediation` command line (docs/reference.md: Command line). Usage and configuration errors exit 2
 * with one line naming the flag or variable; failed work exits 1; results go to stdout and logs to stderr.
 *
 * Start-up stays fast: this module loads only commander and the command definitions (flags and help); each
 * command's implementation, and with it the AWS SDK, is imported when that command runs.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../config.ts';
import { ConfigError, MfaRemediationError, ValidationError } from '../errors.ts';
import { awsGlobalOptions, checkEndpoint, refuseAwsFlags } from './aws-flags.ts';
import { CliContext, type CliIo } from './context.ts';
import { defineDlq } from './definitions/dlq.ts';
import { defineEnroll } from './definitions/enroll.ts';
import { defineLocal, defineLocalCloud } from './definitions/local.ts';
import { defineProcess } from './definitions/process.ts';
import { defineReport } from './definitions/report.ts';
import { defineSweep } from './definitions/sweep.ts';
import { defineWorker } from './definitions/worker.ts';
import { EXIT, helpWordToFlag } from './help.ts';
import { loadQuery, OUTPUT_FORMATS, REPORT_FORMATS } from './output.ts';

/** package.json sits two directories up from both src/cli/main.ts and dist/cli/main.js. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** A command definition: adds one subcommand (flags, help, and a lazily imported action). */
export type Define = (program: Command, cli: CliContext) => void;
const COMMANDS: Define[] = [
  defineLocal,
  defineLocalCloud,
  defineProcess,
  defineWorker,
  defineSweep,
  defineEnroll,
  defineDlq,
  defineReport,
];

export function createProgram(
  io: CliIo,
  extra: readonly Define[] = [],
): { program: Command; cli: CliContext } {
  const program = new Command('mfa-remediation')
    .description('Drive every AWS IAM user without MFA to compliance, automatically and safely.')
    .usage('[global flags] <command> [flags]')
    .version(VERSION, '--version', 'print the version and exit')
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION, or the profile)'))
    .addOption(new Option('--profile <profile>', 'AWS profile from ~/.aws/config (default: AWS_PROFILE)'))
    .addOption(
      new Option(
        '--endpoint-url <url>',
        'send AWS requests here, e.g. the local cloud (default: AWS_ENDPOINT_URL)',
      ),
    )
    .addOption(
      new Option(
        '--output <format>',
        'json, text, table or yaml; report also csv, html (default: table on a terminal, else json)',
      ).choices([...OUTPUT_FORMATS, ...REPORT_FORMATS]),
    )
    .addOption(new Option('--query <jmespath>', 'JMESPath expression applied to each printed document'))
    .addOption(
      new Option('--log-level <level>', 'log level on stderr (default: LOG_LEVEL, else per command)').choices(
        LOG_LEVELS,
      ),
    )
    .addOption(new Option('--dry-run', 'write nothing to IAM, Security Hub or SES (DRY_RUN=true)'));
  for (const option of awsGlobalOptions()) program.addOption(option);
  program
    .enablePositionalOptions(false)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      [
        '',
        "A command's flags, examples, output and exit status:",
        '  mfa-remediation <command> --help',
        '  mfa-remediation <command> help     (as in the AWS CLI)',
        'Exit status: 0 all well, 1 some work failed, 2 usage or configuration error.',
        'Results go to stdout; logs and progress to stderr.',
        'Reference: docs/reference.md (Command line, Exit status).',
      ].join('\n'),
    );
  const cli = new CliContext(io, program);
  for (const define of [...COMMANDS, ...extra]) define(program, cli);
  const configure = (command: Command) => {
    command.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError(false);
    for (const sub of command.commands) configure(sub);
  };
  for (const command of program.commands) configure(command);
  program.hook('preAction', async (_program, command) => {
    await validateGlobals(cli, command);
  });
  return { program, cli };
}

/** The global flags and variables every command depends on, checked before it runs. */
async function validateGlobals(cli: CliContext, command: Command): Promise<void> {
  const { env } = cli.io;
  const level = env.LOG_LEVEL?.trim();
  if (level && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`);
  }
  const g = cli.globals;
  if ((REPORT_FORMATS as readonly string[]).includes(g.output) && command.name() !== 'report') {
    throw new ValidationError(`--output: ${g.output} is only for report (use json, text, table or yaml)`, {
      field: '--output',
    });
  }

  if (g.endpointUrl !== undefined) checkEndpoint(g.endpointUrl, '--endpoint-url');
  else if (env.AWS_ENDPOINT_URL?.trim()) checkEndpoint(env.AWS_ENDPOINT_URL.trim(), 'AWS_ENDPOINT_URL');
  if (g.query !== undefined) await loadQuery(g.query);
  await cli.prepare(command);
}

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  extra: readonly Define[] = [],
): Promise<number> {
  const { program, cli } = createProgram(io, extra);
  process.exitCode = undefined;
  try {
    refuseAwsFlags(argv);
    if (argv.length === 0) {
      io.stderr.write(`${program.helpInformation()}\nerror: a command is required\n`);
      return EXIT.usage;
    }
    await program.parseAsync(helpWordToFlag(argv, program), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      // A command group (dlq) without its subcommand: commander printed its help; say what is missing.
      if (error.code === 'commander.help') {
        if (error.exitCode === 0) return EXIT.ok;
        io.stderr.write('error: a subcommand is required\n');
      }
      return EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof ValidationError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    const message =
      error instanceof MfaRemediationError || error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message.split('\n')[0]}\n`);
    if (cli.globals.debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT.workFailed;
  } finally {
    process.exitCode = undefined;
  }
}
