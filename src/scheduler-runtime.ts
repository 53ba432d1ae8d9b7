/**
 * The scheduled sweep's runtime: configuration, logger, STS for its own account and SQS for the tasks it
 * enqueues, and nothing else. The remediation runtime (`runtime.ts`) also builds Security Hub, SES, SNS and
 * the workflow, which the scheduler never calls; bundling them would make the sweep function's package and
 * cold start as large as the worker's (docs/benchmarks.md, cold start).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { createSelfAccountId } from './aws/accounts.ts';
import { type ClientOptions, createClientOptions } from './aws/clients.ts';
import { createTaskQueue } from './aws/task-queue.ts';
import { type Env, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import type { SchedulerRuntime } from './sweep-scheduler.ts';

export function createSchedulerRuntime(
  options: { env?: Env; clientOptions?: ClientOptions } = {},
): SchedulerRuntime {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const log = createLogger({ level: config.logLevel });
  const clientOptions = options.clientOptions ?? createClientOptions({ region: env.AWS_REGION });
  const selfAccountId = createSelfAccountId(new STSClient(clientOptions));
  const tasks = config.remediationQueueUrl
    ? createTaskQueue(new SQSClient(clientOptions), { queueUrl: config.remediationQueueUrl, log })
    : undefined;
  return { config, log, clientOptions, tasks, accounts: { selfAccountId } };
}
