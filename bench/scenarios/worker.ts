/**
 * Scenarios 1 and 2: the worker's throughput at real latencies, and its overhead over the APIs it calls.
 *
 * - Throughput: a backlog of findings (half about compliant users, half about users to contain) drained by
 *   the real poller at every latency × concurrency: findings per second, API calls per finding by service,
 *   and the latency bound — `concurrency ÷ (API calls per finding × latency)` — that no consumer making these
 *   calls one after the other at this concurrency could beat if every call were on a record's path.
 * - Calls per path: each kind of user drained alone (at 0 ms; IAM calls do not depend on latency), so the IAM
 *   calls per finding of the already-compliant and the first-time containment paths are counted, not
 *   inferred, and compared with the workflow's minimum. The two paths' IAM calls must add up to the mixed
 *   backlog's.
 * - Overhead ratio: at 0 ms, where the worker's own CPU shows, worker and direct baseline
 *   (`baseline-pass.ts`) drain the same backlog alternately, a few pairs per concurrency, so both see the same
 *   load; the ratio is the median of the pairs' wall-time ratios.
 * - Fleet model: what 1,000 accounts × 100 users lacking MFA cost in time on Lambda at a given
 *   `maximumConcurrency` and latency, from the containment path's measured calls and the measured efficiency.
 *
 * A small warm-up pass of each runs first: the first pass in a process pays for loading the SDK and the
 * worker's modules and for JIT compilation, which is a cold-start cost (scenario 4), not throughput.
 */
import type { OutcomeName } from '../../src/core/model.ts';
import type { BenchCloud } from '../lib/cloud.ts';
import { median } from '../lib/measure.ts';
import { type BenchUser, benchUsers, type Category, IAM_CALL_BUDGET } from '../lib/population.ts';
import { byService, type CallCounts, differences, ofService, perItem, round, total } from '../lib/stats.ts';
import { runBaselinePass } from './baseline-pass.ts';
import { type PassResult, runWorkerPass, WORKER_CONCURRENCY } from './worker-pass.ts';

export interface WorkerScenarioOptions {
  /** Findings in the backlog; even (half compliant, half to contain). */
  readonly findings: number;
  /** Latencies of every AWS call, one run each per concurrency. */
  readonly latenciesMs: readonly number[];
  /** The poller's concurrencies, one run each per latency. Default [8]. */
  readonly concurrencies?: readonly number[];
  /** Worker/baseline pairs at 0 ms per concurrency (the overhead ratio is their median). Default 1. */
  readonly pairs?: number;
  /** Findings of the unmeasured warm-up passes; 0 skips them. Default 100. */
  readonly warmupFindings?: number;
  readonly progress?: (message: string) => void;
}

/** The services a finding's calls go to (`callsPerFinding`'s keys). */
export const SERVICES = ['iam', 'securityhub', 'sns', 'sqs'] as const;

/** One worker run: a backlog drained at one latency and concurrency. */
export interface WorkerRun {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly findings: number;
  readonly wallMs: number;
  readonly findingsPerSecond: number;
  /**
   * `concurrency ÷ (API calls per finding × latency)`, the calls per finding of `iam`, `securityhub`, `sns`
   * and `sqs` together; absent at 0 ms. The bound of a consumer whose every call is on a record's path.
   */
  readonly floorFindingsPerSecond?: number;
  /** findingsPerSecond ÷ floorFindingsPerSecond. */
  readonly floorRatio?: number;
  /**
   * `concurrency ÷ (IAM calls per finding × latency)`: the bound when, as in this worker, the shared calls
   * (SQS, SNS, Security Hub) are made outside the records' slots and only the IAM calls occupy them.
   */
  readonly slotBoundFindingsPerSecond?: number;
  readonly slotBoundRatio?: number;
  /** Calls per finding by service (`iam`, `securityhub`, `sns`, `sqs`; `sts` once per run). */
  readonly callsPerFinding: Record<string, number>;
  readonly calls: CallCounts;
  /** CPU time of the benchmark's process (the worker) during the run. */
  readonly cpuMs: number;
  readonly cpuMsPerFinding: number;
  /** CPU time of the local cloud's process during the run (shows when the emulator is the bottleneck). */
  readonly cloudCpuMs?: number;
  readonly outcomes: Partial<Record<OutcomeName, number>>;
}

