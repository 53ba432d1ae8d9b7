import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  MessageNotInflight,
  OverLimit,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local cloud: SQS through the AWS SDK', () => {
  let cloud: LocalCloud;
  let sqs: SQSClient;
  let counter = 0;

  /** A fresh queue per test, so tests do not share messages. */
  async function queue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
    counter += 1;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `q-${counter}`, Attributes: attributes }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    sqs = new SQSClient(clientOptions(cloud));
  });

  afterAll(async () => {
    sqs?.destroy();
    await cloud?.close();
  });

  it('creates queues whose URLs point at the local cloud, and raises QueueDoesNotExist', async () => {
    // Act
    const { url } = await queue();
    const error = await sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })).catch((e: unknown) => e);
    // Assess
    expect(url.startsWith(cloud.url)).toBe(true);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect((error as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
  });

  it('renders injected faults with the query-compatible header, so the SDK raises the modelled class', async () => {
    // Prepare
    const { url } = await queue();
    cloud.setFaults('sqs:SendMessage=OverLimit:1');
    // Act
    const error = await sqs
      .send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))
      .catch((e: unknown) => e);
    cloud.setFaults('');
    // Assess
    expect(error).toBeInstanceOf(OverLimit);
    expect((error as OverLimit).$metadata.httpStatusCode).toBe(403);
  });

  it('round-trips bodies and attributes; the SDK checks both MD5 digests', async () => {
    // Prepare
    const { url } = await queue();
    const attributes = {
      outcome: { DataType: 'String', StringValue: 'remediated' },
      attempts: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    // Act
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'héllo ✓', MessageAttributes: attributes }),
    );
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    // Assess
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [message] = Messages!;
    expect(message!.Body).toBe('héllo ✓');
    expect(message!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message!.MessageAttributes).toEqual({
      outcome: { DataType: 'String', StringValue: 'remediated' },
      attempts: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    });
    expect(message!.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'test' });
  });

  it('hides received messages until the visibility timeout expires, counting receives', async () => {
    // Prepare
    const { url } = await queue({ VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'work' }));
    // Act
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    const hidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    await sleep(1100);
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    // Assess
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(hidden.Messages).toBeUndefined();
    expect(counts.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('releases a message with ChangeMessageVisibility and refuses it when not in flight', async () => {
    // Prepare
    const { url } = await queue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'work' }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const handle = Messages![0]!.ReceiptHandle!;
    // Act
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }),
    );
    const error = await sqs
      .send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 10 }),
      )
      .catch((e: unknown) => e);
    const visible = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    // Assess
    expect(error).toBeInstanceOf(MessageNotInflight);
    expect(visible.Messages).toHaveLength(1);
  });

  it('moves a message to the DLQ after maxReceiveCount receives, and redrives it back', async () => {
    // Prepare
    const dlq = await queue();
    const source = await queue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'poison' }),
    );
    // Act: VisibilityTimeout 0 makes the message visible again at once
    const receives: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: source.url, VisibilityTimeout: 0 }),
      );
      receives.push(Messages?.length ?? 0);
    }
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 0,
      }),
    );
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
    const back = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: source.url, MessageSystemAttributeNames: ['All'] }),
    );
    // Assess
    expect(receives).toEqual([1, 1, 0]);
    expect(dead.Messages?.[0]).toMatchObject({ MessageId, Body: 'poison' });
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
    expect(tasks.Results?.[0]).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect(back.Messages?.[0]).toMatchObject({
      MessageId,
      Attributes: expect.objectContaining({ ApproximateReceiveCount: '1' }),
    });
  });

  it('long-polls and returns as soon as a message arrives', async () => {
    // Prepare
    const { url } = await queue();
    const started = Date.now();
    // Act
    const pending = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await sleep(200);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));
    const { Messages } = await pending;
    // Assess
    expect(Messages?.[0]?.Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports per-entry batch results and raises the batch exceptions', async () => {
    // Prepare
    const { url } = await queue();
    // Act
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two', DelaySeconds: 901 },
        ],
      }),
    );
    const duplicate = await sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'x', MessageBody: '1' },
            { Id: 'x', MessageBody: '2' },
          ],
        }),
      )
      .catch((e: unknown) => e);
    const tooMany = await sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
        }),
      )
      .catch((e: unknown) => e);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', ReceiptHandle: Messages![0]!.ReceiptHandle! },
          { Id: 'bad', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    const invalid = await sqs
      .send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' }))
      .catch((e: unknown) => e);
    // Assess
    expect(sent.Successful?.map((e) => e.Id)).toEqual(['a']);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(duplicate).toBeInstanceOf(BatchEntryIdsNotDistinct);
    expect(tooMany).toBeInstanceOf(TooManyEntriesInBatchRequest);
    expect(deleted.Successful).toEqual([{ Id: 'ok' }]);
    expect(deleted.Failed?.[0]).toMatchObject({ Id: 'bad', Code: 'ReceiptHandleIsInvalid' });
    expect(invalid).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect((invalid as ReceiptHandleIsInvalid).$metadata.httpStatusCode).toBe(404);
  });
});
