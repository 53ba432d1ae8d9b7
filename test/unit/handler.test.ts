import {
  AttachUserPolicyCommand,
  ConcurrentModificationException,
  GetLoginProfileCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListMFADevicesCommand,
  ListUserTagsCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const sts = mockClient(STSClient);
mockClient(SecurityHubClient);

const ENV = {
  OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:outcomes',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111111111111/dlq',
  LOG_LEVEL: 'silent',
};

function record(messageId: string, body: unknown, receiveCount = 1) {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:mfa-remediation',
  };
}
const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'req-1' };

describe('handlers/remediate', () => {
  let handler: typeof import('../../handlers/remediate.ts').handler;

  beforeAll(async () => {
    vi.stubEnv('OUTCOME_TOPIC_ARN', ENV.OUTCOME_TOPIC_ARN);
    vi.stubEnv('DEAD_LETTER_QUEUE_URL', ENV.DEAD_LETTER_QUEUE_URL);
    vi.stubEnv('LOG_LEVEL', ENV.LOG_LEVEL);
    ({ handler } = await import('../../handlers/remediate.ts'));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  beforeEach(() => {
    for (const mock of [iam, sns, sqs]) mock.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: 'm' })),
      Failed: [],
    }));
    sqs
      .on(SendMessageCommand)
      .resolves({ MessageId: 'parked' })
      .on(ChangeMessageVisibilityCommand)
      .resolves({});
    iam
      .on(ListMFADevicesCommand)
      .resolves({ MFADevices: [] })
      .on(ListUserTagsCommand)
      .resolves({ Tags: [] })
      .on(GetLoginProfileCommand)
      .resolves({ LoginProfile: { UserName: 'x', CreateDate: new Date() } })
      .on(TagUserCommand)
      .resolves({})
      .on(ListAttachedUserPoliciesCommand)
      .resolves({ AttachedPolicies: [] })
      .on(AttachUserPolicyCommand)
      .resolves({});
  });

  it('returns only the failed records: rejected bodies are parked and acknowledged', async () => {
    const result = await handler(
      {
        Records: [
          record('good', {
            type: 'mfa-missing',
            accountId: '111111111111',
            userName: 'bob',
            source: 'manual',
          }),
          record('bad', 'definitely not json'),
          record('foreign', { type: 'verify', accountId: '999999999999', userName: 'eve' }),
        ],
      },
      context,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 2);
    const published = sns
      .commandCalls(PublishBatchCommand)
      .flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? [])
      .map((e) => JSON.parse(e.Message ?? '{}').outcome);
    expect(published.sort()).toEqual(['enrollment-required', 'rejected', 'rejected']);
  });

  it('fails only the conflicting record and backs its visibility off by receive count', async () => {
    iam
      .on(TagUserCommand, { UserName: 'busy' })
      .rejects(new ConcurrentModificationException({ message: 'busy', $metadata: { httpStatusCode: 409 } }));
    const result = await handler(
      {
        Records: [
          record('ok', { type: 'mfa-missing', accountId: '111111111111', userName: 'bob', source: 'manual' }),
          record(
            'busy',
            { type: 'mfa-missing', accountId: '111111111111', userName: 'busy', source: 'manual' },
            2,
          ),
        ],
      },
      { ...context, getRemainingTimeInMillis: () => 4_500 },
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'busy' }] });
    const change = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input;
    expect(change?.ReceiptHandle).toBe('rh-busy');
    expect(change?.QueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/111111111111/mfa-remediation');
    expect(change?.VisibilityTimeout).toBeGreaterThanOrEqual(48);
    expect(change?.VisibilityTimeout).toBeLessThanOrEqual(72);
  });
});
