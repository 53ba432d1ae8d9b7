/**
 * The EMF metrics (docs/reference.md: Metrics): documents that follow AWS's "Specification: Embedded metric
 * format", checked rule by rule, and the counts a batch really produces — outcomes by `outcome`, tier-1 and
 * tier-2 retries, throttles, notification results and the time to remediate.
 */
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../src/core/batch.ts';
import { createEmfMetrics } from '../../src/core/metrics/emf.ts';
import { METRIC_UNITS, METRICS, METRICS_NAMESPACE } from '../../src/core/metrics/names.ts';
import { TAGS } from '../../src/core/model.ts';
import { makeTask } from '../../src/local/findings.ts';
import { ACCOUNT, createTestDeps, NOW } from '../helpers/deps.ts';

/** CloudWatch's standard units (MetricDatum.Unit), the only ones EMF accepts. */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

/** The specification's rules for one document; returns the violations. */
function emfViolations(line: string): string[] {
  const problems: string[] = [];
  const doc = JSON.parse(line) as Record<string, unknown>;
  if (Buffer.byteLength(line) > 1024 * 1024) problems.push('larger than 1 MB');
  const meta = doc._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!meta || typeof meta !== 'object') return ['no _aws metadata object'];
  if (typeof meta.Timestamp !== 'number' || !Number.isInteger(meta.Timestamp))
    problems.push('Timestamp is not epoch ms');
  if (!Array.isArray(meta.CloudWatchMetrics)) return [...problems, 'CloudWatchMetrics is not an array'];
  for (const directive of meta.CloudWatchMetrics as Record<string, unknown>[]) {
    const { Namespace, Dimensions, Metrics, ...rest } = directive;
    if (Object.keys(rest).length > 0) problems.push(`unknown directive members ${Object.keys(rest)}`);
    if (typeof Namespace !== 'string' || Namespace.length < 1 || Namespace.length > 255)
      problems.push('bad Namespace');
    if (!Array.isArray(Dimensions)) problems.push('Dimensions is not an array of dimension sets');
    for (const set of (Dimensions ?? []) as unknown[]) {
      if (!Array.isArray(set) || set.length > 30)
        problems.push('a dimension set is not an array of ≤ 30 keys');
      for (const key of (set ?? []) as unknown[]) {
        if (typeof key !== 'string' || typeof doc[key] !== 'string')
          problems.push(`dimension ${String(key)} has no string target member`);
        else if ((doc[key] as string).length < 1 || (doc[key] as string).length > 1024)
          problems.push(`dimension ${key} value length`);
      }
    }
    if (!Array.isArray(Metrics) || Metrics.length === 0 || Metrics.length > 100)
      problems.push('Metrics must hold 1-100 definitions');
    for (const metric of (Metrics ?? []) as {
      Name?: unknown;
      Unit?: unknown;
      StorageResolution?: unknown;
    }[]) {
      if (typeof metric.Name !== 'string' || metric.Name.length < 1 || metric.Name.length > 1024)
        problems.push('bad metric Name');
      if (metric.Unit !== undefined && !UNITS.has(String(metric.Unit)))
        problems.push(`bad Unit ${String(metric.Unit)}`);
      const value = doc[metric.Name as string];
      const values = Array.isArray(value) ? value : [value];
      if (
        values.length === 0 ||
        values.length > 100 ||
        values.some((v) => typeof v !== 'number' || !Number.isFinite(v))
      ) {
        problems.push(
          `metric ${String(metric.Name)} has no number (or array of ≤ 100 numbers) target member`,
        );
      }
    }
  }
  return problems;
}

