import { beforeEach, describe, expect, it } from 'vitest';
import { createSnsService, type SnsService } from '../../src/local/cloud/sns.ts';
import { matchesFilterPolicy, parseFilterPolicy } from '../../src/local/cloud/sns-filter.ts';
import { createSqsService, type SqsService } from '../../src/local/cloud/sqs.ts';
import { AwsApiError, type LocalRequest } from '../../src/local/cloud-types.ts';
import { ACCOUNT, fakeEnv, localRequest } from './local-cloud-support.ts';

function request(params: Record<string, string>): LocalRequest {
  return localRequest('sns', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Version: '2010-03-31', ...params }).toString(),
  });
}

async function call(sns: SnsService, action: string, params: Record<string, string> = {}): Promise<string> {
  const req = request({ Action: action, ...params });
  const res = await sns.handle(req, sns.operationOf(req));
  expect(res.status).toBe(200);
  return String(res.body);
}

async function failure(
  sns: SnsService,
  action: string,
  params: Record<string, string>,
): Promise<AwsApiError> {
  const req = request({ Action: action, ...params });
  try {
    await sns.handle(req, sns.operationOf(req));
  } catch (err) {
    if (err instanceof AwsApiError) return err;
    throw err;
  }
  throw new Error(`${action} did not fail`);
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

function attributes(prefix: string, attrs: Record<string, [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  Object.entries(attrs).forEach(([name, [type, value]], i) => {
    out[`${prefix}MessageAttributes.entry.${i + 1}.Name`] = name;
    out[`${prefix}MessageAttributes.entry.${i + 1}.Value.DataType`] = type;
    out[
      `${prefix}MessageAttributes.entry.${i + 1}.Value.${type === 'Binary' ? 'BinaryValue' : 'StringValue'}`
    ] = value;
  });
  return out;
}

describe('SNS emulator (unit)', () => {
  let sqs: SqsService;
  let sns: SnsService;
  let topicArn: string;
  let queueUrl: string;
  let queueArn: string;

  beforeEach(async () => {
    const env = fakeEnv();
    sqs = createSqsService(env);
    sns = createSnsService(env, sqs);
    topicArn = tag(await call(sns, 'CreateTopic', { Name: 'outcomes' }), 'TopicArn')!;
    const req: LocalRequest = {
      ...request({}),
      service: 'sqs',
      headers: { 'x-amz-target': 'AmazonSQS.CreateQueue' },
      body: JSON.stringify({ QueueName: 'subscriber' }),
    };
    queueUrl = JSON.parse(String((await sqs.handle(req, 'CreateQueue')).body)).QueueUrl;
    queueArn = sqs.queueByUrl(queueUrl)!.arn;
  });

  it('creates topics idempotently and lists them', async () => {
    const again = tag(await call(sns, 'CreateTopic', { Name: 'outcomes' }), 'TopicArn');
    const listed = await call(sns, 'ListTopics');
    expect(topicArn).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:outcomes`);
    expect(again).toBe(topicArn);
    expect(listed).toContain(`<Topics><member><TopicArn>${topicArn}</TopicArn></member></Topics>`);
    expect(listed).toContain('xmlns="http://sns.amazonaws.com/doc/2010-03-31/"');
  });

  it('delivers the notification envelope with message attributes', async () => {
    // Prepare
    await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn });
    // Act
    const messageId = tag(
      await call(sns, 'Publish', {
        TopicArn: topicArn,
        Message: '{"outcome":"remediated"}',
        Subject: 'bob is compliant',
        ...attributes('', {
          outcome: ['String', 'remediated'],
          raw: ['Binary', Buffer.from('hi').toString('base64')],
        }),
      }),
      'MessageId',
    );
    // Assess
    const [delivered] = sqs.peek(queueUrl);
    const envelope = JSON.parse(delivered!.body);
    expect(Object.keys(envelope)).toEqual([
      'Type',
      'MessageId',
      'TopicArn',
      'Subject',
      'Message',
      'Timestamp',
      'SignatureVersion',
      'Signature',
      'SigningCertURL',
      'UnsubscribeURL',
      'MessageAttributes',
    ]);
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: topicArn,
      Subject: 'bob is compliant',
      Message: '{"outcome":"remediated"}',
      Timestamp: '2026-11-23T10:00:00.000Z',
      SignatureVersion: '1',
      MessageAttributes: {
        outcome: { Type: 'String', Value: 'remediated' },
        raw: { Type: 'Binary', Value: Buffer.from('hi').toString('base64') },
      },
    });
    expect(delivered!.messageAttributes).toEqual({});
  });

  it('delivers raw messages with SNS attributes as SQS attributes', async () => {
    await call(sns, 'Subscribe', {
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      'Attributes.entry.1.key': 'RawMessageDelivery',
      'Attributes.entry.1.value': 'true',
    });
    await call(sns, 'Publish', {
      TopicArn: topicArn,
      Message: 'plain',
      ...attributes('', { n: ['Number', '7'] }),
    });
    expect(sqs.peek(queueUrl)).toEqual([
      expect.objectContaining({
        body: 'plain',
        messageAttributes: { n: { DataType: 'Number', StringValue: '7' } },
      }),
    ]);
  });

  it('does not deliver messages the filter policy rejects', async () => {
    // Prepare
    const subscriptionArn = tag(
      await call(sns, 'Subscribe', {
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        'Attributes.entry.1.key': 'FilterPolicy',
        'Attributes.entry.1.value': JSON.stringify({ outcome: ['escalated', { prefix: 'enrol' }] }),
      }),
      'SubscriptionArn',
    )!;
    // Act
    await call(sns, 'Publish', {
      TopicArn: topicArn,
      Message: 'a',
      ...attributes('', { outcome: ['String', 'ignored'] }),
    });
    await call(sns, 'Publish', {
      TopicArn: topicArn,
      Message: 'b',
      ...attributes('', { outcome: ['String', 'enrollment-required'] }),
    });
    await call(sns, 'Publish', { TopicArn: topicArn, Message: 'c' });
    const subscriptionAttributes = await call(sns, 'GetSubscriptionAttributes', {
      SubscriptionArn: subscriptionArn,
    });
    // Assess
    expect(sqs.peek(queueUrl).map((m) => JSON.parse(m.body).Message)).toEqual(['b']);
    expect(sns.published(topicArn).map((m) => m.deliveries[0]?.status)).toEqual([
      'filtered',
      'delivered',
      'filtered',
    ]);
    expect(subscriptionAttributes).toContain('<key>FilterPolicyScope</key><value>MessageAttributes</value>');
  });

  it('filters on the message body when the scope is MessageBody', async () => {
    const arn = tag(
      await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }),
      'SubscriptionArn',
    )!;
    await call(sns, 'SetSubscriptionAttributes', {
      SubscriptionArn: arn,
      AttributeName: 'FilterPolicyScope',
      AttributeValue: 'MessageBody',
    });
    await call(sns, 'SetSubscriptionAttributes', {
      SubscriptionArn: arn,
      AttributeName: 'FilterPolicy',
      AttributeValue: JSON.stringify({ trigger: { controlId: ['IAM.5'] } }),
    });
    await call(sns, 'Publish', {
      TopicArn: topicArn,
      Message: JSON.stringify({ trigger: { controlId: 'IAM.19' } }),
    });
    await call(sns, 'Publish', {
      TopicArn: topicArn,
      Message: JSON.stringify({ trigger: { controlId: 'IAM.5' } }),
    });
    expect(sqs.depth(queueUrl)).toBe(1);
  });

  it('validates Publish input', async () => {
    expect((await failure(sns, 'Publish', { TopicArn: `${topicArn}-x`, Message: 'm' })).code).toBe(
      'NotFound',
    );
    expect(
      (await failure(sns, 'Publish', { TopicArn: topicArn, Message: 'm', Subject: 'two\nlines' })).message,
    ).toBe('Invalid parameter: Subject');
    expect(
      (await failure(sns, 'Publish', { TopicArn: topicArn, Message: 'm', Subject: 'x'.repeat(101) })).code,
    ).toBe('InvalidParameter');
    expect(
      (await failure(sns, 'Publish', { TopicArn: topicArn, Message: 'x'.repeat(262_145) })).message,
    ).toContain('too long');
    const badNumber = await failure(sns, 'Publish', {
      TopicArn: topicArn,
      Message: 'm',
      ...attributes('', { n: ['Number', 'abc'] }),
    });
    expect(badNumber.code).toBe('ParameterValueInvalid');
    const notFound = await failure(sns, 'Publish', { TopicArn: `${topicArn}-x`, Message: 'm' });
    expect(notFound.status).toBe(404);
  });

  it('publishes batches with per-entry results and enforces the batch limits', async () => {
    // Prepare
    await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn });
    const entry = (i: number, id: string, message: string, extra: Record<string, string> = {}) => ({
      [`PublishBatchRequestEntries.member.${i}.Id`]: id,
      [`PublishBatchRequestEntries.member.${i}.Message`]: message,
      ...extra,
    });
    sns.failEntries((e) => e.id === 'flaky');
    // Act
    const result = await call(sns, 'PublishBatch', {
      TopicArn: topicArn,
      ...entry(1, 'ok', 'one'),
      ...entry(2, 'badsubject', 'two', { 'PublishBatchRequestEntries.member.2.Subject': 'a\nb' }),
      ...entry(3, 'flaky', 'three'),
      ...attributes('PublishBatchRequestEntries.member.1.', { outcome: ['String', 'remediated'] }),
    });
    const tooMany = await failure(sns, 'PublishBatch', {
      TopicArn: topicArn,
      ...Object.assign({}, ...Array.from({ length: 11 }, (_, i) => entry(i + 1, `e${i}`, 'x'))),
    });
    const duplicate = await failure(sns, 'PublishBatch', {
      TopicArn: topicArn,
      ...entry(1, 'a', 'x'),
      ...entry(2, 'a', 'y'),
    });
    const empty = await failure(sns, 'PublishBatch', { TopicArn: topicArn });
    // Assess
    expect(result).toMatch(
      /<Successful><member><Id>ok<\/Id><MessageId>[0-9a-f-]{36}<\/MessageId><\/member><\/Successful>/,
    );
    expect(result).toContain('<member><Id>badsubject</Id><Code>InvalidParameter</Code>');
    expect(result).toContain(
      '<Id>flaky</Id><Code>InternalError</Code><Message>Injected entry failure.</Message><SenderFault>false</SenderFault>',
    );
    expect(tooMany.code).toBe('TooManyEntriesInBatchRequest');
    expect(duplicate.code).toBe('BatchEntryIdsNotDistinct');
    expect(empty.code).toBe('EmptyBatchRequest');
    expect(JSON.parse(sqs.peek(queueUrl)[0]!.body).MessageAttributes).toEqual({
      outcome: { Type: 'String', Value: 'remediated' },
    });
  });

  it('manages subscriptions', async () => {
    const first = tag(
      await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }),
      'SubscriptionArn',
    )!;
    const again = tag(
      await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }),
      'SubscriptionArn',
    );
    const listed = await call(sns, 'ListSubscriptionsByTopic', { TopicArn: topicArn });
    const email = tag(
      await call(sns, 'Subscribe', { TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
      'SubscriptionArn',
    );
    const emailArn = tag(
      await call(sns, 'Subscribe', {
        TopicArn: topicArn,
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        ReturnSubscriptionArn: 'true',
      }),
      'SubscriptionArn',
    )!;
    const pending = await call(sns, 'GetSubscriptionAttributes', { SubscriptionArn: emailArn });
    const counts = await call(sns, 'GetTopicAttributes', { TopicArn: topicArn });
    const listedWithEmail = await call(sns, 'ListSubscriptionsByTopic', { TopicArn: topicArn });
    const badEmail = await failure(sns, 'Subscribe', {
      TopicArn: topicArn,
      Protocol: 'email',
      Endpoint: 'not-an-address',
    });
    const sms = await failure(sns, 'Subscribe', {
      TopicArn: topicArn,
      Protocol: 'sms',
      Endpoint: '+15555550100',
    });
    const badPolicy = await failure(sns, 'SetSubscriptionAttributes', {
      SubscriptionArn: first,
      AttributeName: 'FilterPolicy',
      AttributeValue: '{"a": "not-an-array"}',
    });
    await call(sns, 'Unsubscribe', { SubscriptionArn: first });
    const gone = await failure(sns, 'Unsubscribe', { SubscriptionArn: first });
    expect(again).toBe(first);
    expect(listed).toContain(`<Endpoint>${queueArn}</Endpoint><TopicArn>${topicArn}</TopicArn>`);
    // SNS answers an e-mail subscription "pending confirmation"; its ARN only with ReturnSubscriptionArn.
    expect(email).toBe('pending confirmation');
    expect(emailArn).toMatch(new RegExp(`^${topicArn}:`));
    expect(pending).toContain('<entry><key>PendingConfirmation</key><value>true</value></entry>');
    expect(counts).toContain('<entry><key>SubscriptionsPending</key><value>1</value></entry>');
    expect(counts).toContain('<entry><key>SubscriptionsConfirmed</key><value>1</value></entry>');
    expect(listedWithEmail).toContain('<SubscriptionArn>PendingConfirmation</SubscriptionArn>');
    expect(badEmail.message).toBe('Invalid parameter: Email address');
    expect(sms.code).toBe('InvalidParameter');
    expect(badPolicy.message).toMatch(/^Invalid parameter: FilterPolicy/);
    expect(gone.code).toBe('NotFound');
    await call(sns, 'DeleteTopic', { TopicArn: topicArn });
    expect((await failure(sns, 'GetTopicAttributes', { TopicArn: topicArn })).code).toBe('NotFound');
  });
});

describe('SNS filter policies', () => {
  const attrs = (a: Record<string, [string, string]>) =>
    Object.fromEntries(
      Object.entries(a).map(([k, [DataType, StringValue]]) => [k, { DataType, StringValue }]),
    );
  const matches = (policy: object, a: Record<string, [string, string]>) =>
    matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageAttributes'), 'MessageAttributes', {
      body: '',
      attributes: attrs(a),
    });

  it('matches exact strings and numbers, OR within a key and AND across keys', () => {
    const policy = { outcome: ['remediated', 'escalated'], attempts: [1, 2] };
    expect(matches(policy, { outcome: ['String', 'escalated'], attempts: ['Number', '2'] })).toBe(true);
    expect(matches(policy, { outcome: ['String', 'escalated'], attempts: ['Number', '3'] })).toBe(false);
    expect(matches(policy, { outcome: ['String', 'escalated'] })).toBe(false);
    expect(matches({ n: [2] }, { n: ['String', '2'] })).toBe(false);
  });

  it('supports prefix, suffix, equals-ignore-case, anything-but, exists, numeric ranges and String.Array', () => {
    expect(matches({ a: [{ prefix: 'enrol' }] }, { a: ['String', 'enrollment-required'] })).toBe(true);
    expect(matches({ a: [{ suffix: 'ed' }] }, { a: ['String', 'remediated'] })).toBe(true);
    expect(matches({ a: [{ 'equals-ignore-case': 'IGNORED' }] }, { a: ['String', 'ignored'] })).toBe(true);
    expect(matches({ a: [{ 'anything-but': ['ignored', 'exempt'] }] }, { a: ['String', 'failed'] })).toBe(
      true,
    );
    expect(matches({ a: [{ 'anything-but': 'ignored' }] }, { a: ['String', 'ignored'] })).toBe(false);
    expect(matches({ a: [{ 'anything-but': { prefix: 'ign' } }] }, { a: ['String', 'ignored'] })).toBe(false);
    expect(matches({ a: [{ 'anything-but': 'x' }] }, {})).toBe(false);
    expect(matches({ a: [{ exists: true }] }, { a: ['String', 'x'] })).toBe(true);
    expect(matches({ a: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ a: [{ exists: false }] }, { a: ['String', 'x'] })).toBe(false);
    expect(matches({ n: [{ numeric: ['>=', 0, '<', 10] }] }, { n: ['Number', '9.5'] })).toBe(true);
    expect(matches({ n: [{ numeric: ['>=', 0, '<', 10] }] }, { n: ['Number', '10'] })).toBe(false);
    expect(matches({ tags: ['b'] }, { tags: ['String.Array', '["a","b"]'] })).toBe(true);
    expect(matches({ $or: [{ a: ['x'] }, { b: ['y'] }] }, { b: ['String', 'y'] })).toBe(true);
  });

  it('rejects malformed policies', () => {
    expect(() => parseFilterPolicy('{}', 'MessageAttributes')).toThrow(/empty/);
    expect(() => parseFilterPolicy('{"a":[{"numeric":[">"]}]}', 'MessageAttributes')).toThrow(/numeric/);
    expect(() => parseFilterPolicy('{"a":[{"wat":1}]}', 'MessageAttributes')).toThrow(/Unrecognized/);
    expect(() => parseFilterPolicy('{"a":{"b":["c"]}}', 'MessageAttributes')).toThrow(/array/);
    expect(() =>
      parseFilterPolicy(
        JSON.stringify({ a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] }),
        'MessageAttributes',
      ),
    ).toThrow(/5 keys/);
  });
});
