import {
  BatchEntryIdsNotDistinctException,
  CreateTopicCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  TooManyEntriesInBatchRequestException,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions } from './support.ts';

describe('local cloud: SNS → SQS through the AWS SDK', () => {
  let cloud: LocalCloud;
  let sns: SNSClient;
  let sqs: SQSClient;
  let counter = 0;

  async function topic(): Promise<string> {
    counter += 1;
    return (await sns.send(new CreateTopicCommand({ Name: `outcomes-${counter}` }))).TopicArn!;
  }

  /** A queue subscribed to `topicArn` with the given subscription attributes. */
  async function subscriber(topicArn: string, attributes: Record<string, string> = {}) {
    counter += 1;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `sub-${counter}` }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes!.QueueArn,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
    return QueueUrl!;
  }

  async function drain(queueUrl: string): Promise<Message[]> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  }

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    const config = clientOptions(cloud);
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await cloud?.close();
  });

  it('delivers the notification envelope to an SQS subscription', async () => {
    // Prepare
    const topicArn = await topic();
    const queueUrl = await subscriber(topicArn);
    // Act
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'bob: enrollment required',
        Message: '{"outcome":"enrollment-required"}',
        MessageAttributes: {
          outcome: { DataType: 'String', StringValue: 'enrollment-required' },
          schema: { DataType: 'String', StringValue: 'mfa-remediation/outcome@1' },
        },
      }),
    );
    const [message] = await drain(queueUrl);
    // Assess
    const envelope = JSON.parse(message!.Body!);
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Subject: 'bob: enrollment required',
      Message: '{"outcome":"enrollment-required"}',
      SignatureVersion: '1',
      MessageAttributes: {
        outcome: { Type: 'String', Value: 'enrollment-required' },
        schema: { Type: 'String', Value: 'mfa-remediation/outcome@1' },
      },
    });
    expect(Number.isNaN(Date.parse(envelope.Timestamp))).toBe(false);
  });

  it('delivers raw messages with SNS attributes as SQS message attributes', async () => {
    const topicArn = await topic();
    const queueUrl = await subscriber(topicArn, { RawMessageDelivery: 'true' });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'raw body',
        MessageAttributes: {
          outcome: { DataType: 'String', StringValue: 'remediated' },
          attempts: { DataType: 'Number', StringValue: '2' },
        },
      }),
    );
    const [message] = await drain(queueUrl);
    expect(message?.Body).toBe('raw body');
    expect(message?.MessageAttributes).toEqual({
      outcome: { DataType: 'String', StringValue: 'remediated' },
      attempts: { DataType: 'Number', StringValue: '2' },
    });
  });

  it('applies filter policies per subscription', async () => {
    // Prepare
    const topicArn = await topic();
    const escalations = await subscriber(topicArn, {
      RawMessageDelivery: 'true',
      FilterPolicy: JSON.stringify({ outcome: ['escalated', 'failed'], accountId: [{ prefix: '1111' }] }),
    });
    const everything = await subscriber(topicArn, { RawMessageDelivery: 'true' });
    const publish = (outcome: string, accountId: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: `${outcome}@${accountId}`,
          MessageAttributes: {
            outcome: { DataType: 'String', StringValue: outcome },
            accountId: { DataType: 'String', StringValue: accountId },
          },
        }),
      );
    // Act
    await publish('escalated', '111111111111');
    await publish('remediated', '111111111111');
    await publish('failed', '222222222222');
    // Assess
    expect((await drain(escalations)).map((m) => m.Body)).toEqual(['escalated@111111111111']);
    expect(await drain(everything)).toHaveLength(3);
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions).toHaveLength(2);
  });

  it('publishes batches with per-entry results and enforces the limits', async () => {
    // Prepare
    const topicArn = await topic();
    const queueUrl = await subscriber(topicArn, { RawMessageDelivery: 'true' });
    // Act
    const result = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'one', Message: 'first' },
          { Id: 'two', Message: 'second', Subject: 'bad\nsubject' },
          { Id: 'three', Message: 'third' },
        ],
      }),
    );
    const tooMany = await sns
      .send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'x' })),
        }),
      )
      .catch((e: unknown) => e);
    const duplicate = await sns
      .send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: 'x' },
            { Id: 'a', Message: 'y' },
          ],
        }),
      )
      .catch((e: unknown) => e);
    // Assess
    expect(result.Successful?.map((e) => e.Id)).toEqual(['one', 'three']);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'two', Code: 'InvalidParameter', SenderFault: true }),
    ]);
    expect((await drain(queueUrl)).map((m) => m.Body).sort()).toEqual(['first', 'third']);
    expect(tooMany).toBeInstanceOf(TooManyEntriesInBatchRequestException);
    expect(duplicate).toBeInstanceOf(BatchEntryIdsNotDistinctException);
  });

  it('raises NotFound and InvalidParameter as the SDK exception classes', async () => {
    const topicArn = await topic();
    const missing = await sns
      .send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' }))
      .catch((e: unknown) => e);
    const subject = await sns
      .send(new PublishCommand({ TopicArn: topicArn, Message: 'x', Subject: 'x'.repeat(101) }))
      .catch((e: unknown) => e);
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(missing).toBeInstanceOf(NotFoundException);
    expect((missing as NotFoundException).$metadata.httpStatusCode).toBe(404);
    expect(subject).toBeInstanceOf(InvalidParameterException);
    expect(attributes.Attributes).toMatchObject({ TopicArn: topicArn, SubscriptionsConfirmed: '0' });
  });
});
