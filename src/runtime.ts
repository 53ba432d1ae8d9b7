/**
 * Wiring: builds configuration, logger, SDK clients and adapters once (per Lambda container or per CLI run),
 * and turns SQS events into batch results. Handlers and commands stay a few lines.
 */
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { createAccountAccess } from './aws/accounts.ts';
import { type ClientOptions, createClientOptions, workerClientOptions } from './aws/clients.ts';
import { createFindingsAdapter } from './aws/securityhub.ts';
import { createSecurityHubV2Adapter } from './aws/securityhub-v2.ts';
import { createSesMailer } from './aws/sesv2.ts';
import { createSnsPublisher } from './aws/sns.ts';
import { createQueueAdapter, queueUrlFromArn } from './aws/sqs.ts';
import { createTaskQueue } from './aws/task-queue.ts';
import { type Config, type Env, loadConfig } from './config.ts';
import { type BatchResult, DEFAULT_BATCH_CONCURRENCY, processBatch } from './core/batch.ts';
import { createEmfMetrics } from './core/metrics/emf.ts';
import { METRICS } from './core/metrics/names.ts';
import type { AccountAccess, IamUserIdentity, OutcomePublisher, TaskQueuePort } from './core/ports.ts';
import { CONTINUES_ATTRIBUTE, continuesOf, type ProcessorDeps, receiveCountOf } from './core/processor.ts';
import { createSweepAccountRunner } from './core/sweep-task.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadTemplates } from './notify-templates.ts';

/** The parts of an SQS event the worker reads (Lambda's SQSEvent). */
export interface SqsEventRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string };
  /** Lambda's SQS event spells message attributes in camel case. */
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string }>>;
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
  /** The clock IAM checks TOTP codes against (tests that move the local cloud's clock). */
  totpNow?: () => number;
  /**
   * Records processed at once: the SQS handler's batch concurrency (default 8), and the size of every
   * client's connection pool (the poller passes its own).
   */
  concurrency?: number;
  /**
   * Where the EMF metric lines of each SQS batch go (docs/reference.md: Metrics); the Lambda handler writes
   * them to stdout for CloudWatch Logs. Absent = no metrics.
   */
  writeMetrics?: (line: string) => void;
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
  // Connections for every record in flight: the handler's batch concurrency, or the poller's.
  const clientOptions = workerClientOptions(
    options.clientOptions ??
      createClientOptions({ region: options.region ?? env.AWS_REGION, endpoint: options.endpoint }),
    options.concurrency ?? DEFAULT_BATCH_CONCURRENCY,
  );
  const metrics = options.writeMetrics ? createEmfMetrics() : undefined;
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
  // One port for both generations: ASFF findings through GetFindings / BatchUpdateFindings, OCSF ones through
  // GetFindingsV2 / BatchUpdateFindingsV2; claims/finding.ts verifies both before any update.
  const findings = createFindingsAdapter(securityHubFor, {
    ocsf: createSecurityHubV2Adapter(securityHubFor),
  });
  const accounts = createAccountAccess({
    sts,
    clientOptions,
    roleName: config.memberRoleName,
    externalId: config.memberRoleExternalId,
    // IAM publishes no rate limit: what it throttles is how a deployment learns its concurrency is too high.
    ...(metrics ? { onIamThrottle: () => metrics.count(METRICS.iamThrottles) } : {}),
  });
  const publisher: OutcomePublisher = config.outcomeTopicArn
    ? createSnsPublisher(sns, config.outcomeTopicArn)
    : { publish: async () => ({ failed: [] }) };
  const now = options.now ?? (() => new Date());
  const userIdCache = new Map<string, IamUserIdentity>();
  const tasks = config.remediationQueueUrl
    ? createTaskQueue(sqs, { queueUrl: config.remediationQueueUrl, log })
    : undefined;
  // `sweep-account` tasks run the per-account sweep in the task's account.
  const sweepAccount = createSweepAccountRunner({ config, accounts, now, log, publisher, tasks });
  // Person notifications go out through SES in the worker's own account, from NOTIFY_FROM's identity.
  const mailer = config.notify.from ? createSesMailer(new SESv2Client(clientOptions)) : undefined;
  const templates = config.notify.from ? loadTemplates(config.notify.templateDir) : undefined;
  const base = {
    config,
    accounts,
    findings,
    now,
    log,
    userIdCache,
    publisher,
    sweepAccount,
    ...(mailer ? { mailer } : {}),
    ...(templates ? { templates } : {}),
    ...(metrics ? { metrics } : {}),
    ...(options.totpNow ? { totpNow: options.totpNow } : {}),
  };

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
        event.Records.map((r) => {
          const continues = continuesOf(r.messageAttributes?.[CONTINUES_ATTRIBUTE]?.stringValue);
          return {
            messageId: r.messageId,
            body: r.body,
            receiptHandle: r.receiptHandle,
            receiveCount: receiveCountOf(r.attributes.ApproximateReceiveCount),
            ...(continues ? { continues } : {}),
          };
        }),
        depsFor(queueUrl),
        {
          log: invocationLog,
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(deadline === undefined ? {} : { deadline }),
        },
      );
      invocationLog.info({ failures: result.batchItemFailures.length }, 'batch_done');
      if (metrics && options.writeMetrics) for (const line of metrics.flush()) options.writeMetrics(line);
      return result;
    },
  };
}
