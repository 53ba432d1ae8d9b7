import type { BenchCloud } from './cloud.ts';
import { timed } from './measure.ts';
import { type CallCounts, callsBetween } from './stats.ts';

/** What a measured span took: its result, wall time and the calls the local cloud served meanwhile. */
export interface Span<T> {
  readonly result: T;
  readonly wallMs: number;
  readonly calls: CallCounts;
  /** CPU time (user + system) of this process during the span: the client side's cost. */
  readonly cpuMs: number;
  /** CPU time of the local cloud's process during the span; undefined where /proc is not available. */
  readonly cloudCpuMs: number | undefined;
}

/**
 * Runs `fn` with the cloud's latency set to `latencyMs`, and only then: setup and read-back around a span run
 * at 0 ms, so a 20 ms run spends its time on the work measured, not on seeding or draining queues.
 */
export async function measureSpan<T>(
  cloud: BenchCloud,
  latencyMs: number,
  fn: () => Promise<T>,
): Promise<Span<T>> {
  const before = await cloud.stats();
  await cloud.setLatency(latencyMs);
  const cloudCpu = cloud.cpuMs();
  const cpu = process.cpuUsage();
  let span: { result: T; wallMs: number };
  try {
    span = await timed(fn);
  } finally {
    await cloud.setLatency(0);
  }
  const used = process.cpuUsage(cpu);
  const cloudCpuAfter = cloud.cpuMs();
  return {
    ...span,
    calls: callsBetween(before, await cloud.stats()),
    cpuMs: Math.round((used.user + used.system) / 1000),
    cloudCpuMs: cloudCpu === undefined || cloudCpuAfter === undefined ? undefined : cloudCpuAfter - cloudCpu,
  };
}
