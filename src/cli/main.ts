/**
 * The `mfa-remediation` command line (docs/reference.md: Command line). Usage and configuration errors exit 2 with one line naming
 * the flag or variable; failed work exits 1; results go to stdout and logs to stderr.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, ValidationError } from '../errors.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerEnroll } from './commands/enroll.ts';
import { registerLocal } from './commands/local.ts';
import { registerProcess } from './commands/process.ts';
import { registerReport } from './commands/report.ts';
import { registerSweep } from './commands/sweep.ts';
import { registerWorker } from './commands/worker.ts';
import { CliContext, type CliIo, EXIT } from './context.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Command registrations; each adds one subcommand. */
export type Register = (program: Command, cli: CliContext) => void;
const COMMANDS: Register[] = [
  registerLocal,
  registerProcess,
  registerWorker,
  registerDlq,
  registerSweep,
  registerEnroll,
  registerReport,
];

export function createProgram(
  io: CliIo,
  extra: readonly Register[] = [],
): { program: Command; cli: CliContext } {
  const program = new Command('mfa-remediation')
    .description('Drive every AWS IAM user without MFA to compliance, automatically and safely.')
    .version(VERSION, '--version')
    .addOption(new Option('--region <region>', 'AWS region'))
    .addOption(new Option('--profile <profile>', 'AWS profile'))
    .addOption(
      new Option('--endpoint-url <url>', 'send AWS requests to this endpoint (e.g. the local cloud)'),
    )
    .addOption(
      new Option('--output <format>', 'table or json (report: also csv, html)').choices([
        'table',
        'json',
        'csv',
        'html',
      ]),
    )
    .addOption(new Option('--query <jmespath>', 'JMESPath expression over the JSON output'))
    .addOption(
      new Option('--log-level <level>', 'log level on stderr').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .addOption(new Option('--dry-run', 'write nothing to IAM or Security Hub'))
    .enablePositionalOptions(false)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const cli = new CliContext(io, program);
  program.hook('preAction', (_program, command) => {
    const output = program.opts<{ output?: string }>().output;
    if ((output === 'csv' || output === 'html') && command.name() !== 'report') {
      throw new ValidationError(`--output: ${output} is only for report (use table or json)`, {
        field: '--output',
      });
    }
  });
  for (const register of [...COMMANDS, ...extra]) register(program, cli);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return { program, cli };
}

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  extra: readonly Register[] = [],
): Promise<number> {
  const { program } = createProgram(io, extra);
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof ValidationError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT.workFailed;
  } finally {
    process.exitCode = undefined;
  }
}

if (
  import.meta.url === pathToFileURL(process.argv[1] ?? '').href ||
  process.env.MFA_REMEDIATION_CLI === '1'
) {
  const status = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
  process.exitCode = status;
}
