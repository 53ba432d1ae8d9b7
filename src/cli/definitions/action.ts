/**
 * The glue between a command's definition (flags and help, loaded at start-up) and its implementation
 * (loaded only when the command runs, with the AWS SDK and the workflow behind it).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/** A command's implementation: its options, its positional arguments. Sets `process.exitCode` when not 0. */
export type Run<O> = (cli: CliContext, options: O, args: readonly string[]) => Promise<void>;

export interface ActionOptions {
  /** The command's default log level (docs/reference.md: Command line). Default `warn`. */
  readonly logLevel?: 'info' | 'warn';
}

/** Attaches `load()`'s implementation as the command's action. */
export function lazyAction<O>(
  command: Command,
  cli: CliContext,
  load: () => Promise<Run<O>>,
  options: ActionOptions = {},
): Command {
  cli.registerLogLevel(command, options.logLevel ?? 'warn');
  return command.action(async (...params: unknown[]) => {
    const opts = params[params.length - 2] as O;
    const args = params.slice(0, -2) as string[];
    const run = await load();
    await run(cli, opts, args);
  });
}