describe('EMF documents', () => {
  it('follow the specification: one document per outcome with its dimension, the rest without dimensions', () => {
    // Prepare
    const metrics = createEmfMetrics({ now: () => NOW.getTime() });
    metrics.count(METRICS.outcomes, 1, { outcome: 'enrollment-required' });
    metrics.count(METRICS.outcomes, 2, { outcome: 'remediated' });
    metrics.count(METRICS.outcomes, 1, { outcome: 'enrollment-required' });
    metrics.count(METRICS.tier1Retries, 3);
    metrics.count(METRICS.notificationFailures);
    metrics.count(METRICS.throttles, 0);
    metrics.seconds(METRICS.timeToRemediate, 3600.5);
    // Act
    const lines = metrics.flush();
    // Assess
    for (const line of lines) expect(emfViolations(line), line).toEqual([]);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [['outcome']],
              Metrics: [{ Name: 'Outcomes', Unit: 'Count' }],
            },
          ],
        },
        outcome: 'enrollment-required',
        Outcomes: 2,
      },
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [['outcome']],
              Metrics: [{ Name: 'Outcomes', Unit: 'Count' }],
            },
          ],
        },
        outcome: 'remediated',
        Outcomes: 2,
      },
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [[]],
              Metrics: [
                { Name: 'Tier1Retries', Unit: 'Count' },
                { Name: 'NotificationFailures', Unit: 'Count' },
                { Name: 'TimeToRemediate', Unit: 'Seconds' },
              ],
            },
          ],
        },
        Tier1Retries: 3,
        NotificationFailures: 1,
        TimeToRemediate: [3600.5],
      },
    ]);
    expect(metrics.flush()).toEqual([]);
  });

  it('splits more than 100 observations of a metric over several documents', () => {
    const metrics = createEmfMetrics();
    for (let i = 0; i < 250; i++) metrics.seconds(METRICS.timeToRemediate, i);
    const lines = metrics.flush();
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(emfViolations(line)).toEqual([]);
    expect(lines.map((line) => (JSON.parse(line).TimeToRemediate as number[]).length)).toEqual([
      100, 100, 50,
    ]);
  });

  it('names a unit for every metric', () => {
    for (const name of Object.values(METRICS)) expect(UNITS.has(METRIC_UNITS[name])).toBe(true);
  });
});

describe('what a batch counts', () => {
  it('counts outcomes, tier-1 and tier-2 retries, throttles and the time to remediate', async () => {
    // Prepare: a contained user who enrolled 30 hours after containment, one who conflicts once, one throttled.
    const deps = createTestDeps();
    const metrics = createEmfMetrics();
    deps.iam.addUser('erin', {
      devices: ['arn:aws:iam::111111111111:mfa/erin'],
      tags: {
        [TAGS.state]: 'enrollment-required',
        [TAGS.since]: new Date(NOW.getTime() - 30 * 3_600_000).toISOString(),
      },
    });
    deps.iam.addUser('bob');
    deps.iam.failNext('TagUser', 'ConcurrentModification', 1);
    const record = (id: string, userName: string) => ({
      messageId: id,
      body: JSON.stringify(makeTask('mfa-missing', { accountId: ACCOUNT, userName })),
      receiveCount: 1,
    });
    // Act
    await processBatch([record('1', 'erin'), record('2', 'bob')], { ...deps, metrics }, { log: deps.log });
    deps.iam.addUser('carol');
    deps.iam.failNext('ListMFADevices', 'Throttling', 1);
    await processBatch([record('3', 'carol')], { ...deps, metrics }, { log: deps.log });
    // Assess
    const documents = metrics.flush().map((line) => JSON.parse(line) as Record<string, unknown>);
    const byOutcome = Object.fromEntries(
      documents.filter((d) => 'outcome' in d).map((d) => [d.outcome as string, d.Outcomes as number]),
    );
    expect(byOutcome).toEqual({ remediated: 1, 'enrollment-required': 1 });
    const plain = documents.find((d) => !('outcome' in d));
    expect(plain).toMatchObject({
      Tier1Retries: 1,
      Tier2Retries: 1,
      Throttles: 1,
      TimeToRemediate: [30 * 3600],
    });
  });
});
