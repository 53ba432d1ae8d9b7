/** The benchmark report as readable text (the default output); `--output json` prints the report as is. */
import type { BenchReport } from './benchmark.ts';
import { bytes, formatNumber, renderTable, seconds } from './lib/table.ts';
import type { ColdStartResult } from './scenarios/cold-start.ts';
import type { ReportScenarioResult } from './scenarios/report.ts';
import type { SweepScenarioResult } from './scenarios/sweep.ts';
import type { WorkerScenarioResult } from './scenarios/worker.ts';

export function renderReport(report: BenchReport): string {
  const { machine } = report;
  const sections = [
    [
      `mfa-remediation benchmarks (${report.plan.profile} profile, ${report.startedAt}, ${seconds(report.durationMs)})`,
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GiB, Node.js ${machine.node}, ${machine.platform}; ` +
        `load average ${machine.loadAverage.start} at start, ${machine.loadAverage.end} at end`,
    ].join('\n'),
  ];
  if (report.worker) sections.push(workerSection(report.worker), overheadSection(report.worker));
  if (report.sweep) sections.push(sweepSection(report.sweep));
  if (report.coldStart) sections.push(coldStartSection(report.coldStart));
  if (report.report) sections.push(reportSection(report.report));
  if (report.cliStart) {
    const c = report.cliStart;
    sections.push(
      [
        '6. CLI start-up: mfa-remediation --version (compiled dist/) against node -e 0, interleaved in fresh processes',
        `median of ${c.runs}: node -e 0 ${c.nodeMedianMs} ms, mfa-remediation --version ${c.cliMedianMs} ms: ` +
          `ratio ${c.ratio} (target ≤ ${c.target}: ${c.ratio <= c.target ? 'met' : 'NOT met'})`,
      ].join('\n'),
    );
  }
  sections.push(
    [
      'Checks',
      ...report.checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name} (${check.detail})`),
    ].join('\n'),
  );
  return `${sections.join('\n\n')}\n`;
}

function workerSection(worker: WorkerScenarioResult): string {
  const half = formatNumber(worker.findings / 2);
  const ratio = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
  const throughput = renderTable(
    [
      'latency',
      'concurrency',
      'wall',
      'findings/s',
      'floor/s',
      'floor ratio',
      'IAM bound/s',
      'IAM ratio',
      'IAM/f',
      'Security Hub/f',
      'SNS/f',
      'SQS/f',
      'CPU ms/f',
    ],
    worker.runs.map((run) => {
      const per = run.callsPerFinding;
      return [
        `${run.latencyMs} ms`,
        run.concurrency,
        seconds(run.wallMs),
        run.findingsPerSecond,
        run.floorFindingsPerSecond ?? '-',
        ratio(run.floorRatio),
        run.slotBoundFindingsPerSecond ?? '-',
        ratio(run.slotBoundRatio),
        per.iam ?? 0,
        per.securityhub ?? 0,
        per.sns ?? 0,
        per.sqs ?? 0,
        run.cpuMsPerFinding,
      ];
    }),
  );
  const outcomes = [...new Set(worker.runs.map((run) => outcomeText(run.outcomes)))].join('; ');
  const operations = [...new Set(worker.paths.flatMap((path) => Object.keys(path.iamPerFinding)))].sort(
    (a, b) => workflowOrder(a) - workflowOrder(b),
  );
  const paths = renderTable(
    ['path', 'findings', 'outcome', 'IAM/f', 'minimum', ...operations],
    worker.paths.map((path) => [
      path.category,
      path.findings,
      path.expectedOutcome,
      path.iamCallsPerFinding,
      `≤ ${path.iamCallBudget}`,
      ...operations.map((operation) => path.iamPerFinding[operation] ?? 0),
    ]),
  );
  return [
    `1. Worker throughput: ${formatNumber(worker.findings)} findings (${half} already compliant, ${half} first-time containment), the real poller`,
    "Calls per finding (/f) by service, from the local cloud's counters. floor: concurrency ÷ (IAM + Security Hub + SNS + SQS",
    'calls per finding × latency); IAM bound: concurrency ÷ (IAM calls per finding × latency), the bound when shared calls',
    "run outside the records' slots, as here. CPU: this process's (the worker's) CPU time per finding.",
    throughput,
    `every run: ${outcomes}`,
    '',
    `IAM calls per finding by path: each kind of user drained alone at 0 ms${worker.pathsAddUp ? ' (the two add up to the mixed backlog)' : ''}`,
    paths,
  ].join('\n');
}

