/**
 * What every command gets: its streams, the global flags, a logger on stderr, the runtime (configuration,
 * SDK clients, adapters) and helpers to print results. Commands never touch `process` directly, so tests can
 * drive them with injected streams, and the heavy modules (the AWS SDK, the workflow) are imported only by
 * the command that runs, which keeps `--version` and `--help` fast.
 */
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import type { ClientOptions } from '../aws/clients.ts';
import type { Env } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Runtime, RuntimeOptions } from '../runtime.ts';
import { type AwsFlags, httpOptionsFromFlags } from './aws-flags.ts';
import { EXIT } from './help.ts';
import {
  applyQuery,
  formatJson,
  formatJsonLine,
  formatText,
  type OutputFormat,
  renderTable,
  renderValueTable,
  type TableView,
  wrapText,
} from './output.ts';
import { createStatusLine, type StatusLine } from './progress.ts';

export { EXIT };

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: Env;
}

export interface GlobalOptions extends AwsFlags {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** `csv` and `html` are for `report` only (main.ts refuses them for other commands). */
  output: OutputFormat | 'csv' | 'html';
  query?: string;
  logLevel?: string;
  dryRun?: boolean;
  debug?: boolean;
  color: 'on' | 'off' | 'auto';
}

/** Options of {@link CliContext.runtime}; `needsAws: false` skips the region and credential check. */
export type CliRuntimeOptions = Omit<RuntimeOptions, 'env' | 'log' | 'clientOptions'>;

export class CliContext {
  readonly io: CliIo;
  readonly program: Command;
  /** The running command's default log level (docs/reference.md: Command line). */
  defaultLogLevel = 'warn';
  #log: Logger | undefined;
  #status: StatusLine | undefined;
  readonly #levels = new WeakMap<Command, string>();
  #yaml: typeof import('yaml') | undefined;
  #clientOptions: ClientOptions | undefined;

  constructor(io: CliIo, program: Command) {
    this.io = io;
    this.program = program;
  }

  get globals(): GlobalOptions {
    const raw = this.program.opts<Partial<GlobalOptions>>();
    return {
      ...raw,
      output: raw.output ?? (this.io.stdout.isTTY ? 'table' : 'json'),
      color: raw.color ?? 'auto',
    } as GlobalOptions;
  }

  /** The log level in force: `--debug`, `--log-level`, LOG_LEVEL, else the command's default. */
  get logLevel(): string {
    const g = this.globals;
    if (g.debug) return 'debug';
    return g.logLevel ?? this.io.env.LOG_LEVEL?.trim() ?? this.defaultLogLevel;
  }

  /** Records a command's default log level (set by its definition). */
  registerLogLevel(command: Command, level: string): void {
    this.#levels.set(command, level);
  }

