/**
 * What every command gets: its streams, the global flags, a logger on stderr, and helpers to build the runtime
 * and print results. Commands never touch `process` directly, so tests drive them with injected streams.
 */
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { type ClientOptions, createClientOptions } from '../aws/clients.ts';
import type { Env } from '../config.ts';
import { ValidationError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime.ts';
import { applyQuery, type Column, formatJson, type OutputFormat, renderTable } from './output.ts';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: Env;
}

export interface GlobalOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** `csv` and `html` are for `report` only (main.ts refuses them for other commands). */
  output: OutputFormat | 'csv' | 'html';
  query?: string;
  logLevel?: string;
  dryRun?: boolean;
}

/** Exit statuses (docs/reference.md: Command line). */
export const EXIT = { ok: 0, workFailed: 1, usage: 2 } as const;

export class CliContext {
  readonly io: CliIo;
  readonly program: Command;
  #log: Logger | undefined;

  constructor(io: CliIo, program: Command) {
    this.io = io;
    this.program = program;
  }

  get globals(): GlobalOptions {
    const raw = this.program.opts<Partial<GlobalOptions>>();
    const output = raw.output ?? (this.io.stdout.isTTY ? 'table' : 'json');
    if (!['table', 'json', 'csv', 'html'].includes(output)) {
      throw new ValidationError(`--output: must be table or json (got "${output}")`, { field: '--output' });
    }
    return { ...raw, output } as GlobalOptions;
  }

  get log(): Logger {
    this.#log ??= createLogger({
      level: this.globals.logLevel ?? this.io.env.LOG_LEVEL ?? 'warn',
      destination: this.io.stderr,
    });
    return this.#log;
  }

  /** The effective environment: flags override the standard AWS variables. */
  env(): Env {
    const g = this.globals;
    return {
      ...this.io.env,
      ...(g.region ? { AWS_REGION: g.region } : {}),
      ...(g.profile ? { AWS_PROFILE: g.profile } : {}),
      ...(g.logLevel ? { LOG_LEVEL: g.logLevel } : {}),
      ...(g.dryRun ? { DRY_RUN: 'true' } : {}),
    };
  }

  /** SDK client options from flags and environment; a loopback endpoint works without AWS credentials. */
  clientOptions(): ClientOptions {
    const env = this.env();
    const endpoint = this.globals.endpointUrl ?? env.AWS_ENDPOINT_URL;
    if (this.globals.profile) process.env.AWS_PROFILE = this.globals.profile;
    const local =
      endpoint !== undefined && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/.test(endpoint);
    const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
    // Keys in the command's environment come first, as in the SDK's default chain; passed explicitly because
    // that environment may not be this process's (the CLI run in-process with an injected one).
    const fromEnv =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          }
        : undefined;
    return createClientOptions({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? 'us-east-1' : undefined),
      endpoint,
      ...(fromEnv ? { credentials: fromEnv } : {}),
      ...(local && !hasCredentials
        ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  }

  runtime(options: Omit<RuntimeOptions, 'env' | 'log' | 'clientOptions'> = {}): Runtime {
    return createRuntime({ env: this.env(), log: this.log, clientOptions: this.clientOptions(), ...options });
  }

  /** Prints a result: JSON (after `--query`) or a table. */
  print<T>(
    value: unknown,
    table?: { rows: readonly T[]; columns: readonly Column<T>[]; footer?: string },
  ): void {
    const g = this.globals;
    if (g.output === 'json' || g.query || !table) {
      this.io.stdout.write(`${formatJson(applyQuery(value, g.query))}\n`);
      return;
    }
    this.io.stdout.write(
      `${renderTable(table.rows, table.columns)}\n${table.footer ? `${table.footer}\n` : ''}`,
    );
  }

  /** Prints one JSON line (streams in `--output json`). */
  printLine(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(applyQuery(value, this.globals.query))}\n`);
  }
}
