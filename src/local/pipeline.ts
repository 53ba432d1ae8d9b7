/**
 * Provisions the product's queues and topic in a (local) cloud exactly as `serverless.yml` does in AWS: the
 * remediation queue with a redrive policy to the dead-letter queue, the outcome topic, and a "tap" queue
 * subscribed to the topic with raw delivery so outcomes can be read back. Used by `mfa-remediation local`,
 * the end-to-end tests and the benchmarks.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ClientOptions } from '../aws/clients.ts';
import { queueArnOf } from '../aws/sqs.ts';
import { OUTCOME_SCHEMA_ID, type Outcome } from '../core/model.ts';

export interface LocalPipeline {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly topicArn: string;
  /** A queue subscribed to the topic (raw delivery): every outcome lands here. */
  readonly outcomesQueueUrl: string;
  readonly env: Record<string, string>;
}

export interface PipelineOptions {
  readonly prefix?: string;
  readonly maxReceiveCount?: number;
  readonly visibilityTimeoutSeconds?: number;
}

export async function provisionPipeline(
  clientOptions: ClientOptions,
  options: PipelineOptions = {},
): Promise<LocalPipeline> {
  const prefix = options.prefix ?? 'mfa-remediation';
  const maxReceiveCount = options.maxReceiveCount ?? 8;
  const sqs = new SQSClient(clientOptions);
  const sns = new SNSClient(clientOptions);
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }));
  const deadLetterQueueUrl = dlq.QueueUrl ?? '';
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: prefix,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArnOf(sqs, deadLetterQueueUrl),
          maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl ?? '';
  const topic = await sns.send(new CreateTopicCommand({ Name: `${prefix}-outcomes` }));
  const topicArn = topic.TopicArn ?? '';
  const tap = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-outcomes-tap` }));
  const outcomesQueueUrl = tap.QueueUrl ?? '';
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: await queueArnOf(sqs, outcomesQueueUrl),
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  sqs.destroy();
  sns.destroy();
  return {
    queueUrl,
    deadLetterQueueUrl,
    topicArn,
    outcomesQueueUrl,
    env: {
      OUTCOME_TOPIC_ARN: topicArn,
      REMEDIATION_QUEUE_URL: queueUrl,
      DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
      MAX_RECEIVE_COUNT: String(maxReceiveCount),
    },
  };
}

/** Sends the bodies to a queue in order, ten a SendMessageBatch call; throws if SQS refuses any. */
export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, index) => ({ Id: String(index), MessageBody })),
      }),
    );
    if (Failed.length > 0)
      throw new Error(`SendMessageBatch refused ${Failed.length} message(s): ${Failed[0]?.Code}`);
  }
}

/** Receives and deletes every visible message of a queue; returns the bodies in arrival order. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = response.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** Reads every outcome published so far (from the tap queue). */
export async function drainOutcomes(sqs: SQSClient, pipeline: LocalPipeline): Promise<Outcome[]> {
  return (await drainQueue(sqs, pipeline.outcomesQueueUrl))
    .map((body) => JSON.parse(body) as Outcome)
    .filter((o) => o.schema === OUTCOME_SCHEMA_ID);
}
