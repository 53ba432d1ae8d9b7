/**
 * Wiring: builds configuration, logger, SDK clients and adapters once (per Lambda container or per CLI run),
 * and turns SQS events into batch results. Handlers and commands stay a few lines.
 */
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { createAccountAccess } from './aws/accounts.ts';
import { type ClientOptions, createClientOptions } from './aws/clients.ts';
import { createFindingsAdapter } from './aws/securityhub.ts';
import { createSecurityHubV2Adapter } from './aws/securityhub-v2.ts';
import { createSnsPublisher } from './aws/sns.ts';
import { createQueueAdapter, queueUrlFromArn } from './aws/sqs.ts';
import { createTaskQueue } from './aws/task-queue.ts';
import { type Config, type Env, loadConfig } from './config.ts';
import { type BatchResult, processBatch } from './core/batch.ts';
import { createFindingsRouter } from './core/ocsf/updates.ts';
import type { AccountAccess, OutcomePublisher, TaskQueuePort } from './core/ports.ts';
import { type ProcessorDeps, receiveCountOf } from './core/processor.ts';
import { createSweepAccountRunner } from './core/sweep-task.ts';
import { createLogger, type Logger } from './logger.ts';

/** The parts of an SQS event the worker reads (Lambda's SQSEvent). */
export interface SqsEventRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string };
  readonly eventSourceARN?: string;
}
export interface SqsEvent {
  readonly Records: readonly SqsEventRecord[];
}
/** The part of Lambda's context the worker reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

export interface RuntimeOptions {
  env?: Env;
  log?: Logger;
  region?: string | undefined;
  endpoint?: string | undefined;
  clientOptions?: ClientOptions;
  /** Overrides for tests, flags and the local runner. */
  config?: Partial<Config>;
  /** Whether OUTCOME_TOPIC_ARN is required (commands that only print outcomes run without it). */
  requireTopic?: boolean;
  now?: () => Date;
  concurrency?: number;
}

export interface Runtime {
  readonly config: Config;
  readonly publisher: OutcomePublisher;
  readonly log: Logger;
  readonly clientOptions: ClientOptions;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly sts: STSClient;
  /** The worker's own account and member accounts (through the member role). */
  readonly accounts: AccountAccess;
  /** Task messages onto REMEDIATION_QUEUE_URL (sweeps); undefined when it is not set. */
  readonly tasks: TaskQueuePort | undefined;
  /** Dependencies for a queue (its URL decides where visibility changes go). */
  depsFor(queueUrl: string | undefined): ProcessorDeps;
  handleSqsEvent(event: SqsEvent, context?: InvocationContext): Promise<BatchResult>;
}

/** Leaves time to publish and report after the last IAM attempt: 10 % of the invocation, 3-10 s. */
export function invocationDeadline(
  context: InvocationContext | undefined,
  now = Date.now(),
): number | undefined {
  if (!context) return undefined;
  const remaining = context.getRemainingTimeInMillis();
  const margin = Math.min(10_000, Math.max(3_000, remaining * 0.1));
  return now + remaining - margin;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const config: Config = {
    ...loadConfig(env, { requireTopic: options.requireTopic ?? true }),
    ...options.config,
  };
  const log = options.log ?? createLogger({ level: config.logLevel });
  const clientOptions =
    options.clientOptions ??
    createClientOptions({ region: options.region ?? env.AWS_REGION, endpoint: options.endpoint });
  const sqs = new SQSClient(clientOptions);
  const sns = new SNSClient(clientOptions);
  const sts = new STSClient(clientOptions);
  const securityHub = new Map<string, SecurityHubClient>();
  const securityHubFor = (region: string | undefined) => {
    const key = region ?? clientOptions.region ?? '';
    let client = securityHub.get(key);
    if (!client) {
      client = new SecurityHubClient({ ...clientOptions, ...(region ? { region } : {}) });
      securityHub.set(key, client);
    }
    return client;
  };
  // ASFF findings through BatchUpdateFindings; OCSF ones verified with GetFindingsV2, then BatchUpdateFindingsV2.
  const findings = createFindingsRouter({
    asff: createFindingsAdapter(securityHubFor),
    ocsf: createSecurityHubV2Adapter(securityHubFor),
  });
  const accounts = createAccountAccess({
    sts,
    clientOptions,
    roleName: config.memberRoleName,
    externalId: config.memberRoleExternalId,
  });
  const publisher: OutcomePublisher = config.outcomeTopicArn
    ? createSnsPublisher(sns, config.outcomeTopicArn)
    : { publish: async () => ({ failed: [] }) };
  const now = options.now ?? (() => new Date());
  const userIdCache = new Map<string, { userName: string; arn: string }>();
  const tasks = config.remediationQueueUrl
    ? createTaskQueue(sqs, { queueUrl: config.remediationQueueUrl, log })
    : undefined;
  // `sweep-account` tasks run the per-account sweep in the task's account.
  const sweepAccount = createSweepAccountRunner({ config, accounts, now, log, publisher, tasks });
  const base = { config, accounts, findings, now, log, userIdCache, publisher, sweepAccount };

  const depsFor = (queueUrl: string | undefined): ProcessorDeps => ({
    ...base,
    queue: createQueueAdapter(sqs, { queueUrl, deadLetterQueueUrl: config.deadLetterQueueUrl }),
  });

  return {
    config,
    publisher,
    log,
    clientOptions,
    sqs,
    sns,
    sts,
    accounts,
    tasks,
    depsFor,
    async handleSqsEvent(event, context) {
      const first = event.Records[0];
      const queueUrl =
        config.remediationQueueUrl ??
        (first?.eventSourceARN ? queueUrlFromArn(first.eventSourceARN, clientOptions.endpoint) : undefined);
      const invocationLog = log.child({ requestId: context?.awsRequestId, records: event.Records.length });
      const deadline = invocationDeadline(context);
      const result = await processBatch(
        event.Records.map((r) => ({
          messageId: r.messageId,
          body: r.body,
          receiptHandle: r.receiptHandle,
          receiveCount: receiveCountOf(r.attributes.ApproximateReceiveCount),
        })),
        depsFor(queueUrl),
        {
          log: invocationLog,
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(deadline === undefined ? {} : { deadline }),
        },
      );
      invocationLog.info({ failures: result.batchItemFailures.length }, 'batch_done');
      return result;
    },
  };
}
