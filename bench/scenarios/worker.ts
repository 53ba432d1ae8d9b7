/**
 * Scenarios 1 and 2: the worker's throughput and its overhead over the APIs it calls.
 *
 * - Throughput: a backlog of findings (half about compliant users, half about users to contain) drained by
 *   the real worker at each latency: findings per second, and API calls per finding by service.
 * - Calls per path: each kind of user drained alone (at 0 ms; counts do not depend on latency), so the IAM
 *   calls per finding of the already-compliant and the first-time containment paths are counted, not
 *   inferred, and compared with the workflow's minimum. The two paths' per-finding calls must add up to the
 *   mixed backlog's.
 * - Overhead ratio: the worker's wall time over the direct baseline's (`baseline-pass.ts`), which makes the
 *   very same calls — checked operation by operation — through the same SDK clients at the same concurrency.
 *
 * A small warm-up pass of each runs first: the first pass in a process pays for loading the SDK and the
 * worker's modules and for JIT compilation, which is a cold-start cost (scenario 4), not throughput.
 */
import type { OutcomeName } from '../../src/core/model.ts';
import type { BenchCloud } from '../lib/cloud.ts';
import { type BenchUser, benchUsers, type Category, IAM_CALL_BUDGET } from '../lib/population.ts';
import { byService, type CallCounts, differences, ofService, perItem, round, total } from '../lib/stats.ts';
import { runBaselinePass } from './baseline-pass.ts';
import { type PassResult, runWorkerPass, WORKER_CONCURRENCY } from './worker-pass.ts';

export interface WorkerScenarioOptions {
  /** Findings in the backlog; even (half compliant, half to contain). */
  readonly findings: number;
  /** Latencies of every AWS call, one throughput and overhead run each. */
  readonly latenciesMs: readonly number[];
  /** Records processed at once, by the worker and the baseline alike. Default 8. */
  readonly concurrency?: number;
  /** Findings of the unmeasured warm-up passes; 0 skips them. Default 100. */
  readonly warmupFindings?: number;
  readonly progress?: (message: string) => void;
}

/** What one pass cost. */
export interface PassFigures {
  readonly wallMs: number;
  readonly findingsPerSecond: number;
  readonly calls: CallCounts;
  /** CPU time of the benchmark's process (the client: worker or baseline) during the pass. */
  readonly cpuMs: number;
  readonly cpuMsPerFinding: number;
  /** CPU time of the local cloud's process during the pass (shows when the emulator is the bottleneck). */
  readonly cloudCpuMs?: number;
}

/** One latency: the worker's throughput and the baseline it is compared with. */
export interface LatencyRun {
  readonly latencyMs: number;
  readonly findings: number;
  readonly worker: PassFigures & {
    /** Calls per finding, by service (`iam`, `securityhub`, `sns`, `sqs`, `sts`). */
    readonly callsPerFinding: Record<string, number>;
    readonly outcomes: Partial<Record<OutcomeName, number>>;
  };
  readonly baseline: PassFigures;
  /** Worker wall time ÷ baseline wall time. */
  readonly overheadRatio: number;
  /** Worker CPU time ÷ baseline CPU time: the client-side cost of the worker's machinery. */
  readonly cpuRatio: number;
  /**
   * For a latency above 0: the per-finding calls (IAM, Security Hub, SNS — each finding's calls depend on
   * one another, so they are sequential) times the latency, divided by the concurrency. No consumer making
   * these calls at this concurrency can be faster, whatever its batch shape; SQS calls and service time
   * are left out, so it is a lower bound.
   */
  readonly latencyFloorMs?: number;
  /** Whether the baseline made exactly the worker's calls; the ratio compares like with like only then. */
  readonly callsIdentical: boolean;
  readonly callDifferences: { operation: string; worker: number; baseline: number }[];
}

/** One kind of user drained alone: what its path costs per finding. */
export interface PathRun {
  readonly category: Category;
  readonly expectedOutcome: OutcomeName;
  readonly findings: number;
  readonly outcomes: Partial<Record<OutcomeName, number>>;
  readonly iamCallsPerFinding: number;
  /** The workflow's minimum for this path (README): 2 already compliant, 6 first-time containment. */
  readonly iamCallBudget: number;
  readonly withinBudget: boolean;
  /** IAM calls per finding, by operation. */
  readonly iamPerFinding: Record<string, number>;
  /** All calls per finding, by service (SQS and STS include the pass's fixed calls). */
  readonly callsPerFinding: Record<string, number>;
}

export interface WorkerScenarioResult {
  readonly findings: number;
  readonly concurrency: number;
  readonly runs: LatencyRun[];
  readonly paths: PathRun[];
  /**
   * Whether the per-finding services' calls (IAM, Security Hub, SNS) of the paths drained alone add up to
   * the mixed backlog's at 0 ms: the per-path figures then explain the mixed one exactly.
   */
  readonly pathsAddUp: boolean;
}

const EXPECTED_OUTCOME: Readonly<Record<Category, OutcomeName>> = {
  compliant: 'already-compliant',
  contained: 'enrollment-required',
};
/** Services called once or more per finding, as opposed to per batch (SQS) or per pass (STS). */
const PER_FINDING_SERVICES = ['iam', 'securityhub', 'sns'];

