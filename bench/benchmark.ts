/**
 * Runs the planned scenarios against one local cloud (in its own process) and assembles the report: the
 * figures, the machine they were measured on, and the invariants each scenario must hold. Performance
 * figures are reported, never asserted; only the invariants (call budgets, identical baseline calls,
 * constant sweep IAM calls, handler batches without failures) decide the exit status.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { type BenchCloud, startBenchCloud } from './lib/cloud.ts';
import { round } from './lib/stats.ts';
import type { BenchPlan } from './options.ts';
import { type CliStartResult, runCliStartScenario } from './scenarios/cli-start.ts';
import { type ColdStartResult, runColdStartScenario } from './scenarios/cold-start.ts';
import { type ReportScenarioResult, runReportScenario } from './scenarios/report.ts';
import { runSweepScenario, SWEEP_USERS_PER_ACCOUNT, type SweepScenarioResult } from './scenarios/sweep.ts';
import { runWorkerScenario, type WorkerScenarioResult } from './scenarios/worker.ts';

export const BENCH_SCHEMA_ID = 'mfa-remediation/benchmark@1';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** An invariant of the product the run checked. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BenchReport {
  readonly schema: typeof BENCH_SCHEMA_ID;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: Machine;
  readonly plan: Omit<BenchPlan, 'output'>;
  readonly worker?: WorkerScenarioResult;
  readonly sweep?: SweepScenarioResult;
  readonly coldStart?: ColdStartResult;
  readonly report?: ReportScenarioResult;
  readonly cliStart?: CliStartResult;
  readonly checks: Check[];
}

export async function runBenchmarks(
  plan: BenchPlan,
  progress: (message: string) => void = () => {},
): Promise<BenchReport> {
  const startedAt = new Date();
  const start = performance.now();
  const loadStart = loadavg()[0] ?? 0;
  const cloud: BenchCloud = await startBenchCloud({ usersPerAccount: SWEEP_USERS_PER_ACCOUNT });
  let worker: WorkerScenarioResult | undefined;
  let sweep: SweepScenarioResult | undefined;
  let coldStart: ColdStartResult | undefined;
  let report: ReportScenarioResult | undefined;
  let cliStart: CliStartResult | undefined;
  try {
    if (plan.scenarios.includes('worker')) {
      worker = await runWorkerScenario(cloud, {
        findings: plan.findings,
        latenciesMs: plan.latenciesMs,
        concurrencies: plan.concurrencies,
        pairs: plan.pairs,
        warmupFindings: plan.warmupFindings,
        progress,
      });
    }
    if (plan.scenarios.includes('sweep')) {
      sweep = await runSweepScenario(cloud, {
        sizes: plan.sweepSizes,
        latenciesMs: plan.sweepLatenciesMs,
        progress,
      });
    }
    if (plan.scenarios.includes('cli-start')) {
      cliStart = await runCliStartScenario({ runs: plan.cliStarts, progress });
    }
    if (plan.scenarios.includes('cold-start')) {
      coldStart = await runColdStartScenario(cloud, {
        imports: plan.imports,
        batchSizes: plan.batchSizes,
        progress,
      });
    }
    if (plan.scenarios.includes('report')) {
      report = await runReportScenario(cloud, {
        sizes: plan.sweepSizes,
        latenciesMs: plan.sweepLatenciesMs,
        progress,
      });
    }
  } finally {
    await cloud.close();
  }
  const { output: _output, ...planned } = plan;
  return {
    schema: BENCH_SCHEMA_ID,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - start),
    machine: describeMachine(loadStart),
    plan: planned,
    ...(worker ? { worker } : {}),
    ...(sweep ? { sweep } : {}),
    ...(coldStart ? { coldStart } : {}),
    ...(report ? { report } : {}),
    ...(cliStart ? { cliStart } : {}),
    checks: [...checksOf(worker, sweep, coldStart, cliStart), ...reportChecks(report)],
  };
}

function describeMachine(loadStart: number): Machine {
  const processors = cpus();
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: round(loadStart, 2), end: round(loadavg()[0] ?? 0, 2) },
  };
}

export function checksOf(
  worker: WorkerScenarioResult | undefined,
  sweep: SweepScenarioResult | undefined,
  coldStart: ColdStartResult | undefined,
  cliStart?: CliStartResult,
): Check[] {
  const checks: Check[] = [];
  for (const path of worker?.paths ?? []) {
    checks.push({
      name: `${path.category} path: IAM calls per finding within the minimum`,
      ok: path.withinBudget,
      detail: `${path.iamCallsPerFinding} ≤ ${path.iamCallBudget}`,
    });
  }
  if (worker) {
    checks.push({
      name: 'paths drained alone add up to the mixed backlog',
      ok: worker.pathsAddUp,
      detail: 'IAM calls, per operation',
    });
    for (const run of worker.overhead) {
      const ok = run.iamCallsIdentical && run.otherCallsAtMost;
      checks.push({
        name: `baseline makes the worker's IAM calls and no more of the others at concurrency ${run.concurrency}`,
        ok,
        detail: ok
          ? "IAM identical per operation; SQS, SNS and Security Hub at most the worker's"
          : run.callDifferences.map((d) => `${d.operation} ${d.worker} vs ${d.baseline}`).join(', '),
      });
    }
    for (const run of worker.runs) {
      // Shared calls: a PublishBatch carries up to ten outcomes, so fewer calls than findings.
      const sns = run.callsPerFinding.sns ?? 0;
      checks.push({
        name: `outcomes share PublishBatch calls at ${run.latencyMs} ms, concurrency ${run.concurrency}`,
        ok: sns >= 0.1 && sns < 1,
        detail: `${sns} SNS calls per finding`,
      });
    }
  }
  if (sweep) {
    const iam = [...new Set(sweep.runs.map((run) => run.callsByService.iam ?? 0))];
    checks.push({
      name: 'sweep IAM calls constant across sizes',
      ok: sweep.iamCallsConstant,
      detail: `IAM calls per sweep: ${iam.join(', ')}`,
    });
  }
  for (const batch of coldStart?.batches ?? []) {
    const ok = batch.batchItemFailures === 0 && batch.outcomes === batch.records;
    checks.push({
      name: `bundled handler processes a ${batch.records}-record batch`,
      ok,
      detail: `${batch.outcomes} outcomes, ${batch.batchItemFailures} failures`,
    });
  }
  if (cliStart) {
    // An invariant, not a timing: the installed command runs and prints this package's version.
    checks.push({
      name: 'mfa-remediation --version prints the package version',
      ok: cliStart.printedVersion,
      detail: `${cliStart.runs} runs`,
    });
  }
  return checks;
}

/** The report scenario's invariant: its IAM calls are exactly what `mfa-remediation report --help` states. */
export function reportChecks(report: ReportScenarioResult | undefined): Check[] {
  return (report?.runs ?? []).map((run) => ({
    name: `report of ${run.users} users at ${run.latencyMs} ms costs the IAM calls its help states`,
    ok: run.asStated,
    detail: `${Object.entries(run.iamCalls)
      .map(([key, count]) => `${key.slice(4)} ${count}`)
      .join(', ')}; ${run.needTags} users without MFA in scope or contained`,
  }));
}
