/**
 * SQS operations of record handling: tier-2 visibility backoff and parking bodies on the dead-letter queue.
 */
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueuePort } from '../core/ports.ts';
import { call } from './sdk-errors.ts';
import { stringAttributes } from './sns.ts';

export function createQueueAdapter(
  client: SQSClient,
  options: { queueUrl: string | undefined; deadLetterQueueUrl: string | undefined },
): QueuePort {
  return {
    async changeVisibility(receiptHandle, seconds) {
      if (!options.queueUrl) throw new Error('the remediation queue URL is not known');
      await call('sqs', 'ChangeMessageVisibility', () =>
        client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
          }),
        ),
      );
    },

    async park(body, reason, attributes = {}) {
      if (!options.deadLetterQueueUrl)
        throw new Error('DEAD_LETTER_QUEUE_URL is not set: cannot park the message');
      await call('sqs', 'SendMessage', () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: options.deadLetterQueueUrl,
            MessageBody: body,
            MessageAttributes: stringAttributes({ ...attributes, 'rejection-reason': reason.slice(0, 1000) }),
          }),
        ),
      );
    },
  };
}

/** A queue's ARN (GetQueueAttributes), e.g. for redrive policies, subscriptions and move tasks. */
export async function queueArnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const response = await call('sqs', 'GetQueueAttributes', () =>
    client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })),
  );
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

/** `arn:aws:sqs:us-east-1:123456789012:name` → the queue URL on the standard endpoint (or `endpoint`). */
export function queueUrlFromArn(arn: string, endpoint?: string): string | undefined {
  const match = /^arn:aws[\w-]*:sqs:([\w-]+):(\d{12}):(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, account, name] = match;
  const base = endpoint?.replace(/\/$/, '') ?? `https://sqs.${region}.amazonaws.com`;
  return `${base}/${account}/${name}`;
}