export async function runWorkerScenario(
  cloud: BenchCloud,
  options: WorkerScenarioOptions,
): Promise<WorkerScenarioResult> {
  const { findings, latenciesMs } = options;
  if (!Number.isInteger(findings) || findings < 2 || findings % 2 !== 0) {
    throw new RangeError(`findings must be an even integer ≥ 2, got ${findings}`);
  }
  const concurrency = options.concurrency ?? WORKER_CONCURRENCY;
  const progress = options.progress ?? (() => {});
  const warmup = options.warmupFindings ?? 100;
  if (warmup > 0) {
    progress(`worker: warm-up passes (${warmup} findings)`);
    await runWorkerPass(cloud, benchUsers(warmup), { latencyMs: 0, concurrency });
    await runBaselinePass(cloud, benchUsers(warmup), { latencyMs: 0, concurrency });
  }

  const users = benchUsers(findings);
  const runs: LatencyRun[] = [];
  for (const latencyMs of latenciesMs) {
    progress(`worker: ${findings} findings at ${latencyMs} ms, worker pass`);
    const worker = await runWorkerPass(cloud, users, { latencyMs, concurrency });
    checkOutcomes(worker.outcomes, users);
    progress(`worker: ${findings} findings at ${latencyMs} ms, direct baseline pass`);
    const baseline = await runBaselinePass(cloud, users, { latencyMs, concurrency });
    const callDifferences = differences(worker.calls, baseline.calls).map(({ operation, a, b }) => ({
      operation,
      worker: a,
      baseline: b,
    }));
    const chained = total(perFindingCalls(worker.calls));
    runs.push({
      latencyMs,
      findings,
      worker: {
        ...figures(worker),
        callsPerFinding: perItem(byService(worker.calls), findings),
        outcomes: worker.outcomes,
      },
      baseline: figures(baseline),
      overheadRatio: round(worker.wallMs / baseline.wallMs, 2),
      cpuRatio: round(worker.cpuMs / Math.max(1, baseline.cpuMs), 2),
      ...(latencyMs > 0 ? { latencyFloorMs: Math.round((chained * latencyMs) / concurrency) } : {}),
      callsIdentical: callDifferences.length === 0,
      callDifferences,
    });
  }

  const paths: PathRun[] = [];
  const pathCalls: CallCounts[] = [];
  for (const category of ['compliant', 'contained'] as const) {
    progress(`worker: ${findings / 2} ${category} findings alone at 0 ms`);
    const pathUsers = benchUsers(findings / 2, [category]);
    const pass = await runWorkerPass(cloud, pathUsers, { latencyMs: 0, concurrency });
    checkOutcomes(pass.outcomes, pathUsers);
    pathCalls.push(pass.calls);
    const iam = ofService(pass.calls, 'iam');
    const iamCallsPerFinding = round(total(iam) / pathUsers.length, 3);
    paths.push({
      category,
      expectedOutcome: EXPECTED_OUTCOME[category],
      findings: pathUsers.length,
      outcomes: pass.outcomes,
      iamCallsPerFinding,
      iamCallBudget: IAM_CALL_BUDGET[category],
      withinBudget: iamCallsPerFinding <= IAM_CALL_BUDGET[category],
      iamPerFinding: perItem(stripService(iam), pathUsers.length),
      callsPerFinding: perItem(byService(pass.calls), pathUsers.length),
    });
  }

  const mixed = runs.find((run) => run.latencyMs === 0) ?? runs[0];
  const summed: CallCounts = {};
  for (const calls of pathCalls) {
    for (const [key, count] of Object.entries(perFindingCalls(calls)))
      summed[key] = (summed[key] ?? 0) + count;
  }
  const pathsAddUp = mixed ? differences(perFindingCalls(mixed.worker.calls), summed).length === 0 : false;
  return { findings, concurrency, runs, paths, pathsAddUp };
}

/** Every finding must have ended as its path says, or the figures describe something else. */
function checkOutcomes(outcomes: Partial<Record<OutcomeName, number>>, users: readonly BenchUser[]): void {
  const expected: Partial<Record<OutcomeName, number>> = {};
  for (const user of users) {
    const outcome = EXPECTED_OUTCOME[user.category];
    expected[outcome] = (expected[outcome] ?? 0) + 1;
  }
  const got = JSON.stringify(Object.entries(outcomes).sort());
  const want = JSON.stringify(Object.entries(expected).sort());
  if (got !== want) throw new Error(`worker pass: outcomes ${got}, expected ${want}`);
}

/** The calls of the services called per finding (IAM, Security Hub, SNS). */
function perFindingCalls(calls: CallCounts): CallCounts {
  return Object.fromEntries(
    Object.entries(calls).filter(([key]) => PER_FINDING_SERVICES.includes(key.slice(0, key.indexOf(':')))),
  );
}

function figures(pass: PassResult): PassFigures {
  return {
    wallMs: pass.wallMs,
    findingsPerSecond: perSecond(pass.findings, pass.wallMs),
    calls: pass.calls,
    cpuMs: pass.cpuMs,
    cpuMsPerFinding: round(pass.cpuMs / pass.findings, 2),
    ...(pass.cloudCpuMs === undefined ? {} : { cloudCpuMs: pass.cloudCpuMs }),
  };
}

function perSecond(items: number, wallMs: number): number {
  return round(items / (wallMs / 1000), 1);
}

/** `iam:ListMFADevices` → `ListMFADevices`. */
function stripService(calls: CallCounts): CallCounts {
  return Object.fromEntries(
    Object.entries(calls).map(([key, count]) => [key.slice(key.indexOf(':') + 1), count]),
  );
}
