/**
 * Arithmetic on the local cloud's request counters (`/_local/stats`, keyed `service:Operation`): the calls a
 * piece of work made are the difference of two snapshots, so setup (seeding, provisioning, importing
 * findings) never counts.
 */
import type { LocalCloudStats } from '../../src/local/cloud/stats.ts';

/** Calls per `service:Operation`. */
export type CallCounts = Record<string, number>;

/** `after - before`, per operation, leaving out operations that were not called in between. */
export function callsBetween(before: LocalCloudStats, after: LocalCloudStats): CallCounts {
  const delta: CallCounts = {};
  for (const [key, count] of Object.entries(after.requests)) {
    const difference = count - (before.requests[key] ?? 0);
    if (difference > 0) delta[key] = difference;
  }
  return sortKeys(delta);
}

/** Totals per service (`iam`, `sqs`, …). */
export function byService(calls: CallCounts): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [key, count] of Object.entries(calls)) {
    const service = key.slice(0, key.indexOf(':'));
    totals[service] = (totals[service] ?? 0) + count;
  }
  return sortKeys(totals);
}

/** The calls of one service only. */
export function ofService(calls: CallCounts, service: string): CallCounts {
  return Object.fromEntries(Object.entries(calls).filter(([key]) => key.startsWith(`${service}:`)));
}

export function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, count) => sum + count, 0);
}

/** Every count divided by `n` (calls per finding), rounded to 3 decimals. */
export function perItem(calls: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).map(([key, count]) => [key, round(count / n, 3)]));
}

/** Operations whose counts differ between two tallies, with both counts. */
export function differences(a: CallCounts, b: CallCounts): { operation: string; a: number; b: number }[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((key) => (a[key] ?? 0) !== (b[key] ?? 0))
    .map((operation) => ({ operation, a: a[operation] ?? 0, b: b[operation] ?? 0 }));
}

export function round(value: number, decimals = 1): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
