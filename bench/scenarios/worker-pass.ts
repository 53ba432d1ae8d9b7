/**
 * One pass of the real worker over a backlog: the poller (`createPoller`) with the runtime the CLI and the
 * Lambda handler use (`createRuntime`), exactly as `mfa-remediation local` wires them, draining a queue of
 * Security Hub findings. What it measures is the poller's `run()`, from the first call to the empty receive
 * that ends it; the calls are the local cloud's counters over the same span.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { OutcomeName } from '../../src/core/model.ts';
import { drainOutcomes } from '../../src/local/pipeline.ts';
import { createRuntime } from '../../src/runtime.ts';
import { createPoller, DEFAULT_CONCURRENCY } from '../../src/worker/poller.ts';
import type { BenchCloud } from '../lib/cloud.ts';
import { sinkLogger } from '../lib/measure.ts';
import { type BenchUser, prepareBacklog } from '../lib/population.ts';
import { measureSpan } from '../lib/span.ts';
import type { CallCounts } from '../lib/stats.ts';

/** Records the poller processes at once by default (the `worker` command's default). */
export const WORKER_CONCURRENCY = DEFAULT_CONCURRENCY;

export interface PassOptions {
  /** Latency of every AWS call during the measured span. */
  readonly latencyMs: number;
  /** Records processed at once. Default {@link WORKER_CONCURRENCY}. */
  readonly concurrency?: number;
}

export interface PassResult {
  readonly findings: number;
  readonly wallMs: number;
  /** Calls to the local cloud during the pass, per `service:Operation`. */
  readonly calls: CallCounts;
  /** CPU time of this (the client's) process during the pass. */
  readonly cpuMs: number;
  /** CPU time of the local cloud's process during the pass, where measurable. */
  readonly cloudCpuMs: number | undefined;
}

export interface WorkerPassResult extends PassResult {
  /** Outcomes published, by name (read back from the outcome topic after the pass). */
  readonly outcomes: Partial<Record<OutcomeName, number>>;
}

/** Drains a backlog of one finding per user through the real worker. */
export async function runWorkerPass(
  cloud: BenchCloud,
  users: readonly BenchUser[],
  options: PassOptions,
): Promise<WorkerPassResult> {
  const pipeline = await prepareBacklog(cloud, users);
  const concurrency = options.concurrency ?? WORKER_CONCURRENCY;
  // As the worker command builds it: the runtime's connection pools sized to the poller's concurrency.
  const runtime = createRuntime({
    env: { ...pipeline.env, LOG_LEVEL: 'info' },
    log: sinkLogger(),
    clientOptions: cloud.clientOptions,
    concurrency,
  });
  const poller = createPoller({
    sqs: runtime.sqs,
    queueUrl: pipeline.queueUrl,
    deps: runtime.depsFor(pipeline.queueUrl),
    log: runtime.log,
    untilEmpty: true,
    waitTimeSeconds: 0,
    concurrency,
  });

  const span = await measureSpan(cloud, options.latencyMs, () => poller.run());
  const { result: stats, wallMs, calls, cpuMs, cloudCpuMs } = span;

  const sqs = new SQSClient(cloud.clientOptions);
  const outcomes: Partial<Record<OutcomeName, number>> = {};
  for (const outcome of await drainOutcomes(sqs, pipeline)) {
    outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
  }
  sqs.destroy();
  for (const client of [runtime.sqs, runtime.sns, runtime.sts]) client.destroy();
  if (stats.acknowledged !== users.length) {
    throw new Error(`worker pass: ${stats.acknowledged} of ${users.length} messages acknowledged`);
  }
  return { findings: users.length, wallMs, calls, cpuMs, cloudCpuMs, outcomes };
}
