/**
 * Scenario 3: the per-account audit sweep (`runAccountSweep`) over growing populations in one account, wired
 * as the worker wires it (credential-report adapter on the account's IAM client, the task-queue adapter with
 * its production defaults, outcome topic for the summary). The point is the shape of the cost: IAM calls stay
 * constant (report generation, report download, one ListEntitiesForPolicy page) whatever the number of users,
 * while SQS calls grow with the users to enqueue — ten tasks a call.
 *
 * The emulator's report is ready on the first poll, whereas AWS takes seconds to minutes for a large account;
 * the first poll is set to 10 ms so that the wall time shows the sweep's own work, not a fixed wait.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createCredentialReportAdapter } from '../../src/aws/credential-report.ts';
import { createSnsPublisher } from '../../src/aws/sns.ts';
import { createTaskQueue } from '../../src/aws/task-queue.ts';
import { loadConfig } from '../../src/config.ts';
import { runAccountSweep } from '../../src/core/sweep.ts';
import { provisionPipeline } from '../../src/local/pipeline.ts';
import type { BenchCloud, SeedUser } from '../lib/cloud.ts';
import { sinkLogger } from '../lib/measure.ts';
import { BENCH_ACCOUNT } from '../lib/population.ts';
import { measureSpan } from '../lib/span.ts';
import { byService, type CallCounts, differences, ofService, round } from '../lib/stats.ts';

/** The IAM quota the cloud must allow for the largest population (AWS's is 5,000 and cannot be raised). */
export const SWEEP_USERS_PER_ACCOUNT = 20_000;

export interface SweepScenarioOptions {
  /** Users in the account, one sweep each. */
  readonly sizes: readonly number[];
  readonly latenciesMs: readonly number[];
  readonly progress?: (message: string) => void;
}

export interface SweepRun {
  readonly users: number;
  readonly latencyMs: number;
  /** Users lacking MFA with a console password (the default console-users scope), all enqueued. */
  readonly nonCompliant: number;
  readonly enqueued: number;
  readonly wallMs: number;
  readonly calls: CallCounts;
  /** Calls by service (`iam`, `sqs`, `sns`). */
  readonly callsByService: Record<string, number>;
}

export interface SweepScenarioResult {
  readonly runs: SweepRun[];
  /** Whether every run made exactly the same IAM calls, operation by operation. */
  readonly iamCallsConstant: boolean;
}

/**
 * Every combination of password, MFA and access keys; a quarter of the users have a password and no MFA
 * (the same mix as the sweep's integration test).
 */
export function sweepPopulation(n: number): SeedUser[] {
  return Array.from({ length: n }, (_, i) => ({
    userName: `sweep-user-${String(i).padStart(5, '0')}`,
    consolePassword: i % 2 === 0,
    mfa: i % 4 === 0,
    accessKeys: i % 3,
  }));
}

export async function runSweepScenario(
  cloud: BenchCloud,
  options: SweepScenarioOptions,
): Promise<SweepScenarioResult> {
  const progress = options.progress ?? (() => {});
  const runs: SweepRun[] = [];
  for (const latencyMs of options.latenciesMs) {
    for (const users of options.sizes) {
      progress(`sweep: ${users} users at ${latencyMs} ms`);
      runs.push(await sweepOnce(cloud, users, latencyMs));
    }
  }
  const iam = runs.map((run) => ofService(run.calls, 'iam'));
  const iamCallsConstant = iam.every((calls) => differences(calls, iam[0] ?? {}).length === 0);
  return { runs, iamCallsConstant };
}

async function sweepOnce(cloud: BenchCloud, users: number, latencyMs: number): Promise<SweepRun> {
  await cloud.reset();
  const population = sweepPopulation(users);
  await cloud.seed({ accountId: BENCH_ACCOUNT, users: population });
  const pipeline = await provisionPipeline(cloud.clientOptions);
  const config = loadConfig(pipeline.env);
  const log = sinkLogger();
  const iam = new IAMClient(cloud.clientOptions);
  const sqs = new SQSClient(cloud.clientOptions);
  const sns = new SNSClient(cloud.clientOptions);
  try {
    const span = await measureSpan(cloud, latencyMs, () =>
      runAccountSweep(
        { accountId: BENCH_ACCOUNT, sweepId: `bench-${users}` },
        {
          reports: createCredentialReportAdapter(iam),
          tasks: createTaskQueue(sqs, { queueUrl: pipeline.queueUrl, log }),
          publisher: createSnsPublisher(sns, pipeline.topicArn),
          now: () => new Date(),
          log,
          config,
          polling: { initialDelayMs: 10 },
        },
      ),
    );
    const expected = population.filter((u) => u.consolePassword && !u.mfa).length;
    const { summary } = span.result;
    if (
      summary.usersScanned !== users ||
      summary.nonCompliant !== expected ||
      summary.enqueued !== expected
    ) {
      throw new Error(
        `sweep of ${users} users: scanned ${summary.usersScanned}, non-compliant ${summary.nonCompliant}, enqueued ${summary.enqueued}; expected ${expected} of ${users}`,
      );
    }
    return {
      users,
      latencyMs,
      nonCompliant: summary.nonCompliant,
      enqueued: summary.enqueued,
      wallMs: round(span.wallMs, 1),
      calls: span.calls,
      callsByService: byService(span.calls),
    };
  } finally {
    for (const client of [iam, sqs, sns]) client.destroy();
  }
}
