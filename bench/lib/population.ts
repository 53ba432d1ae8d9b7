/**
 * The benchmark's users and the findings about them. Two kinds of console users, in equal numbers and
 * interleaved, so every receive batch mixes them as a real backlog would:
 * - `compliant`: has an MFA device (a stale finding) → `already-compliant`, the cheapest path;
 * - `contained`: no MFA device, console password → `enrollment-required`, the first-time containment path.
 *
 * Every finding is imported into Security Hub first (so the worker's BatchUpdateFindings really updates it)
 * and sent on the remediation queue as its own EventBridge event, which is how Security Hub delivers them.
 */
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { type LocalPipeline, provisionPipeline } from '../../src/local/pipeline.ts';
import type { BenchCloud, SeedUser } from './cloud.ts';

/** The local cloud's default account: the worker's own, so no AssumeRole is involved. */
export const BENCH_ACCOUNT = '123456789012';

export const CATEGORIES = ['compliant', 'contained'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * The fewest IAM calls the workflow needs per finding (README, "How it works"): a compliant user costs
 * ListMFADevices + ListUserTags; a first-time containment adds GetLoginProfile, TagUser and
 * AttachUserPolicy, within the budget of six.
 */
export const IAM_CALL_BUDGET: Readonly<Record<Category, number>> = { compliant: 2, contained: 6 };

export interface BenchUser {
  readonly userName: string;
  readonly category: Category;
}

/** `n` users, alternating compliant / contained, or only the given categories. */
export function benchUsers(n: number, categories: readonly Category[] = CATEGORIES): BenchUser[] {
  return Array.from({ length: n }, (_, i) => ({
    userName: `bench-user-${String(i).padStart(5, '0')}`,
    category: categories[i % categories.length] as Category,
  }));
}

export function seedUser(user: BenchUser): SeedUser {
  return {
    userName: user.userName,
    consolePassword: true,
    mfa: user.category === 'compliant',
    accessKeys: 1,
  };
}

/** A FAILED IAM.5 finding about the user, in the benchmark account. */
export function findingFor(user: BenchUser): Record<string, unknown> {
  return makeFinding({ userName: user.userName, accountId: BENCH_ACCOUNT, controlId: 'IAM.5' });
}

/** The SQS body that carries one finding: an EventBridge "Security Hub Findings - Imported" event. */
export function messageBody(finding: Record<string, unknown>): string {
  return JSON.stringify(makeSecurityHubEvent([finding], { account: BENCH_ACCOUNT }));
}

/** A clean cloud holding the users, the pipeline (queue, DLQ, topic, outcomes tap) and the imported findings. */
export async function prepareCloud(
  cloud: BenchCloud,
  users: readonly BenchUser[],
): Promise<{ pipeline: LocalPipeline; findings: Record<string, unknown>[] }> {
  await cloud.reset();
  await cloud.seed({ accountId: BENCH_ACCOUNT, users: users.map(seedUser) });
  const pipeline = await provisionPipeline(cloud.clientOptions);
  const findings = users.map(findingFor);
  await importFindings(cloud.clientOptions, findings);
  return { pipeline, findings };
}

/** {@link prepareCloud}, then one message per finding on the remediation queue: a backlog to drain. */
export async function prepareBacklog(cloud: BenchCloud, users: readonly BenchUser[]): Promise<LocalPipeline> {
  const { pipeline, findings } = await prepareCloud(cloud, users);
  await enqueue(cloud.clientOptions, pipeline.queueUrl, findings.map(messageBody));
  return pipeline;
}

export async function importFindings(
  clientOptions: ClientOptions,
  findings: readonly Record<string, unknown>[],
): Promise<void> {
  const hub = new SecurityHubClient(clientOptions);
  try {
    for (let i = 0; i < findings.length; i += 100) {
      await hub.send(new BatchImportFindingsCommand({ Findings: findings.slice(i, i + 100) as never }));
    }
  } finally {
    hub.destroy();
  }
}

/** Sends the bodies to the queue, ten a call, a few calls at a time. */
export async function enqueue(
  clientOptions: ClientOptions,
  queueUrl: string,
  bodies: readonly string[],
): Promise<void> {
  const sqs = new SQSClient(clientOptions);
  const chunks: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) chunks.push(bodies.slice(i, i + 10));
  try {
    for (let i = 0; i < chunks.length; i += 8) {
      await Promise.all(
        chunks.slice(i, i + 8).map(async (chunk) => {
          const response = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: body })),
            }),
          );
          if (response.Failed?.length) throw new Error(`enqueue: ${response.Failed.length} entries failed`);
        }),
      );
    }
  } finally {
    sqs.destroy();
  }
}
