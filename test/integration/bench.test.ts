/**
 * The benchmark scenarios (`npm run bench`) at a tiny size: each runs end to end against the local cloud and
 * yields the shape the report needs, and the product's invariants they exist to show hold — IAM calls within
 * the workflow's minimum per path, a baseline that makes exactly the worker's calls, sweep IAM calls constant
 * across sizes, a bundled handler that processes a batch. Timings are reported by the benchmark, never
 * asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksOf, reportChecks } from '../../bench/benchmark.ts';
import { type BenchCloud, startBenchCloud } from '../../bench/lib/cloud.ts';
import { FULL_PROFILE, parseBenchArgs, QUICK_PROFILE, UsageError } from '../../bench/options.ts';
import { runCliStartScenario } from '../../bench/scenarios/cli-start.ts';
import { runColdStartScenario } from '../../bench/scenarios/cold-start.ts';
import { reportPopulation, runReportScenario } from '../../bench/scenarios/report.ts';
import { runSweepScenario, sweepPopulation } from '../../bench/scenarios/sweep.ts';
import { runWorkerScenario } from '../../bench/scenarios/worker.ts';

let cloud: BenchCloud;

beforeAll(async () => {
  cloud = await startBenchCloud({ usersPerAccount: 20_000 });
});
afterAll(async () => {
  await cloud?.close();
});

describe('worker scenario', () => {
  it('drains a mixed backlog at each latency and concurrency with the minimal IAM calls per path, shared calls, and a baseline making the same IAM calls', async () => {
    // Act
    const result = await runWorkerScenario(cloud, {
      findings: 20,
      latenciesMs: [0, 20],
      concurrencies: [4],
      warmupFindings: 0,
    });

    // Assess
    expect(result.runs.map((run) => [run.latencyMs, run.concurrency])).toEqual([
      [0, 4],
      [20, 4],
    ]);
    for (const run of result.runs) {
      expect(run.outcomes).toEqual({ 'already-compliant': 10, 'enrollment-required': 10 });
      expect(Object.keys(run.callsPerFinding)).toEqual(
        expect.arrayContaining(['iam', 'securityhub', 'sns', 'sqs']),
      );
      // Outcomes of several records share a PublishBatch call: fewer calls than findings.
      expect(run.callsPerFinding.sns).toBeLessThan(1);
      expect(run.callsPerFinding.securityhub).toBeLessThan(1);
    }
    const [atZero, atLatency] = result.runs;
    expect(atZero?.floorFindingsPerSecond).toBeUndefined();
    const perFinding = ['iam', 'securityhub', 'sns', 'sqs'].reduce(
      (sum, service) => sum + (atLatency?.callsPerFinding[service] ?? 0),
      0,
    );
    expect(atLatency?.floorFindingsPerSecond).toBeCloseTo(4 / (perFinding * 0.02), 0);
    expect(atLatency?.floorRatio).toBeCloseTo(
      (atLatency?.findingsPerSecond ?? 0) / (atLatency?.floorFindingsPerSecond ?? 1),
      1,
    );

    const [overhead] = result.overhead;
    expect(overhead).toMatchObject({ concurrency: 4, iamCallsIdentical: true, otherCallsAtMost: true });
    expect(overhead?.pairs).toHaveLength(1);
    expect(overhead?.overheadRatio).toEqual(expect.any(Number));

    const [compliant, contained] = result.paths;
    expect(compliant).toMatchObject({ category: 'compliant', findings: 10, withinBudget: true });
    expect(compliant?.iamPerFinding).toEqual({ ListMFADevices: 1, ListUserTags: 1 });
    expect(contained).toMatchObject({ category: 'contained', findings: 10, withinBudget: true });
    expect(contained?.iamCallsPerFinding).toBeLessThanOrEqual(6);
    expect(result.pathsAddUp).toBe(true);

    // The fleet model: 100,000 containments, from the containment's measured IAM calls.
    expect(result.fleet).toMatchObject({ accounts: 1_000, usersPerAccount: 100, iamCallsPerUser: 6 });
    expect(result.fleet.estimates.length).toBeGreaterThan(0);
    expect(checksOf(result, undefined, undefined).every((check) => check.ok)).toBe(true);
  });
});

describe('sweep scenario', () => {
  it('sweeps growing accounts with the same IAM calls, enqueueing ten tasks a call', async () => {
    // Act
    const result = await runSweepScenario(cloud, { sizes: [20, 50], latenciesMs: [0] });

    // Assess
    expect(result.iamCallsConstant).toBe(true);
    expect(result.runs.map((run) => run.users)).toEqual([20, 50]);
    for (const run of result.runs) {
      const expected = sweepPopulation(run.users).filter((u) => u.consolePassword && !u.mfa).length;
      expect(run).toMatchObject({ nonCompliant: expected, enqueued: expected });
      expect(run.callsByService.sqs).toBe(Math.ceil(expected / 10));
    }
    expect(result.runs[0]?.callsByService.iam).toBe(result.runs[1]?.callsByService.iam);
  });
});

describe('report scenario', () => {
  it('costs the IAM calls the report command states: one ListUserTags per user without MFA or contained', async () => {
    // Act
    const result = await runReportScenario(cloud, { sizes: [40], latenciesMs: [0] });
    // Assess
    const [run] = result.runs;
    const population = reportPopulation(40);
    expect(run).toMatchObject({
      users: 40,
      asStated: true,
      needTags: population.filter((u) => (u.consolePassword && !u.mfa) || u.contained).length,
    });
    expect(run?.iamCalls['iam:ListUserTags']).toBe(run?.needTags);
    expect(run?.iamCalls).toEqual({
      'iam:GenerateCredentialReport': 2,
      'iam:GetCredentialReport': 1,
      'iam:ListEntitiesForPolicy': 1,
      'iam:ListUserTags': run?.needTags,
    });
    expect(reportChecks(result).every((check) => check.ok)).toBe(true);
  });
});

describe('cold-start scenario', () => {
  it('bundles the handler as serverless.yml does and runs a batch through it in a fresh process', async () => {
    // Act
    const result = await runColdStartScenario(cloud, { imports: 1, batchSizes: [4] });

    // Assess
    expect(result.bundle.options).toMatchObject({ format: 'esm', bundle: true, minify: true });
    expect(result.bundle.bytes).toBeGreaterThan(0);
    expect(result.bundle.deflatedBytes).toBeLessThan(result.bundle.bytes);
    // The map names files and lines without carrying a copy of the sources (serverless.yml sourcesContent).
    expect(result.bundle.sourcesInMap).toBe(false);
    expect(result.bundle.zipBytes).toBe(result.bundle.deflatedBytes + result.bundle.sourceMapDeflatedBytes);
    expect(result.import.processes).toBe(1);
    expect(result.import.medianMs).toEqual(expect.any(Number));
    expect(result.batches).toEqual([
      expect.objectContaining({ records: 4, batchItemFailures: 0, outcomes: 4 }),
    ]);
    expect(result.batches[0]?.callsByService.iam).toBe(2 * 2 + 2 * 6);
    expect(result.batches[0]?.maxRssMb).toBeGreaterThan(0);
    expect(checksOf(undefined, undefined, result).every((check) => check.ok)).toBe(true);
  });
});

describe('cli-start scenario', () => {
  it('times mfa-remediation --version against node -e 0 side by side, and checks it prints the version', async () => {
    const result = await runCliStartScenario({ runs: 2 });

    expect(result).toMatchObject({ runs: 2, target: 3, printedVersion: true });
    expect(result.nodeMedianMs).toBeGreaterThan(0);
    expect(result.ratio).toBe(Math.round((result.cliMedianMs / result.nodeMedianMs) * 100) / 100);
    expect(checksOf(undefined, undefined, undefined, result).every((check) => check.ok)).toBe(true);
  });
});

describe('command line', () => {
  it('runs the full profile by default and the quick one with --quick', () => {
    // Act
    const full = parseBenchArgs([]);
    const quick = parseBenchArgs(['--quick', '--output', 'json', '--only', 'sweep,worker']);

    // Assess
    expect(full).toMatchObject({ ...FULL_PROFILE, output: 'table', quick: false, profile: 'full' });
    expect(full.scenarios).toEqual(['worker', 'sweep', 'cold-start', 'report', 'cli-start']);
    expect(quick).toMatchObject({ ...QUICK_PROFILE, output: 'json', quick: true, profile: 'custom' });
    expect(parseBenchArgs(['--quick']).profile).toBe('quick');
    expect(quick.scenarios).toEqual(['sweep', 'worker']);
    expect(full).toMatchObject({ latenciesMs: [0, 20, 50], concurrencies: [8, 32] });
    expect(quick).toMatchObject({ latenciesMs: [0, 20, 50], concurrencies: [8, 32] });
    expect(parseBenchArgs(['--findings', '40', '--latency', '0,50', '--concurrency', '10,4'])).toMatchObject({
      findings: 40,
      latenciesMs: [0, 50],
      concurrencies: [10, 4],
      profile: 'custom',
    });
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--output', 'xml'], /Allowed choices are table, json/],
    [['--only', 'worker,nope'], /unknown: nope/],
    [['--findings', '3'], /must be even/],
    [['--latency', '0,-5'], /--latency/],
    [['--concurrency', '0'], /must be an integer from 1 to 100/],
    [['surplus'], /too many arguments/],
  ])('rejects %j with a clear message', (argv, message) => {
    // Act / Assess
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
