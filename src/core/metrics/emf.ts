/**
 * CloudWatch Embedded Metric Format (EMF) for the product's metrics (docs/reference.md: Metrics). A Lambda
 * invocation counts into an {@link EmfMetrics}, then writes {@link EmfMetrics.flush}'s lines to stdout, where
 * CloudWatch Logs extracts them: no PutMetricData call, no extra permission, no latency on the hot path.
 *
 * Documents follow AWS's "Specification: Embedded metric format": a root `_aws` object with a millisecond
 * `Timestamp` and `CloudWatchMetrics` directives (Namespace, Dimensions as arrays of dimension keys, Metrics
 * with Name and Unit), each metric and dimension a root member; at most 100 metrics per directive and 100
 * values per metric. `Outcomes` is written once per outcome with the dimension set `[["outcome"]]`; every
 * other metric carries no dimension (`[[]]`), so alarms and the dashboard name exactly one metric.
 *
 * Hand-rolled rather than Powertools for AWS Lambda's Metrics: its single-metric documents always add a
 * `service` dimension, and without default dimensions it writes `"Dimensions": []`, neither of which is the
 * documented `outcome`-only shape the stack's alarms rely on.
 */
import type { MetricsPort } from '../ports.ts';
import { METRIC_UNITS, METRICS, METRICS_NAMESPACE, OUTCOME_DIMENSION } from './names.ts';

/** At most this many values per metric in one document (the specification's limit). */
const MAX_VALUES = 100;

export interface EmfMetrics extends MetricsPort {
  /** The EMF documents (one JSON text each) for everything counted since the last flush, which it clears. */
  flush(): string[];
}

export interface EmfOptions {
  readonly namespace?: string;
  /** Epoch ms of the documents. Default `Date.now`. */
  readonly now?: () => number;
}

type Unit = 'Count' | 'Seconds';

function unitOf(name: string): Unit {
  return (METRIC_UNITS as Readonly<Record<string, Unit>>)[name] ?? 'Count';
}

/** Creates an in-memory metrics recorder that flushes to EMF documents. */
export function createEmfMetrics(options: EmfOptions = {}): EmfMetrics {
  const namespace = options.namespace ?? METRICS_NAMESPACE;
  const now = options.now ?? Date.now;
  let byOutcome = new Map<string, number>();
  let counts = new Map<string, number>();
  let observations = new Map<string, number[]>();

  const document = (dimensions: Record<string, string>, values: Record<string, number | number[]>) =>
    JSON.stringify({
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: unitOf(name) })),
          },
        ],
      },
      ...dimensions,
      ...values,
    });

  return {
    count(name, value = 1, dimensions) {
      if (!Number.isFinite(value) || value === 0) return;
      if (name === METRICS.outcomes && dimensions?.outcome) {
        byOutcome.set(dimensions.outcome, (byOutcome.get(dimensions.outcome) ?? 0) + value);
        return;
      }
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    seconds(name, value) {
      if (!Number.isFinite(value) || value < 0) return;
      const list = observations.get(name) ?? [];
      list.push(Math.round(value * 1000) / 1000);
      observations.set(name, list);
    },
    flush() {
      const lines: string[] = [];
      for (const [outcome, value] of [...byOutcome].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(document({ [OUTCOME_DIMENSION]: outcome }, { [METRICS.outcomes]: value }));
      }
      // Observations beyond 100 values per metric go into further documents.
      const chunks = Math.max(1, ...[...observations.values()].map((v) => Math.ceil(v.length / MAX_VALUES)));
      for (let chunk = 0; chunk < chunks; chunk++) {
        const values: Record<string, number | number[]> = chunk === 0 ? Object.fromEntries(counts) : {};
        for (const [name, list] of observations) {
          const part = list.slice(chunk * MAX_VALUES, (chunk + 1) * MAX_VALUES);
          if (part.length > 0) values[name] = part;
        }
        if (Object.keys(values).length > 0) lines.push(document({}, values));
      }
      byOutcome = new Map();
      counts = new Map();
      observations = new Map();
      return lines;
    },
  };
}
