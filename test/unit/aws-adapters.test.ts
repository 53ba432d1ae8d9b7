import {
  AttachUserPolicyCommand,
  ConcurrentModificationException,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListMFADevicesCommand,
  ListUsersCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAccountAccess, createAssumedCredentials } from '../../src/aws/accounts.ts';
import { createIamAdapter } from '../../src/aws/iam.ts';
import { createFindingsAdapter } from '../../src/aws/securityhub.ts';
import { createSnsPublisher } from '../../src/aws/sns.ts';
import { createQueueAdapter, queueUrlFromArn } from '../../src/aws/sqs.ts';
import type { Outcome } from '../../src/core/model.ts';
import { DependencyError, isRetryable } from '../../src/errors.ts';

const iamMock = mockClient(IAMClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const stsMock = mockClient(STSClient);
const hubMock = mockClient(SecurityHubClient);

beforeEach(() => {
  iamMock.reset();
  snsMock.reset();
  sqsMock.reset();
  stsMock.reset();
  hubMock.reset();
});

const meta = { $metadata: {} };

describe('IAM adapter', () => {
  const iam = () => createIamAdapter(new IAMClient({ region: 'us-east-1' }));

  it('pages through ListMFADevices with Marker', async () => {
    iamMock
      .on(ListMFADevicesCommand, { UserName: 'bob', Marker: undefined })
      .resolves({
        MFADevices: [{ SerialNumber: 'a', UserName: 'bob', EnableDate: new Date() }],
        IsTruncated: true,
        Marker: 'm1',
      })
      .on(ListMFADevicesCommand, { UserName: 'bob', Marker: 'm1' })
      .resolves({
        MFADevices: [{ SerialNumber: 'b', UserName: 'bob', EnableDate: new Date() }],
        IsTruncated: false,
      });
    const devices = await iam().listMfaDevices('bob');
    expect(devices.map((d) => d.serialNumber)).toEqual(['a', 'b']);
    expect(iamMock).toHaveReceivedCommandTimes(ListMFADevicesCommand, 2);
  });

  it('translates SDK errors to DependencyError with the AWS code and retryability', async () => {
    iamMock
      .on(AttachUserPolicyCommand)
      .rejects(new ConcurrentModificationException({ message: 'busy', $metadata: { httpStatusCode: 409 } }));
    const error = await iam()
      .attachUserPolicy('bob', 'arn:aws:iam::1:policy/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({
      code: 'ConcurrentModification',
      retryable: true,
      httpStatus: 409,
      operation: 'AttachUserPolicy',
    });
    expect(isRetryable(error)).toBe(true);
  });

  it('maps NoSuchEntity to "no password" and "not attached"', async () => {
    const notFound = new NoSuchEntityException({ message: 'nope', $metadata: { httpStatusCode: 404 } });
    iamMock.on(GetLoginProfileCommand).rejects(notFound).on(DetachUserPolicyCommand).rejects(notFound);
    await expect(iam().hasLoginProfile('bob')).resolves.toBe(false);
    await expect(iam().detachUserPolicy('bob', 'arn')).resolves.toBe('not-attached');
  });

  it('resolves a user id by paging ListUsers', async () => {
    iamMock
      .on(ListUsersCommand, { Marker: undefined })
      .resolves({
        Users: [{ UserName: 'a', UserId: 'AIDA1', Arn: 'arn:a', Path: '/', CreateDate: new Date() }],
        IsTruncated: true,
        Marker: 'n',
      })
      .on(ListUsersCommand, { Marker: 'n' })
      .resolves({
        Users: [{ UserName: 'b', UserId: 'AIDA2', Arn: 'arn:b', Path: '/', CreateDate: new Date() }],
      });
    await expect(iam().findUserById('AIDA2')).resolves.toEqual({ userName: 'b', arn: 'arn:b' });
    await expect(iam().findUserById('AIDA3')).resolves.toBeUndefined();
  });
});

describe('SNS publisher', () => {
  const outcome = (i: number): Outcome => ({
    schema: 'mfa-remediation/outcome@1',
    outcome: 'enrollment-required',
    accountId: '111111111111',
    userName: `user${i}`,
    trigger: { source: 'manual' },
    actions: [],
    attempts: 1,
    dryRun: false,
    occurredAt: '2026-11-23T10:00:00.000Z',
  });

  it('publishes in batches of 10 with attributes and a subject, returning failed entries', async () => {
    snsMock.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => ({
      Successful: input.PublishBatchRequestEntries.filter((e) => e.Id !== '3').map((e) => ({
        Id: e.Id,
        MessageId: 'x',
      })),
      Failed: input.PublishBatchRequestEntries.filter((e) => e.Id === '3').map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
    }));
    const publisher = createSnsPublisher(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:111111111111:t',
    );
    const outcomes = Array.from({ length: 23 }, (_, i) => outcome(i));
    const { failed } = await publisher.publish(outcomes);
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(failed.map((o) => o.userName)).toEqual(['user3', 'user13']);
    const first = snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0];
    expect(first?.Subject).toBe('MFA: user0 (111111111111) must enrol an MFA device');
    expect(first?.MessageAttributes).toEqual({
      outcome: { DataType: 'String', StringValue: 'enrollment-required' },
      schema: { DataType: 'String', StringValue: 'mfa-remediation/outcome@1' },
      accountId: { DataType: 'String', StringValue: '111111111111' },
      userName: { DataType: 'String', StringValue: 'user0' },
    });
    expect(JSON.parse(first?.Message ?? '{}')).toEqual(outcomes[0]);
  });

  it('treats a failed call as every entry failed', async () => {
    snsMock.on(PublishBatchCommand).rejects(new Error('network'));
    const publisher = createSnsPublisher(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:111111111111:t',
    );
    const { failed } = await publisher.publish([outcome(1), outcome(2)]);
    expect(failed).toHaveLength(2);
  });
});

