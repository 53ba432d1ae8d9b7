import { beforeEach, describe, expect, it } from 'vitest';
import { createSqsService, type SqsService } from '../../src/local/cloud/sqs.ts';
import { md5OfBody, md5OfMessageAttributes } from '../../src/local/cloud/sqs-md5.ts';
import { AwsApiError, type LocalRequest, type LocalResponse } from '../../src/local/cloud-types.ts';
import { ACCOUNT, type FakeEnv, fakeEnv, type Json, localRequest } from './local-cloud-support.ts';

function request(operation: string, input: unknown): LocalRequest {
  return localRequest('sqs', {
    headers: { 'x-amz-target': `AmazonSQS.${operation}`, 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(input),
  });
}

async function call(
  sqs: SqsService,
  operation: string,
  input: unknown,
): Promise<{ res: LocalResponse; json: Json }> {
  const req = request(operation, input);
  // As the server does: an AwsApiError thrown by handle() is rendered by the service's renderError.
  const res = await Promise.resolve()
    .then(() => sqs.handle(req, sqs.operationOf(req)))
    .catch((err: unknown) => {
      if (err instanceof AwsApiError) return sqs.renderError(err, 'request-1');
      throw err;
    });
  return { res, json: JSON.parse(String(res.body)) };
}

async function ok(sqs: SqsService, operation: string, input: unknown): Promise<Json> {
  const { res, json } = await call(sqs, operation, input);
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

describe('SQS emulator (unit)', () => {
  let env: FakeEnv;
  let sqs: SqsService;
  let queueUrl: string;

  beforeEach(async () => {
    env = fakeEnv();
    sqs = createSqsService(env);
    ({ QueueUrl: queueUrl } = await ok(sqs, 'CreateQueue', {
      QueueName: 'work',
      Attributes: { VisibilityTimeout: '10' },
    }));
  });

  it('computes MD5OfMessageAttributes exactly as AWS does', () => {
    // Digests pinned by moto's SQS tests as what AWS returns.
    expect(md5OfMessageAttributes({ timestamp: { dataType: 'Number', stringValue: '1493147359900' } })).toBe(
      '235c5c510d26fb653d073faed50ae77c',
    );
    expect(md5OfMessageAttributes({ timestamp: { dataType: 'Number', stringValue: '1493147359901' } })).toBe(
      '994258b45346a2cc3f9cbb611aa7af30',
    );
    expect(
      md5OfMessageAttributes({
        'SOME_Valid.attribute-Name': { dataType: 'Number', stringValue: '1493147359900' },
      }),
    ).toBe('36655e7e9d7c0e8479fa3f3f42247ae7');
    expect(md5OfBody('derp')).toBe('58fd9edd83341c29f1aebba81c31e257');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it('builds queue URLs on the local cloud and ARNs in the caller account', async () => {
    // Assess
    expect(queueUrl).toBe(`http://127.0.0.1:4566/${ACCOUNT}/work`);
    const { Attributes } = await ok(sqs, 'GetQueueAttributes', {
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn'],
    });
    expect(Attributes).toEqual({ QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:work` });
    expect(sqs.queueByArn(Attributes.QueueArn)?.url).toBe(queueUrl);
  });

  it('CreateQueue is idempotent with the same attributes and QueueNameExists otherwise', async () => {
    // Act
    const again = await ok(sqs, 'CreateQueue', {
      QueueName: 'work',
      Attributes: { VisibilityTimeout: '10' },
    });
    const conflict = await call(sqs, 'CreateQueue', {
      QueueName: 'work',
      Attributes: { VisibilityTimeout: '11' },
    });
    // Assess
    expect(again.QueueUrl).toBe(queueUrl);
    expect(conflict.res.status).toBe(400);
    expect(conflict.json.__type).toBe('com.amazonaws.sqs#QueueNameExists');
    expect(conflict.res.headers?.['x-amzn-query-error']).toBe('QueueAlreadyExists;Sender');
  });

  it('renders unknown queues with the query-compatible error header', async () => {
    // Act
    const { res, json } = await call(sqs, 'GetQueueUrl', { QueueName: 'nope' });
    // Assess
    expect(res.status).toBe(400);
    expect(json).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
    expect(res.headers?.['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
  });

  it('validates attributes', async () => {
    const bad = await call(sqs, 'CreateQueue', {
      QueueName: 'x',
      Attributes: { VisibilityTimeout: '43201' },
    });
    expect(bad.json.__type).toBe('com.amazonaws.sqs#InvalidAttributeValue');
    const unknown = await call(sqs, 'CreateQueue', { QueueName: 'x', Attributes: { Colour: 'blue' } });
    expect(unknown.json.__type).toBe('com.amazonaws.sqs#InvalidAttributeName');
    const noDlq = await call(sqs, 'CreateQueue', {
      QueueName: 'x',
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:1:none',
          maxReceiveCount: 3,
        }),
      },
    });
    expect(noDlq.json.message).toContain('Dead letter target does not exist');
    const badName = await call(sqs, 'CreateQueue', { QueueName: 'has space' });
    expect(badName.json.__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
  });

  it('sends with attributes and receives them with matching digests and system attributes', async () => {
    // Prepare
    const attributes = {
      kind: { DataType: 'String', StringValue: 'outcome' },
      n: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
    };
    // Act
    const sent = await ok(sqs, 'SendMessage', {
      QueueUrl: queueUrl,
      MessageBody: 'hello',
      MessageAttributes: attributes,
    });
    env.advance(1000);
    const { Messages } = await ok(sqs, 'ReceiveMessage', {
      QueueUrl: queueUrl,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    // Assess
    expect(sent.MD5OfMessageBody).toBe(md5OfBody('hello'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(Messages).toHaveLength(1);
    const [message] = Messages;
    expect(message.MessageId).toBe(sent.MessageId);
    expect(message.MD5OfBody).toBe(sent.MD5OfMessageBody);
    expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message.MessageAttributes).toEqual(attributes);
    expect(message.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SenderId: 'AKIATEST',
      SentTimestamp: String(env.now() - 1000),
      ApproximateFirstReceiveTimestamp: String(env.now()),
    });
  });

  it('returns only the attributes asked for, with the digest of those', async () => {
    await ok(sqs, 'SendMessage', {
      QueueUrl: queueUrl,
      MessageBody: 'x',
      MessageAttributes: {
        'app.a': { DataType: 'String', StringValue: 'a' },
        other: { DataType: 'String', StringValue: 'b' },
      },
    });
    const { Messages } = await ok(sqs, 'ReceiveMessage', {
      QueueUrl: queueUrl,
      MessageAttributeNames: ['app.*'],
    });
    expect(Object.keys(Messages[0].MessageAttributes)).toEqual(['app.a']);
    expect(Messages[0].MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({ 'app.a': { dataType: 'String', stringValue: 'a' } }),
    );
    expect(Messages[0].Attributes).toBeUndefined();
  });

  it('rejects invalid message attributes and bodies', async () => {
    const badType = await call(sqs, 'SendMessage', {
      QueueUrl: queueUrl,
      MessageBody: 'x',
      MessageAttributes: { a: { DataType: 'Date', StringValue: '1' } },
    });
    expect(badType.json.__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
    const badChars = await call(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'bad\u0001' });
    expect(badChars.json.__type).toBe('com.amazonaws.sqs#InvalidMessageContents');
    const empty = await call(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: '' });
    expect(empty.json.__type).toBe('com.amazonaws.sqs#MissingParameter');
  });

  it('hides a received message for the visibility timeout and counts receives', async () => {
    // Prepare
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'm' });
    const first = await ok(sqs, 'ReceiveMessage', {
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateReceiveCount'],
    });
    // Act
    const hidden = await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl });
    const counts = await ok(sqs, 'GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['All'] });
    env.advance(10_000);
    const again = await ok(sqs, 'ReceiveMessage', {
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateReceiveCount'],
    });
    // Assess
    expect(first.Messages[0].Attributes.ApproximateReceiveCount).toBe('1');
    expect(hidden.Messages).toBeUndefined();
    expect(counts.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '10',
    });
    expect(again.Messages[0].Attributes.ApproximateReceiveCount).toBe('2');
    expect(again.Messages[0].ReceiptHandle).not.toBe(first.Messages[0].ReceiptHandle);
  });

  it('delays messages (queue default and per message)', async () => {
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'later', DelaySeconds: 5 });
    const { Attributes } = await ok(sqs, 'GetQueueAttributes', {
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
    });
    expect(Attributes.ApproximateNumberOfMessagesDelayed).toBe('1');
    expect((await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl })).Messages).toBeUndefined();
    env.advance(5000);
    expect((await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl })).Messages[0].Body).toBe('later');
  });

  it('changes visibility of in-flight messages only', async () => {
    // Prepare
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'm' });
    const { Messages } = await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl });
    const handle = Messages[0].ReceiptHandle;
    // Act: extend to 60 s, then release at once
    await ok(sqs, 'ChangeMessageVisibility', {
      QueueUrl: queueUrl,
      ReceiptHandle: handle,
      VisibilityTimeout: 60,
    });
    env.advance(30_000);
    const stillHidden = await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl });
    await ok(sqs, 'ChangeMessageVisibility', {
      QueueUrl: queueUrl,
      ReceiptHandle: handle,
      VisibilityTimeout: 0,
    });
    const notInFlight = await call(sqs, 'ChangeMessageVisibility', {
      QueueUrl: queueUrl,
      ReceiptHandle: handle,
      VisibilityTimeout: 5,
    });
    const tooLong = await call(sqs, 'ChangeMessageVisibility', {
      QueueUrl: queueUrl,
      ReceiptHandle: handle,
      VisibilityTimeout: 43201,
    });
    // Assess
    expect(stillHidden.Messages).toBeUndefined();
    expect(notInFlight.json.__type).toBe('com.amazonaws.sqs#MessageNotInflight');
    expect(notInFlight.res.headers?.['x-amzn-query-error']).toBe(
      'AWS.SimpleQueueService.MessageNotInflight;Sender',
    );
    expect(tooLong.json.__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
    expect((await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl })).Messages).toHaveLength(1);
  });

  it('deletes with the latest or a stale receipt handle, and rejects garbage', async () => {
    // Prepare
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'm' });
    const first = await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl });
    env.advance(10_000);
    await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl });
    // Act
    await ok(sqs, 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: first.Messages[0].ReceiptHandle });
    const garbage = await call(sqs, 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: 'not-a-handle' });
    // Assess
    expect(sqs.depth(queueUrl)).toBe(0);
    expect(garbage.res.status).toBe(404);
    expect(garbage.json.__type).toBe('com.amazonaws.sqs#ReceiptHandleIsInvalid');
  });

  it('moves a message to the dead-letter queue instead of receiving it more than maxReceiveCount times', async () => {
    // Prepare
    const { QueueUrl: dlqUrl } = await ok(sqs, 'CreateQueue', { QueueName: 'dlq' });
    const dlqArn = sqs.queueByUrl(dlqUrl)!.arn;
    const { QueueUrl: sourceUrl } = await ok(sqs, 'CreateQueue', {
      QueueName: 'source',
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '2' }),
      },
    });
    const sent = await ok(sqs, 'SendMessage', {
      QueueUrl: sourceUrl,
      MessageBody: 'poison',
      MessageAttributes: { a: { DataType: 'String', StringValue: 'b' } },
    });
    const sentAt = env.now();
    // Act
    const receives: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { Messages } = await ok(sqs, 'ReceiveMessage', { QueueUrl: sourceUrl });
      receives.push(Messages?.length ?? 0);
      env.advance(1000);
    }
    const inDlq = await ok(sqs, 'ReceiveMessage', {
      QueueUrl: dlqUrl,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    const attributes = await ok(sqs, 'GetQueueAttributes', {
      QueueUrl: sourceUrl,
      AttributeNames: ['RedrivePolicy'],
    });
    const sources = await ok(sqs, 'ListDeadLetterSourceQueues', { QueueUrl: dlqUrl });
    // Assess
    expect(receives).toEqual([1, 1, 0]);
    const [message] = inDlq.Messages;
    expect(message.MessageId).toBe(sent.MessageId);
    expect(message.Body).toBe('poison');
    expect(message.MessageAttributes).toEqual({ a: { DataType: 'String', StringValue: 'b' } });
    expect(message.Attributes.SentTimestamp).toBe(String(sentAt));
    expect(message.Attributes.DeadLetterQueueSourceArn).toBe(sqs.queueByUrl(sourceUrl)!.arn);
    expect(JSON.parse(attributes.Attributes.RedrivePolicy)).toEqual({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: 2,
    });
    expect(sources.queueUrls).toEqual([sourceUrl]);
  });

  it('redrives a dead-letter queue back to its source with a move task', async () => {
    // Prepare
    const { QueueUrl: dlqUrl } = await ok(sqs, 'CreateQueue', { QueueName: 'dlq' });
    const dlqArn = sqs.queueByUrl(dlqUrl)!.arn;
    const { QueueUrl: sourceUrl } = await ok(sqs, 'CreateQueue', {
      QueueName: 'source',
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    });
    await ok(sqs, 'SendMessage', { QueueUrl: sourceUrl, MessageBody: 'again' });
    await ok(sqs, 'ReceiveMessage', { QueueUrl: sourceUrl, VisibilityTimeout: 0 });
    await ok(sqs, 'ReceiveMessage', { QueueUrl: sourceUrl });
    expect(sqs.depth(dlqUrl)).toBe(1);
    // Act
    const { TaskHandle } = await ok(sqs, 'StartMessageMoveTask', { SourceArn: dlqArn });
    const { Results } = await ok(sqs, 'ListMessageMoveTasks', { SourceArn: dlqArn });
    const notDlq = await call(sqs, 'StartMessageMoveTask', { SourceArn: sqs.queueByUrl(sourceUrl)!.arn });
    // Assess
    expect(TaskHandle).toEqual(expect.any(String));
    expect(Results).toEqual([
      expect.objectContaining({
        Status: 'COMPLETED',
        SourceArn: dlqArn,
        ApproximateNumberOfMessagesMoved: 1,
      }),
    ]);
    expect(sqs.peek(sourceUrl)).toEqual([
      expect.objectContaining({ body: 'again', receiveCount: 0, visible: true }),
    ]);
    expect(notDlq.json.message).toContain('Dead Letter Queue');
  });

  it('reports batch results per entry and enforces the batch rules', async () => {
    // Act
    const batch = await ok(sqs, 'SendMessageBatch', {
      QueueUrl: queueUrl,
      Entries: [
        { Id: 'a', MessageBody: 'one' },
        { Id: 'b', MessageBody: '' },
        { Id: 'c', MessageBody: 'three', DelaySeconds: 901 },
      ],
    });
    const duplicate = await call(sqs, 'SendMessageBatch', {
      QueueUrl: queueUrl,
      Entries: [
        { Id: 'a', MessageBody: '1' },
        { Id: 'a', MessageBody: '2' },
      ],
    });
    const tooMany = await call(sqs, 'SendMessageBatch', {
      QueueUrl: queueUrl,
      Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
    });
    const empty = await call(sqs, 'DeleteMessageBatch', { QueueUrl: queueUrl, Entries: [] });
    const { Messages } = await ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10 });
    const deleted = await ok(sqs, 'DeleteMessageBatch', {
      QueueUrl: queueUrl,
      Entries: [
        { Id: 'ok', ReceiptHandle: Messages[0].ReceiptHandle },
        { Id: 'bad', ReceiptHandle: 'garbage' },
      ],
    });
    // Assess
    expect(batch.Successful.map((e: Json) => e.Id)).toEqual(['a']);
    expect(batch.Successful[0].MD5OfMessageBody).toBe(md5OfBody('one'));
    expect(batch.Failed).toEqual([
      expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'MissingParameter' }),
      expect.objectContaining({ Id: 'c', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(duplicate.res.headers?.['x-amzn-query-error']).toBe(
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender',
    );
    expect(tooMany.json.__type).toBe('com.amazonaws.sqs#TooManyEntriesInBatchRequest');
    expect(empty.json.__type).toBe('com.amazonaws.sqs#EmptyBatchRequest');
    expect(deleted.Successful).toEqual([{ Id: 'ok' }]);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid' })]);
  });

  it('validates ReceiveMessage parameters', async () => {
    const tooMany = await call(sqs, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 11 });
    const tooLong = await call(sqs, 'ReceiveMessage', { QueueUrl: queueUrl, WaitTimeSeconds: 21 });
    expect(tooMany.json.__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
    expect(tooLong.json.message).toContain('WaitTimeSeconds');
  });

  it('long-polls until a message arrives', async () => {
    // Act
    const started = Date.now();
    const pending = ok(sqs, 'ReceiveMessage', { QueueUrl: queueUrl, WaitTimeSeconds: 5 });
    setTimeout(() => sqs.deliver(sqs.queueByUrl(queueUrl)!.arn, 'late'), 100);
    const { Messages } = await pending;
    // Assess
    expect(Messages[0].Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lists, purges and deletes queues', async () => {
    await ok(sqs, 'CreateQueue', { QueueName: 'work-2' });
    await ok(sqs, 'CreateQueue', { QueueName: 'other' });
    const listed = await ok(sqs, 'ListQueues', { QueueNamePrefix: 'work' });
    const page = await ok(sqs, 'ListQueues', { MaxResults: 2 });
    const next = await ok(sqs, 'ListQueues', { MaxResults: 2, NextToken: page.NextToken });
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'x' });
    await ok(sqs, 'PurgeQueue', { QueueUrl: queueUrl });
    const depthAfterPurge = sqs.depth(queueUrl);
    await ok(sqs, 'DeleteQueue', { QueueUrl: queueUrl });
    const gone = await call(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'x' });
    expect(listed.QueueUrls).toEqual([queueUrl, `${queueUrl}-2`]);
    expect(page.QueueUrls).toHaveLength(2);
    expect(next.QueueUrls).toHaveLength(1);
    expect(next.NextToken).toBeUndefined();
    expect(depthAfterPurge).toBe(0);
    expect(gone.json.__type).toBe('com.amazonaws.sqs#QueueDoesNotExist');
  });

  it('expires messages after the retention period', async () => {
    await ok(sqs, 'SetQueueAttributes', { QueueUrl: queueUrl, Attributes: { MessageRetentionPeriod: '60' } });
    await ok(sqs, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'old' });
    env.advance(60_000);
    expect(sqs.depth(queueUrl)).toBe(0);
  });

  it('answers unknown operations and malformed JSON as errors', async () => {
    const unknown = await call(sqs, 'Nope', {});
    expect(unknown.json.__type).toBe('com.amazonaws.sqs#InvalidAction');
    const req = { ...request('ListQueues', {}), body: '{not json' };
    await expect(sqs.handle(req, 'ListQueues')).rejects.toMatchObject({
      code: 'SerializationException',
      status: 400,
    });
  });
});
