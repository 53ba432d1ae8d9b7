import {
  CredentialReportExpiredException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListEntitiesForPolicyCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCredentialReportAdapter } from '../../src/aws/credential-report.ts';
import { createOrganizationsAdapter } from '../../src/aws/organizations.ts';
import { createTaskQueue } from '../../src/aws/task-queue.ts';
import type { TaskMessage } from '../../src/core/model.ts';
import { DependencyError, isRetryable } from '../../src/errors.ts';

const iamMock = mockClient(IAMClient);
const sqsMock = mockClient(SQSClient);
const orgMock = mockClient(OrganizationsClient);

beforeEach(() => {
  iamMock.reset();
  sqsMock.reset();
  orgMock.reset();
});

const meta = { $metadata: {} };
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111111111111/remediation';

describe('credential report adapter', () => {
  const adapter = () => createCredentialReportAdapter(new IAMClient({ region: 'us-east-1' }));

  it('passes the report state through', async () => {
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    expect(await adapter().generate()).toBe('INPROGRESS');
  });

  it('decodes the CSV content and keeps the generation time', async () => {
    const generatedAt = new Date('2026-11-23T09:00:00Z');
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: new TextEncoder().encode('user,arn\n<root_account>,arn:aws:iam::1:root\n'),
      GeneratedTime: generatedAt,
      ReportFormat: 'text/csv',
    });
    expect(await adapter().get()).toEqual({
      content: 'user,arn\n<root_account>,arn:aws:iam::1:root\n',
      generatedAt,
    });
  });

  it('maps the SDK’s report exceptions to IAM’s wire codes', async () => {
    iamMock
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportExpiredException({ message: 'expired', ...meta }))
      .rejectsOnce(new CredentialReportNotReadyException({ message: 'not ready', ...meta }));
    const expired = await adapter()
      .get()
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(DependencyError);
    expect(expired).toMatchObject({ code: 'ReportExpired', retryable: false });
    const inProgress = await adapter()
      .get()
      .catch((e: unknown) => e);
    expect(inProgress).toMatchObject({ code: 'ReportInProgress' });
    expect(isRetryable(inProgress)).toBe(true);
  });

  it('lists the guard’s users with one paginated ListEntitiesForPolicy (1000 a page)', async () => {
    const arn = 'arn:aws:iam::111111111111:policy/mfa-remediation/MfaRemediationGuard';
    iamMock
      .on(ListEntitiesForPolicyCommand, { PolicyArn: arn, Marker: undefined })
      .resolves({ PolicyUsers: [{ UserName: 'a' }, { UserName: 'b' }], IsTruncated: true, Marker: 'm1' })
      .on(ListEntitiesForPolicyCommand, { PolicyArn: arn, Marker: 'm1' })
      .resolves({ PolicyUsers: [{ UserName: 'c' }], IsTruncated: false });
    expect(await adapter().listGuardedUsers(arn)).toEqual(['a', 'b', 'c']);
    expect(iamMock).toHaveReceivedCommandWith(ListEntitiesForPolicyCommand, {
      EntityFilter: 'User',
      MaxItems: 1000,
    });
  });

  it('answers [] when the guard policy is not deployed', async () => {
    iamMock
      .on(ListEntitiesForPolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'no policy', ...meta }));
    expect(await adapter().listGuardedUsers('arn:aws:iam::1:policy/x')).toEqual([]);
  });
});