  /**
   * Loads what the chosen output format needs and creates the logger (on stderr, above the status line);
   * called once, before the command runs.
   */
  async prepare(command?: Command): Promise<void> {
    if (command) this.defaultLogLevel = this.#levels.get(command) ?? this.defaultLogLevel;
    if (this.globals.output === 'yaml') this.#yaml = await import('yaml');
    const { createLogger } = await import('../logger.ts');
    const status = this.status;
    this.#log = createLogger({
      level: this.logLevel,
      destination: { write: (line: string) => status.above(line) },
    });
  }

  /** The live status line on stderr (drawn only when stderr is a terminal). */
  get status(): StatusLine {
    this.#status ??= createStatusLine(this.io.stderr, { enabled: Boolean(this.io.stderr.isTTY) });
    return this.#status;
  }

  get log(): Logger {
    if (!this.#log) throw new Error('CliContext.prepare() was not called');
    return this.#log;
  }

  /** The effective environment: flags override the standard AWS variables. */
  env(): Env {
    const g = this.globals;
    return {
      ...this.io.env,
      ...(g.region ? { AWS_REGION: g.region } : {}),
      ...(g.profile ? { AWS_PROFILE: g.profile } : {}),
      LOG_LEVEL: this.logLevel,
      ...(g.dryRun ? { DRY_RUN: 'true' } : {}),
    };
  }

  /** The endpoint in force: `--endpoint-url`, else AWS_ENDPOINT_URL (both validated at start-up). */
  endpoint(): string | undefined {
    return this.globals.endpointUrl ?? this.io.env.AWS_ENDPOINT_URL?.trim() ?? undefined;
  }

  /**
   * SDK client options from flags and environment, checked once: a region and credentials must resolve
   * (one line says which is missing and how to set it). A loopback endpoint (the local cloud) works without
   * AWS credentials or a region.
   */
  async clientOptions(): Promise<ClientOptions> {
    if (this.#clientOptions) return this.#clientOptions;
    const { resolveClientOptions } = await import('./preflight.ts');
    this.#clientOptions = await resolveClientOptions({
      env: this.env(),
      profile: this.globals.profile,
      endpoint: this.endpoint(),
      http: httpOptionsFromFlags(this.globals, this.io.env),
      ...(this.globals.debug ? { log: this.log } : {}),
    });
    return this.#clientOptions;
  }

  /**
   * The runtime (configuration, SDK clients, adapters). Every configuration variable is validated here,
   * SWEEP_ACCOUNTS included, so a bad value stops any command at start-up, not only the one that reads it.
   */
  async runtime(options: CliRuntimeOptions = {}): Promise<Runtime> {
    const env = this.env();
    const [{ createRuntime }, { loadSweepTarget }] = await Promise.all([
      import('../runtime.ts'),
      import('../core/sweep-target.ts'),
    ]);
    loadSweepTarget(env);
    const clientOptions = await this.clientOptions();
    return createRuntime({ env, log: this.log, clientOptions, ...options });
  }

  /** Table style for stdout: the terminal's width, bold headers when colour is on. */
  #tableStyle() {
    const { stdout, env } = this.io;
    const columns = stdout.isTTY ? stdout.columns : Number(env.COLUMNS) || undefined;
    // Plain by default (auto = off), so pipes, logs and screen readers never get escape codes.
    const color = this.globals.color === 'on' && !env.NO_COLOR;
    return { ...(columns ? { width: columns } : {}), color };
  }

  /** Formats one document (after `--query`) in the chosen output format. */
  format<T>(value: unknown, table?: TableView<T>): string {
    const g = this.globals;
    const result = applyQuery(value, g.query);
    switch (g.output) {
      case 'json':
      // csv and html are report's own (it renders them itself); any other document stays JSON.
      case 'csv':
      case 'html':
        return `${formatJson(result)}\n`;
      case 'text':
        return formatText(result);
      case 'yaml':
        return this.#formatYaml(result);
      case 'table': {
        if (!g.query && table) {
          const style = this.#tableStyle();
          const rendered = renderTable(table.rows, table.columns, style);
          const footer = table.footer ? wrapLines(table.footer, style.width) : '';
          return `${rendered}\n${footer ? `${footer}\n` : ''}`;
        }
        const rendered = renderValueTable(result, this.#tableStyle());
        return rendered ? `${rendered}\n` : '';
      }
    }
  }

  #formatYaml(value: unknown): string {
    const yaml = this.#yaml;
    if (!yaml) throw new Error('yaml output was not prepared');
    return yaml.stringify(value ?? null, { indentSeq: false, lineWidth: 0 });
  }

  /** Prints one result document. */
  print<T>(value: unknown, table?: TableView<T>): void {
    this.io.stdout.write(this.format(value, table));
  }

  /**
   * Prints a stream of documents (outcomes): `--query` applies to each; json is JSON lines, text and yaml
   * one formatted document after another, table one table of every row.
   */
  printStream<T>(documents: readonly T[], table: Omit<TableView<T>, 'rows'>): void {
    const g = this.globals;
    if (g.output === 'table') {
      if (g.query) {
        const rendered = renderValueTable(
          documents.map((d) => applyQuery(d, g.query)),
          this.#tableStyle(),
        );
        this.io.stdout.write(rendered ? `${rendered}\n` : '');
        return;
      }
      this.print(documents, { ...table, rows: documents });
      return;
    }
    for (const document of documents) this.printDocument(document);
  }

  /** Prints one document of a stream as soon as it is known (worker outcomes as they happen). */
  printDocument(document: unknown): void {
    const g = this.globals;
    const result = applyQuery(document, g.query);
    if (g.output === 'json') this.io.stdout.write(`${formatJsonLine(result)}\n`);
    else if (g.output === 'yaml') this.io.stdout.write(`---\n${this.#formatYaml(result)}`);
    else if (g.output === 'text') this.io.stdout.write(formatText(result));
    else this.io.stdout.write(this.format(document));
  }
}

/**
 * Word-wraps text lines to `width`: continuation lines are indented two spaces more than their line, and a
 * quoted line (`  │ …`, an e-mail in `npm start`'s summary) continues with the same quote bar. No width, no
 * wrapping.
 */
function wrapLines(text: string, width: number | undefined): string {
  if (!width) return text;
  return text
    .split('\n')
    .flatMap((line) => {
      const quote = /^ *│ ?/.exec(line)?.[0];
      return wrapText(line, width, quote ?? `${/^ */.exec(line)?.[0] ?? ''}  `);
    })
    .join('\n');
}