describe('SQS queue adapter', () => {
  it('parks bodies with a rejection-reason attribute and changes visibility', async () => {
    sqsMock
      .on(SendMessageCommand)
      .resolves({ MessageId: '1' })
      .on(ChangeMessageVisibilityCommand)
      .resolves(meta);
    const queue = createQueueAdapter(new SQSClient({ region: 'us-east-1' }), {
      queueUrl: 'https://q/1/main',
      deadLetterQueueUrl: 'https://q/1/dlq',
    });
    await queue.park('raw', 'userName: bad', { outcome: 'rejected' });
    await queue.changeVisibility('rh', 120);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: 'https://q/1/dlq',
      MessageBody: 'raw',
      MessageAttributes: {
        outcome: { DataType: 'String', StringValue: 'rejected' },
        'rejection-reason': { DataType: 'String', StringValue: 'userName: bad' },
      },
    });
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: 'https://q/1/main',
      ReceiptHandle: 'rh',
      VisibilityTimeout: 120,
    });
  });

  it('derives queue URLs from ARNs', () => {
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:111111111111:work')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/111111111111/work',
    );
    expect(queueUrlFromArn('arn:aws:sqs:us-east-1:111111111111:work', 'http://127.0.0.1:4566/')).toBe(
      'http://127.0.0.1:4566/111111111111/work',
    );
  });
});

describe('Security Hub adapter', () => {
  it('sets the workflow status with a note, in the finding region', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .resolves({ ProcessedFindings: [{ Id: 'f', ProductArn: 'p' }], UnprocessedFindings: [] });
    const regions: (string | undefined)[] = [];
    const adapter = createFindingsAdapter((region) => {
      regions.push(region);
      return new SecurityHubClient({ region: region ?? 'us-east-1' });
    });
    await expect(
      adapter.updateWorkflow({ id: 'f', productArn: 'p', region: 'eu-west-1' }, 'NOTIFIED', 'note'),
    ).resolves.toBe('applied');
    expect(regions).toEqual(['eu-west-1']);
    expect(hubMock).toHaveReceivedCommandWith(BatchUpdateFindingsCommand, {
      FindingIdentifiers: [{ Id: 'f', ProductArn: 'p' }],
      Workflow: { Status: 'NOTIFIED' },
      Note: { Text: 'note', UpdatedBy: 'mfa-remediation' },
    });
  });

  it('reports findings Security Hub does not know', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [
        { FindingIdentifier: { Id: 'f', ProductArn: 'p' }, ErrorCode: 'FindingNotFound', ErrorMessage: 'x' },
      ],
    });
    const adapter = createFindingsAdapter(() => new SecurityHubClient({ region: 'us-east-1' }));
    await expect(adapter.updateWorkflow({ id: 'f', productArn: 'p' }, 'RESOLVED', 'n')).resolves.toBe(
      'not-found',
    );
  });
});

describe('account access', () => {
  it('caches AssumeRole credentials per account and renews them before expiry', async () => {
    let clock = Date.parse('2026-11-23T10:00:00Z');
    stsMock.on(AssumeRoleCommand).callsFake(() => ({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(clock + 3_600_000),
      },
    }));
    const credentialsFor = createAssumedCredentials({
      sts: new STSClient({ region: 'us-east-1' }),
      roleName: 'MfaRemediationMemberRole',
      externalId: 'ext',
      now: () => clock,
    });
    const provider = credentialsFor('222222222222');
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a).toBe(b);
    expect(a.sessionToken).toBe('token');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/MfaRemediationMemberRole',
      ExternalId: 'ext',
    });
    clock += 50 * 60_000; // 10 minutes before expiry: still cached
    await provider();
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    clock += 6 * 60_000; // within 5 minutes of expiry: renewed
    await provider();
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('resolves its own account once and builds ports once per account', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
    const access = createAccountAccess({
      sts: new STSClient({ region: 'us-east-1' }),
      clientOptions: { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      roleName: 'MfaRemediationMemberRole',
    });
    await expect(access.selfAccountId()).resolves.toBe('111111111111');
    const member = await access.forAccount('222222222222');
    expect(await access.forAccount('222222222222')).toBe(member);
    expect((await access.forAccount('111111111111')).accountId).toBe('111111111111');
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });
});
