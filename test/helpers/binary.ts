/**
 * The installed command as a user runs it: `node bin/mfa-remediation.js …` (the compiled dist/, rebuilt by the
 * suite's global setup when stale) in a child process, with a clean environment: a fresh HOME (no ~/.aws of
 * the machine's), no ambient AWS variables, and the EC2 instance metadata service off, so a test can never
 * reach outside loopback or pick up someone's credentials.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BINARY = join(ROOT, 'bin', 'mfa-remediation.js');

export interface BinaryResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface BinaryOptions {
  /** Added to the clean environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

/** The environment every child starts from. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: mkdtempSync(join(tmpdir(), 'mfa-remediation-home-')),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Starts the binary; the caller reads its streams. */
export function startBinary(
  args: readonly string[],
  options: BinaryOptions = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BINARY, ...args], { cwd: ROOT, env: cleanEnv(options.env) });
}

/** Runs the binary to its end (killed after `timeoutMs`, default 60 s). */
export function runBinary(args: readonly string[], options: BinaryOptions = {}): Promise<BinaryResult> {
  const started = performance.now();
  const child = startBinary(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Resolves with the first match of `pattern` in what `stream` prints (rejects when the child exits first). */
export function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<RegExpExecArray> {
  let text = '';
  return new Promise((resolve, reject) => {
    child[stream].on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = pattern.exec(text);
      if (match) resolve(match);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${text}`)));
  });
}