function outcomeText(outcomes: Partial<Record<string, number>>): string {
  return Object.entries(outcomes)
    .map(([name, count]) => `${name} ${formatNumber(count ?? 0)}`)
    .join(', ');
}

/** IAM operations in the order the workflow calls them (README, "How it works"); others after. */
const WORKFLOW_ORDER = [
  'ListMFADevices',
  'ListUserTags',
  'GetLoginProfile',
  'TagUser',
  'ListAttachedUserPolicies',
  'AttachUserPolicy',
];
function workflowOrder(operation: string): number {
  const index = WORKFLOW_ORDER.indexOf(operation);
  return index === -1 ? WORKFLOW_ORDER.length : index;
}

function overheadSection(worker: WorkerScenarioResult): string {
  const table = renderTable(
    [
      'concurrency',
      'pairs (worker/baseline s)',
      'ratio',
      'worker f/s',
      'baseline f/s',
      'CPU ms/f worker',
      'CPU ms/f baseline',
      'CPU ratio',
      'same IAM calls',
    ],
    worker.overhead.map((run) => [
      run.concurrency,
      run.pairs.map((p) => `${(p.workerMs / 1000).toFixed(2)}/${(p.baselineMs / 1000).toFixed(2)}`).join(' '),
      run.overheadRatio.toFixed(2),
      run.workerFindingsPerSecond,
      run.baselineFindingsPerSecond,
      run.workerCpuMsPerFinding,
      run.baselineCpuMsPerFinding,
      run.cpuRatio.toFixed(2),
      run.iamCallsIdentical && run.otherCallsAtMost ? 'yes' : 'NO',
    ]),
  );
  const fleet = worker.fleet;
  const latencies = [...new Set(fleet.estimates.map((e) => e.latencyMs))];
  const concurrencies = [...new Set(fleet.estimates.map((e) => e.maximumConcurrency))];
  const fleetTable = renderTable(
    ['latency', 'efficiency', ...concurrencies.map((m) => `max concurrency ${m}`)],
    latencies.map((latencyMs) => [
      `${latencyMs} ms`,
      (fleet.efficiency[String(latencyMs)] ?? 1).toFixed(2),
      ...concurrencies.map((m) => {
        const e = fleet.estimates.find((x) => x.latencyMs === latencyMs && x.maximumConcurrency === m);
        return e ? `${hours(e.hours)}, ${formatNumber(e.iamCallsPerSecond)} IAM/s` : '-';
      }),
    ]),
  );
  return [
    '2. Overhead ratio at 0 ms: worker wall time ÷ a direct baseline making the same IAM calls and at most its shared calls',
    '(same SDK clients and pools, the same pipeline: receives kept ahead, full shared batch calls; no validation, workflow,',
    "outcomes, logging, leases or ordering). Pairs run alternately; the ratio is the median pair's.",
    table,
    '',
    `Fleet model: ${formatNumber(fleet.accounts)} accounts × ${fleet.usersPerAccount} users lacking MFA on Lambda (batches of ${fleet.batchSize},`,
    `${fleet.handlerConcurrency} records at once per invocation; ${fleet.iamCallsPerUser} IAM calls per containment; efficiency = the IAM ratio measured at`,
    'that latency). Per cell: the time to contain every user, and the IAM calls per second across the accounts.',
    fleetTable,
  ].join('\n');
}

function hours(value: number): string {
  return value >= 1 ? `${value.toFixed(1)} h` : `${Math.round(value * 60)} min`;
}

