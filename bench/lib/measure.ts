/** Small measuring helpers: a monotonic stopwatch, medians, and a logger that costs what production's does. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';

/** Milliseconds since `start` (a `performance.now()` reading), to 0.1 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** Runs `fn` and returns its result with the wall time it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; wallMs: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, wallMs: elapsedMs(start) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The worker's logger at production level (`info`), writing to nowhere: every log line is still built and
 * serialised, as in production, but nothing reaches the benchmark's output.
 */
export function sinkLogger(): Logger {
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  return createLogger({ level: 'info', destination: sink });
}