/** Worker and baseline side by side at 0 ms, at one concurrency. */
export interface OverheadRun {
  readonly concurrency: number;
  readonly findings: number;
  /** Every pair's wall times, in the order they ran. */
  readonly pairs: { workerMs: number; baselineMs: number; ratio: number }[];
  /** The median pair's worker wall time ÷ baseline wall time. */
  readonly overheadRatio: number;
  readonly workerFindingsPerSecond: number;
  readonly baselineFindingsPerSecond: number;
  readonly workerCpuMsPerFinding: number;
  readonly baselineCpuMsPerFinding: number;
  /** Worker CPU ÷ baseline CPU over all pairs: the client-side cost of the worker's machinery. */
  readonly cpuRatio: number;
  /** Whether the baseline made exactly the worker's IAM calls, operation by operation. */
  readonly iamCallsIdentical: boolean;
  /** Whether the baseline made no more calls of any other service than the worker. */
  readonly otherCallsAtMost: boolean;
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

/** One line of the fleet model. */
export interface FleetEstimate {
  readonly latencyMs: number;
  /** The event source mapping's `maximumConcurrency`: invocations at once. */
  readonly maximumConcurrency: number;
  /** Records doing IAM work at once: invocations × the handler's concurrency. */
  readonly recordsInFlight: number;
  readonly hours: number;
  readonly iamCallsPerSecond: number;
  /** When the backlog interleaves the accounts: the IAM calls per second each account sees. */
  readonly iamCallsPerSecondPerAccount: number;
}

export interface FleetModel {
  readonly accounts: number;
  readonly usersPerAccount: number;
  /** IAM calls of one first-time containment (measured: the contained path). */
  readonly iamCallsPerUser: number;
  readonly batchSize: number;
  readonly handlerConcurrency: number;
  /** Per latency: the measured slot efficiency (slotBoundRatio at the handler's concurrency) used. */
  readonly efficiency: Record<string, number>;
  readonly estimates: FleetEstimate[];
}

export interface WorkerScenarioResult {
  readonly findings: number;
  readonly concurrencies: readonly number[];
  readonly latenciesMs: readonly number[];
  readonly runs: WorkerRun[];
  readonly overhead: OverheadRun[];
  readonly paths: PathRun[];
  /** Whether the IAM calls of the paths drained alone add up to the mixed backlog's, operation by operation. */
  readonly pathsAddUp: boolean;
  readonly fleet: FleetModel;
}

const EXPECTED_OUTCOME: Readonly<Record<Category, OutcomeName>> = {
  compliant: 'already-compliant',
  contained: 'enrollment-required',
};
/** The remediate function's SQS batch size and the handler's records at once (serverless.yml, batch.ts). */
const LAMBDA_BATCH_SIZE = 10;
const HANDLER_CONCURRENCY = 8;
const FLEET_ACCOUNTS = 1_000;
const FLEET_USERS_PER_ACCOUNT = 100;
const FLEET_MAXIMUM_CONCURRENCY = [5, 20, 100, 1_000];
/** IAM's own latency is often 50-100 ms or more; the model adds 100 ms to the measured latencies. */
const FLEET_EXTRA_LATENCY_MS = 100;

export async function runWorkerScenario(
  cloud: BenchCloud,
  options: WorkerScenarioOptions,
): Promise<WorkerScenarioResult> {
  const { findings, latenciesMs } = options;
  if (!Number.isInteger(findings) || findings < 2 || findings % 2 !== 0) {
    throw new RangeError(`findings must be an even integer ≥ 2, got ${findings}`);
  }
  const concurrencies = options.concurrencies ?? [WORKER_CONCURRENCY];
  const pairs = options.pairs ?? 1;
  const progress = options.progress ?? (() => {});
  const warmup = options.warmupFindings ?? 100;
  if (warmup > 0) {
    progress(`worker: warm-up passes (${warmup} findings)`);
    await runWorkerPass(cloud, benchUsers(warmup), { latencyMs: 0, concurrency: concurrencies[0] ?? 8 });
    await runBaselinePass(cloud, benchUsers(warmup), { latencyMs: 0, concurrency: concurrencies[0] ?? 8 });
  }

  const users = benchUsers(findings);
  const runs: WorkerRun[] = [];
  const overhead: OverheadRun[] = [];
  for (const concurrency of concurrencies) {
    for (const latencyMs of latenciesMs) {
      if (latencyMs === 0) {
        const { run, comparison } = await sideBySide(cloud, users, concurrency, pairs, progress);
        runs.push(run);
        overhead.push(comparison);
        continue;
      }
      progress(`worker: ${findings} findings at ${latencyMs} ms, concurrency ${concurrency}`);
      const pass = await runWorkerPass(cloud, users, { latencyMs, concurrency });
      checkOutcomes(pass.outcomes, users);
      runs.push(workerRun(pass, latencyMs, concurrency));
    }
  }

  const paths: PathRun[] = [];
  const pathCalls: CallCounts[] = [];
  const pathConcurrency = concurrencies[0] ?? WORKER_CONCURRENCY;
  for (const category of ['compliant', 'contained'] as const) {
    progress(`worker: ${findings / 2} ${category} findings alone at 0 ms`);
    const pathUsers = benchUsers(findings / 2, [category]);
    const pass = await runWorkerPass(cloud, pathUsers, { latencyMs: 0, concurrency: pathConcurrency });
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

  // IAM calls are the per-finding ones; shared calls depend on what finished close together.
  const mixed = runs.find((run) => run.latencyMs === 0) ?? runs[0];
  const summed: CallCounts = {};
  for (const calls of pathCalls) {
    for (const [key, count] of Object.entries(ofService(calls, 'iam')))
      summed[key] = (summed[key] ?? 0) + count;
  }
  const pathsAddUp = mixed ? differences(ofService(mixed.calls, 'iam'), summed).length === 0 : false;
  const contained = paths.find((path) => path.category === 'contained');
  return {
    findings,
    concurrencies,
    latenciesMs,
    runs,
    overhead,
    paths,
    pathsAddUp,
    fleet: fleetModel(runs, contained?.iamCallsPerFinding ?? IAM_CALL_BUDGET.contained),
  };
}

/** Worker and baseline passes alternately at 0 ms; the first worker pass is the run reported for 0 ms. */
async function sideBySide(
  cloud: BenchCloud,
  users: readonly BenchUser[],
  concurrency: number,
  pairs: number,
  progress: (message: string) => void,
): Promise<{ run: WorkerRun; comparison: OverheadRun }> {
  const workers: (PassResult & { outcomes: Partial<Record<OutcomeName, number>> })[] = [];
  const baselines: PassResult[] = [];
  for (let pair = 1; pair <= Math.max(1, pairs); pair++) {
    progress(`worker: ${users.length} findings at 0 ms, concurrency ${concurrency}, pair ${pair}: worker`);
    const worker = await runWorkerPass(cloud, users, { latencyMs: 0, concurrency });
    checkOutcomes(worker.outcomes, users);
    workers.push(worker);
    progress(`worker: ${users.length} findings at 0 ms, concurrency ${concurrency}, pair ${pair}: baseline`);
    baselines.push(await runBaselinePass(cloud, users, { latencyMs: 0, concurrency }));
  }
  const first = workers[0] as (typeof workers)[number];
  const pairFigures = workers.map((worker, index) => {
    const baseline = baselines[index] as PassResult;
    return {
      workerMs: worker.wallMs,
      baselineMs: baseline.wallMs,
      ratio: round(worker.wallMs / baseline.wallMs, 2),
    };
  });
  const ratio = median(pairFigures.map((p) => p.ratio));
  const middle =
    pairFigures.find((p) => p.ratio === ratio) ?? (pairFigures[0] as (typeof pairFigures)[number]);
  const sum = (passes: readonly PassResult[], key: 'cpuMs' | 'wallMs') =>
    passes.reduce((acc, pass) => acc + pass[key], 0);
  // Every pair drains the same backlog: the calls of one are the calls of all (checked on the first).
  const firstBaseline = baselines[0] as PassResult;
  const iamDifferences = differences(ofService(first.calls, 'iam'), ofService(firstBaseline.calls, 'iam'));
  const workerServices = byService(first.calls);
  const baselineServices = byService(firstBaseline.calls);
  const otherCallsAtMost = Object.entries(baselineServices).every(
    ([service, count]) => service === 'iam' || count <= (workerServices[service] ?? 0),
  );
  return {
    run: workerRun(first, 0, concurrency),
    comparison: {
      concurrency,
      findings: users.length,
      pairs: pairFigures,
      overheadRatio: round(ratio, 2),
      workerFindingsPerSecond: perSecond(users.length, middle.workerMs),
      baselineFindingsPerSecond: perSecond(users.length, middle.baselineMs),
      workerCpuMsPerFinding: round(sum(workers, 'cpuMs') / (workers.length * users.length), 2),
      baselineCpuMsPerFinding: round(sum(baselines, 'cpuMs') / (baselines.length * users.length), 2),
      cpuRatio: round(sum(workers, 'cpuMs') / Math.max(1, sum(baselines, 'cpuMs')), 2),
      iamCallsIdentical: iamDifferences.length === 0,
      otherCallsAtMost,
      callDifferences: differences(first.calls, firstBaseline.calls).map(({ operation, a, b }) => ({
        operation,
        worker: a,
        baseline: b,
      })),
    },
  };
}

function workerRun(
  pass: PassResult & { outcomes: Partial<Record<OutcomeName, number>> },
  latencyMs: number,
  concurrency: number,
): WorkerRun {
  const callsPerFinding = perItem(byService(pass.calls), pass.findings);
  const findingsPerSecond = perSecond(pass.findings, pass.wallMs);
  const perFinding = SERVICES.reduce((sum, service) => sum + (callsPerFinding[service] ?? 0), 0);
  const iam = callsPerFinding.iam ?? 0;
  const bound = (calls: number) => (calls > 0 ? concurrency / (calls * (latencyMs / 1000)) : undefined);
  const floor = latencyMs > 0 ? bound(perFinding) : undefined;
  const slotBound = latencyMs > 0 ? bound(iam) : undefined;
  return {
    latencyMs,
    concurrency,
    findings: pass.findings,
    wallMs: pass.wallMs,
    findingsPerSecond,
    ...(floor === undefined
      ? {}
      : { floorFindingsPerSecond: round(floor, 1), floorRatio: round(findingsPerSecond / floor, 2) }),
    ...(slotBound === undefined
      ? {}
      : {
          slotBoundFindingsPerSecond: round(slotBound, 1),
          slotBoundRatio: round(findingsPerSecond / slotBound, 2),
        }),
    callsPerFinding,
    calls: pass.calls,
    cpuMs: pass.cpuMs,
    cpuMsPerFinding: round(pass.cpuMs / pass.findings, 2),
    ...(pass.cloudCpuMs === undefined ? {} : { cloudCpuMs: pass.cloudCpuMs }),
    outcomes: pass.outcomes,
  };
}

/**
 * 1,000 accounts × 100 users lacking MFA (100,000 first-time containments) on Lambda: each invocation takes a
 * batch of 10 records and works on 8 at once, so a batch lasts two record-times; a record-time is the
 * containment's IAM calls × the latency ÷ the efficiency measured at that latency at concurrency 8 (the
 * slot-bound ratio; for latencies beyond the measured ones, the highest latency's, which is conservative:
 * efficiency grows with latency). Shared calls, cold starts and the batching window are left out.
 */
export function fleetModel(runs: readonly WorkerRun[], iamCallsPerUser: number): FleetModel {
  const measured = runs
    .filter((run) => run.latencyMs > 0 && run.slotBoundRatio !== undefined)
    .sort(
      (a, b) =>
        a.latencyMs - b.latencyMs ||
        Math.abs(a.concurrency - HANDLER_CONCURRENCY) - Math.abs(b.concurrency - HANDLER_CONCURRENCY),
    );
  const efficiency: Record<string, number> = {};
  for (const run of measured) efficiency[String(run.latencyMs)] ??= Math.min(1, run.slotBoundRatio ?? 1);
  const highest = measured.at(-1);
  const latencies = [...new Set(measured.map((run) => run.latencyMs))];
  if (highest) {
    const extra = highest.latencyMs + FLEET_EXTRA_LATENCY_MS;
    latencies.push(extra);
    efficiency[String(extra)] = efficiency[String(highest.latencyMs)] ?? 1;
  }
  const users = FLEET_ACCOUNTS * FLEET_USERS_PER_ACCOUNT;
  const rounds = Math.ceil(LAMBDA_BATCH_SIZE / HANDLER_CONCURRENCY);
  const estimates: FleetEstimate[] = [];
  for (const latencyMs of latencies) {
    const e = efficiency[String(latencyMs)] ?? 1;
    const recordSeconds = (iamCallsPerUser * latencyMs) / 1000 / e;
    for (const maximumConcurrency of FLEET_MAXIMUM_CONCURRENCY) {
      const perSecondRecords = (maximumConcurrency * LAMBDA_BATCH_SIZE) / (rounds * recordSeconds);
      const iamCallsPerSecond = perSecondRecords * iamCallsPerUser;
      estimates.push({
        latencyMs,
        maximumConcurrency,
        recordsInFlight: maximumConcurrency * HANDLER_CONCURRENCY,
        hours: round(users / perSecondRecords / 3600, 2),
        iamCallsPerSecond: Math.round(iamCallsPerSecond),
        iamCallsPerSecondPerAccount: round(iamCallsPerSecond / FLEET_ACCOUNTS, 2),
      });
    }
  }
  return {
    accounts: FLEET_ACCOUNTS,
    usersPerAccount: FLEET_USERS_PER_ACCOUNT,
    iamCallsPerUser,
    batchSize: LAMBDA_BATCH_SIZE,
    handlerConcurrency: HANDLER_CONCURRENCY,
    efficiency,
    estimates,
  };
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

function perSecond(items: number, wallMs: number): number {
  return round(items / (wallMs / 1000), 1);
}

/** `iam:ListMFADevices` → `ListMFADevices`. */
function stripService(calls: CallCounts): CallCounts {
  return Object.fromEntries(
    Object.entries(calls).map(([key, count]) => [key.slice(key.indexOf(':') + 1), count]),
  );
}