describe('task queue adapter', () => {
  const task = (i: number): TaskMessage => ({
    type: 'mfa-missing',
    accountId: '111111111111',
    userName: `user-${i}`,
    source: 'sweep',
    sweepId: 's-1',
  });
  const queue = (options: { maxAttempts?: number } = {}) => {
    const sleeps: number[] = [];
    const adapter = createTaskQueue(new SQSClient({ region: 'us-east-1' }), {
      queueUrl: QUEUE,
      concurrency: 1,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    return { adapter, sleeps };
  };

  it('sends at most ten entries a call, bodies as task JSON', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })),
      Failed: [],
    }));

    // Act
    const result = await queue().adapter.sendBatch(Array.from({ length: 25 }, (_, i) => task(i)));

    // Assess
    expect(result).toEqual({ sent: 25, failed: 0 });
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(first?.MessageBody ?? '')).toEqual(task(0));
    expect(first?.MessageGroupId).toBeUndefined();
  });

  it('retries only the failed entries, with backoff', async () => {
    // Prepare: entries 1 and 3 fail once, then succeed
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      call++;
      const failing = call === 1 ? new Set(['1', '3']) : new Set<string>();
      return {
        Successful: input.Entries.filter((e) => !failing.has(e.Id)).map((e) => ({
          Id: e.Id,
          MessageId: 'm',
          MD5OfMessageBody: 'x',
        })),
        Failed: input.Entries.filter((e) => failing.has(e.Id)).map((e) => ({
          Id: e.Id,
          Code: 'InternalError',
          SenderFault: false,
        })),
      };
    });
    const { adapter, sleeps } = queue();

    // Act
    const result = await adapter.sendBatch(Array.from({ length: 5 }, (_, i) => task(i)));

    // Assess
    expect(result).toEqual({ sent: 5, failed: 0 });
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => JSON.parse(e.MessageBody ?? '').userName)).toEqual([
      'user-1',
      'user-3',
    ]);
    expect(sleeps).toEqual([200]);
  });

  it('gives up after maxAttempts and reports what never got through', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '0').map((e) => ({
        Id: e.Id,
        MessageId: 'm',
        MD5OfMessageBody: 'x',
      })),
      Failed: input.Entries.filter((e) => e.Id === '0').map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
    }));
    const { adapter, sleeps } = queue({ maxAttempts: 3 });
    expect(await adapter.sendBatch([task(0), task(1)])).toEqual({ sent: 1, failed: 1 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it('does not retry entries that failed through the sender’s fault', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '1', MessageId: 'm', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }],
    });
    expect(await queue().adapter.sendBatch([task(0), task(1)])).toEqual({ sent: 1, failed: 1 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('retries a whole batch after a retryable call failure, not after a permanent one', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(Object.assign(new Error('server'), { name: 'InternalError', $fault: 'server' }))
      .resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
    expect(await queue().adapter.sendBatch([task(0)])).toEqual({ sent: 1, failed: 0 });

    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    expect(await queue().adapter.sendBatch([task(0), task(1)])).toEqual({ sent: 0, failed: 2 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('validates every task with the intake schema and never sends an invalid one', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    const invalid = { ...task(0), accountId: '12' } as TaskMessage;
    expect(await queue().adapter.sendBatch([invalid, task(1)])).toEqual({ sent: 1, failed: 1 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries).toHaveLength(1);
  });

  it('sets a message group per user on FIFO queues', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }] });
    const adapter = createTaskQueue(new SQSClient({ region: 'us-east-1' }), { queueUrl: `${QUEUE}.fifo` });
    await adapter.sendBatch([task(7)]);
    const entry = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry?.MessageGroupId).toBe('111111111111/user-7');
    expect(entry?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('organizations adapter', () => {
  it('pages through ListAccounts and keeps ACTIVE accounts only', async () => {
    orgMock
      .on(ListAccountsCommand, { NextToken: undefined })
      .resolves({
        Accounts: [
          { Id: '111111111111', Name: 'mgmt', State: 'ACTIVE' },
          { Id: '222222222222', Name: 'old', State: 'SUSPENDED' },
        ],
        NextToken: 't1',
      })
      .on(ListAccountsCommand, { NextToken: 't1' })
      .resolves({
        Accounts: [
          { Id: '333333333333', Status: 'ACTIVE' },
          { Id: '444444444444', State: 'PENDING_CLOSURE' },
        ],
      });
    const accounts = await createOrganizationsAdapter(
      new OrganizationsClient({ region: 'us-east-1' }),
    ).listActiveAccounts();
    expect(accounts).toEqual([
      { id: '111111111111', name: 'mgmt', status: 'ACTIVE' },
      { id: '333333333333', status: 'ACTIVE' },
    ]);
  });
});
