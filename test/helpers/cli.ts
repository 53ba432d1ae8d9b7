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

/** What `worker --until-empty` prints when it stops (its statistics). */
export interface WorkerRunStats {
  readonly unfinished?: number;
  readonly unpublished?: number;
  readonly outcomes?: Readonly<Record<string, number>>;
}

/**
 * The exit status docs/reference.md (Exit status) gives a `worker --until-empty` run that printed `stats`: 1
 * when a message was retried and not finished, an outcome was failed, rejected or invalid-code, or an outcome
 * was not published; else 0.
 */
export function workerExitStatus(stats: WorkerRunStats): 0 | 1 {
  const failing = ['failed', 'rejected', 'invalid-code'].reduce((n, o) => n + (stats.outcomes?.[o] ?? 0), 0);
  return (stats.unfinished ?? 0) > 0 || (stats.unpublished ?? 0) > 0 || failing > 0 ? 1 : 0;
}
