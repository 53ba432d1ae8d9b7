/** Request and fault counters behind `GET /_local/stats`, keyed `service:Operation` (e.g. `iam:ListUsers`). */
export interface LocalCloudStats {
  readonly requests: Record<string, number>;
  readonly faults: Record<string, number>;
}

export interface StatsCounter {
  request(key: string): void;
  fault(key: string): void;
  snapshot(): LocalCloudStats;
  reset(): void;
}

export function createStatsCounter(): StatsCounter {
  let requests = new Map<string, number>();
  let faults = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const sorted = (map: Map<string, number>) =>
    Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    request: (key) => bump(requests, key),
    fault: (key) => bump(faults, key),
    snapshot: () => ({ requests: sorted(requests), faults: sorted(faults) }),
    reset() {
      requests = new Map();
      faults = new Map();
    },
  };
}
