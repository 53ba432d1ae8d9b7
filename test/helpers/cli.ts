/**
 * The command line in this process: `main()` on injected streams, with what it wrote captured. For commands
 * that need no typing at a prompt (those use `terminal.ts`).
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { Env } from '../../src/config.ts';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The command's whole environment: nothing is inherited from this process. */
  readonly env?: Env;
  /** Standard input, ended after this text. Default: empty. */
  readonly stdin?: string;
  /** Standard output and standard error are a terminal (tables by default, progress bars). */
  readonly tty?: boolean;
}

/** Runs `mfa-remediation …argv` and resolves with its exit status and output once it returns. */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const tty = options.tty ?? false;
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const status = await main(argv, { stdout, stderr, stdin, env: options.env ?? {} });
  return { status, stdout: out, stderr: err };
}
