/**
 * Scenario 5: how long the installed command takes to start. `mfa-remediation --version` (bin/ → the compiled
 * dist/, no TypeScript compiled at run time) against a bare `node -e 0`, in fresh processes, interleaved
 * pair by pair in one run so both see the same machine load. Target (docs/benchmarks.md): the CLI's median
 * at most 3 × node's. Reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { build, isStale } from '../../scripts/build.mjs';
import { ROOT } from '../lib/cloud.ts';
import { median } from '../lib/measure.ts';

export interface CliStartOptions {
  /** Pairs of fresh processes. */
  readonly runs: number;
  readonly progress?: (message: string) => void;
}

export interface CliStartResult {
  readonly runs: number;
  /** Median wall time of `node -e 0`, ms. */
  readonly nodeMedianMs: number;
  /** Median wall time of `mfa-remediation --version`, ms. */
  readonly cliMedianMs: number;
  /** cli ÷ node. */
  readonly ratio: number;
  /** The target ratio (3). */
  readonly target: number;
  /** Whether every `--version` printed the package version. */
  readonly printedVersion: boolean;
}

export const CLI_START_TARGET = 3;

function wallMs(args: readonly string[]): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { ms: performance.now() - start, stdout: result.stdout };
}

export async function runCliStartScenario(options: CliStartOptions): Promise<CliStartResult> {
  if (isStale()) {
    options.progress?.('cli-start: building dist/');
    build();
  }
  const { version } = (await import(join(ROOT, 'package.json'), { with: { type: 'json' } })).default as {
    version: string;
  };
  const bin = join(ROOT, 'bin', 'mfa-remediation.js');
  const node: number[] = [];
  const cli: number[] = [];
  let printedVersion = true;
  options.progress?.(`cli-start: ${options.runs} pairs of node -e 0 and mfa-remediation --version`);
  // One warm-up pair: the first spawn pays for the file cache.
  wallMs(['-e', '0']);
  wallMs([bin, '--version']);
  for (let i = 0; i < options.runs; i++) {
    node.push(wallMs(['-e', '0']).ms);
    const run = wallMs([bin, '--version']);
    cli.push(run.ms);
    if (run.stdout.trim() !== version) printedVersion = false;
  }
  const nodeMedianMs = Math.round(median(node) * 10) / 10;
  const cliMedianMs = Math.round(median(cli) * 10) / 10;
  return {
    runs: options.runs,
    nodeMedianMs,
    cliMedianMs,
    ratio: Math.round((cliMedianMs / nodeMedianMs) * 100) / 100,
    target: CLI_START_TARGET,
    printedVersion,
  };
}