function sweepSection(sweep: SweepScenarioResult): string {
  const table = renderTable(
    ['users', 'latency', 'non-compliant', 'enqueued', 'IAM calls', 'SQS calls', 'SNS calls', 'wall'],
    sweep.runs.map((run) => [
      run.users,
      `${run.latencyMs} ms`,
      run.nonCompliant,
      run.enqueued,
      run.callsByService.iam ?? 0,
      run.callsByService.sqs ?? 0,
      run.callsByService.sns ?? 0,
      seconds(run.wallMs),
    ]),
  );
  const iam = Object.entries(sweep.runs[0]?.calls ?? {})
    .filter(([key]) => key.startsWith('iam:'))
    .map(([key, count]) => `${key.slice(4)} ${count}`)
    .join(', ');
  return [
    '3. Sweep scaling: runAccountSweep over one account (UsersPerAccount quota raised to 20,000)',
    table,
    `IAM calls per sweep: ${iam}${sweep.iamCallsConstant ? ', the same at every size' : ' (NOT constant)'}`,
  ].join('\n');
}

function coldStartSection(cold: ColdStartResult): string {
  const { bundle } = cold;
  const options = [
    String(bundle.options.format),
    `target ${bundle.options.target}`,
    `platform ${bundle.options.platform}`,
    ...(bundle.options.minify ? ['minified'] : []),
    ...(bundle.options.sourcemap ? ['source map'] : []),
  ];
  const batches = renderTable(
    ['records', 'peak RSS', 'handler time', 'failures', 'outcomes', 'IAM calls'],
    cold.batches.map((batch) => [
      batch.records,
      `${batch.maxRssMb} MB`,
      seconds(batch.handlerMs),
      batch.batchItemFailures,
      batch.outcomes,
      batch.callsByService.iam ?? 0,
    ]),
  );
  return [
    `4. Cold start: handlers/remediate.ts bundled with serverless.yml's esbuild options (${options.join(', ')})`,
    `bundle ${bytes(bundle.bytes)} (${bytes(bundle.deflatedBytes)} deflated), source map ${bytes(bundle.sourceMapBytes)} (${bytes(bundle.sourceMapDeflatedBytes)} deflated, ${bundle.sourcesInMap ? 'with' : 'without'} the sources); zip ≈ ${bytes(bundle.zipBytes)}; built in ${seconds(bundle.buildMs)}`,
    `import() in a fresh node process, median of ${cold.import.processes}: ${cold.import.medianMs} ms (min ${cold.import.minMs}, max ${cold.import.maxMs}); ` +
      `with --enable-source-maps as deployed: ${cold.import.withSourceMapsMedianMs} ms`,
    `whole process (Node start-up + import): ${cold.import.processMedianMs} ms; peak RSS after import: ${cold.import.maxRssMb} MB`,
    `Peak RSS of a fresh process handling one SQS batch (0 ms latency; Lambda memory size ${cold.lambdaMemoryMb} MB):`,
    batches,
  ].join('\n');
}

function reportSection(report: ReportScenarioResult): string {
  const table = renderTable(
    ['users', 'latency', 'in scope', 'contained', 'tags read', 'IAM calls', 'IAM calls/user', 'wall'],
    report.runs.map((run) => {
      const iam = Object.values(run.iamCalls).reduce((a, b) => a + b, 0);
      return [
        run.users,
        `${run.latencyMs} ms`,
        run.inScope,
        run.contained,
        run.needTags,
        iam,
        run.users === 0 ? 0 : Math.round((iam / run.users) * 100) / 100,
        seconds(run.wallMs),
      ];
    }),
  );
  return [
    '5. Campaign report: mfa-remediation report over one account (a tenth of the users contained)',
    table,
    'IAM calls: GenerateCredentialReport twice (start, then the poll that finds it complete), GetCredentialReport and',
    'ListEntitiesForPolicy once, plus one ListUserTags per user without MFA in scope or contained; users with MFA cost none.',
  ].join('\n');
}
