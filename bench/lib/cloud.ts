/**
 * The local cloud in a process of its own, driven through its admin HTTP API (docs/reference.md: Command line).
 *
 * The benchmarks measure the worker, not the emulator: in the same process the emulator's request handling
 * would share the worker's event loop and inflate exactly the client-side overhead we want to see. On its own
 * process it runs on the other core, like a remote service would, and the figures of the worker and of the
 * direct baseline both exclude it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ClientOptions, createClientOptions } from '../../src/aws/clients.ts';
import type { SeedRequest, SeedResult } from '../../src/local/cloud/seed.ts';
import type { LocalCloudOptions } from '../../src/local/cloud/server.ts';
import type { LocalCloudStats } from '../../src/local/cloud/stats.ts';

/** The repository root (where `tsx` and the sources resolve from). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./cloud-child.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
/** USER_HZ is 100 on every Linux architecture Node supports. */
const CLOCK_TICK_MS = 10;

/** Options of the cloud process: those of `startLocalCloud` that serialise (no clock, no extra services). */
export type BenchCloudOptions = Pick<
  LocalCloudOptions,
  'latencyMs' | 'faults' | 'usersPerAccount' | 'randomSeed' | 'conflictWindowMs'
>;

/** A local cloud running in a child process. */
export interface BenchCloud {
  readonly url: string;
  /** SDK client options pointing at this cloud (any credentials are accepted). */
  readonly clientOptions: ClientOptions;
  /** `GET /_local/stats`. */
  stats(): Promise<LocalCloudStats>;
  /** `POST /_local/reset`: every service's state, the statistics and fault rules (not the latency). */
  reset(): Promise<void>;
  /** `POST /_local/latency`. */
  setLatency(ms: number): Promise<void>;
  /** `POST /_local/seed`; answers the seeded users. */
  seed(body: SeedRequest): Promise<SeedResult>;
  /** CPU time (user + system) the cloud's process has used so far, ms; undefined without Linux's /proc. */
  cpuMs(): number | undefined;
  close(): Promise<void>;
}

/** A user as `POST /_local/seed` takes it. */
export type SeedUser = NonNullable<SeedRequest['users']>[number];

/** Spawns the cloud process and resolves once it prints `ready URL`. */
export async function startBenchCloud(options: BenchCloudOptions = {}): Promise<BenchCloud> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const url = await readyUrl(child);
  const admin = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`local cloud ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    url,
    // As production builds them (timeouts, middleware cache); the worker's runtime then sizes the pools.
    clientOptions: createClientOptions({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      maxAttempts: 3,
    }),
    stats: () => admin<LocalCloudStats>('GET', '/_local/stats'),
    reset: async () => {
      await admin('POST', '/_local/reset');
    },
    setLatency: async (ms) => {
      await admin('POST', '/_local/latency', { ms });
    },
    seed: (body) => admin<SeedResult>('POST', '/_local/seed', body),
    cpuMs: () => processCpuMs(child.pid),
    close: () => stopChild(child),
  };
}

function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => fail(new Error('the local cloud did not start in time')),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${error.message}${stderr ? `\n${stderr.trim()}` : ''}`));
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`the local cloud exited with status ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^ready (\S+)$/m.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(match[1]);
      }
    });
  });
}

/** utime + stime of a process from /proc/PID/stat (fields 14 and 15, in clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may hold spaces: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * CLOCK_TICK_MS : undefined;
  } catch {
    return undefined;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // Closing stdin is the cloud's signal to stop; SIGTERM as a fallback if it does not.
    child.stdin?.end();
    setTimeout(() => child.kill('SIGTERM'), 2_000).unref();
  });
}
