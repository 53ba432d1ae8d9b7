import { createHash } from 'node:crypto';
import {
  AttachUserPolicyCommand,
  ConcurrentModificationException,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListMFADevicesCommand,
  ListUsersCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAccountAccess, createAssumedCredentials } from '../../src/aws/accounts.ts';
import { createIamAdapter } from '../../src/aws/iam.ts';
import { createFindingsAdapter } from '../../src/aws/securityhub.ts';
import { createSnsPublisher } from '../../src/aws/sns.ts';
import { createQueueAdapter, fitForQueue, messageBytes, queueUrlFromArn } from '../../src/aws/sqs.ts';
import type { FindingRef, Outcome } from '../../src/core/model.ts';
import { type FindingsPort, findingKey } from '../../src/core/ports.ts';
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

  it('lists every user, in pages of the largest size IAM serves', async () => {
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
    await expect(iam().listUsers()).resolves.toEqual([
      { userName: 'a', userId: 'AIDA1', arn: 'arn:a' },
      { userName: 'b', userId: 'AIDA2', arn: 'arn:b' },
    ]);
    expect(iamMock).toHaveReceivedCommandWith(ListUsersCommand, { MaxItems: 1000 });
  });

  it('GetUser gives the user id; an unknown user is undefined', async () => {
    iamMock
      .on(GetUserCommand, { UserName: 'a' })
      .resolves({ User: { UserName: 'a', UserId: 'AIDA1', Arn: 'arn:a', Path: '/', CreateDate: new Date() } })
      .on(GetUserCommand, { UserName: 'gone' })
      .rejects(new NoSuchEntityException({ message: 'nope', $metadata: { httpStatusCode: 404 } }));
    await expect(iam().getUser('a')).resolves.toEqual({ userName: 'a', userId: 'AIDA1', arn: 'arn:a' });
    await expect(iam().getUser('gone')).resolves.toBeUndefined();
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

  it('parks a body too large for the dead-letter queue as a truncated copy with the original digest', async () => {
    // Prepare: a queue of the smallest size SQS allows, and a body that would fit only without attributes.
    sqsMock
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { MaximumMessageSize: '4096' } })
      .on(SendMessageCommand)
      .resolves({ MessageId: '1' });
    const queue = createQueueAdapter(new SQSClient({ region: 'us-east-1' }), {
      queueUrl: 'https://q/1/main',
      deadLetterQueueUrl: 'https://q/1/dlq',
    });
    const body = `{"pad":"${'é'.repeat(1500)}"}`;
    // Act
    const result = await queue.park(body, 'x'.repeat(2000), { outcome: 'rejected' });
    // Assess
    expect(result).toBe('truncated');
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    const attributes = Object.fromEntries(
      Object.entries(sent?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
    );
    expect(messageBytes(sent?.MessageBody ?? '', attributes)).toBeLessThanOrEqual(4096);
    expect(body.startsWith(sent?.MessageBody ?? '!')).toBe(true);
    expect(attributes).toMatchObject({
      truncated: 'true',
      'original-bytes': String(Buffer.byteLength(body)),
      'original-sha256': createHash('sha256').update(body).digest('hex'),
      'rejection-reason': 'x'.repeat(1000),
    });
  });

  it('without a dead-letter queue, parking is unavailable (not an error)', async () => {
    const queue = createQueueAdapter(new SQSClient({ region: 'us-east-1' }), {
      queueUrl: 'https://q/1/main',
      deadLetterQueueUrl: undefined,
    });
    await expect(queue.park('raw', 'bad')).resolves.toBe('unavailable');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('keeps a body that fits whole', () => {
    expect(fitForQueue('abc', { a: 'b' }, 262_144)).toEqual({
      body: 'abc',
      attributes: { a: 'b' },
      truncated: false,
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
  const PRODUCT = 'arn:aws:securityhub:eu-west-1::product/aws/securityhub';
  const ref = (id: string, region?: string): FindingRef => ({
    generation: 'asff',
    id,
    productArn: PRODUCT,
    ...(region ? { region } : {}),
  });
  const asff = (id: string, productArn = PRODUCT) => ({
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: productArn,
    GeneratorId: 'security-control/IAM.5',
    AwsAccountId: '111111111111',
    CreatedAt: '2026-11-20T08:00:00.000Z',
    UpdatedAt: '2026-11-20T08:00:00.000Z',
    Title: 't',
    Description: 'd',
    Severity: { Label: 'MEDIUM' as const },
    Types: [],
    Compliance: { Status: 'FAILED' as const, SecurityControlId: 'IAM.5' },
    Resources: [{ Type: 'AwsIamUser', Id: 'arn:aws:iam::111111111111:user/bob' }],
    RecordState: 'ACTIVE' as const,
    Workflow: { Status: 'NEW' as const },
  });

  it('describes findings with Id filters of at most 20 values, per Region, following NextToken', async () => {
    // Prepare: 45 findings in one Region, one in another; the first call has a second page.
    const ids = Array.from({ length: 45 }, (_, i) => `f${i}`);
    hubMock.on(GetFindingsCommand).callsFake((input: GetFindingsCommandInput) => {
      const wanted = (input.Filters?.Id ?? []).map((f) => f.Value as string);
      if (wanted[0] === 'f0' && !input.NextToken) {
        return { Findings: wanted.slice(0, 10).map((id) => asff(id)), NextToken: 'page-2' };
      }
      return { Findings: (input.NextToken ? wanted.slice(10) : wanted).map((id) => asff(id)) };
    });
    const regions: (string | undefined)[] = [];
    const adapter = createFindingsAdapter((region) => {
      regions.push(region);
      return new SecurityHubClient({ region: region ?? 'us-east-1' });
    });
    // Act
    const facts = await adapter.describe([...ids.map((id) => ref(id, 'eu-west-1')), ref('g', 'us-east-2')]);
    // Assess
    expect(facts.size).toBe(46);
    expect(facts.get(findingKey(ref('f7')))).toEqual({
      generation: 'asff',
      id: 'f7',
      productArn: PRODUCT,
      accountId: '111111111111',
      controlId: 'IAM.5',
      resourceIds: ['arn:aws:iam::111111111111:user/bob'],
      recordState: 'ACTIVE',
      workflowStatus: 'NEW',
    });
    const calls = hubMock.commandCalls(GetFindingsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Filters?.Id?.length)).toEqual([20, 20, 20, 5, 1]);
    expect(calls.every((c) => (c.Filters?.Id ?? []).every((f) => f.Comparison === 'EQUALS'))).toBe(true);
    expect(new Set(regions)).toEqual(new Set(['eu-west-1', 'us-east-2']));
  });

  it('leaves out a finding Security Hub holds under another product than the one named', async () => {
    hubMock
      .on(GetFindingsCommand)
      .resolves({ Findings: [asff('f', 'arn:aws:securityhub:eu-west-1::product/x/y')] });
    const adapter = createFindingsAdapter(() => new SecurityHubClient({ region: 'us-east-1' }));
    expect((await adapter.describe([ref('f')])).size).toBe(0);
  });

  it('updates in as few calls as possible: one per status and note, 100 identifiers each', async () => {
    hubMock.on(BatchUpdateFindingsCommand).callsFake((input: BatchUpdateFindingsCommandInput) => ({
      ProcessedFindings: input.FindingIdentifiers?.filter((f) => f.Id !== 'gone'),
      UnprocessedFindings: input.FindingIdentifiers?.filter((f) => f.Id === 'gone').map((f) => ({
        FindingIdentifier: f,
        ErrorCode: 'FindingNotFound',
        ErrorMessage: 'Finding Not Found',
      })),
    }));
    const adapter = createFindingsAdapter(() => new SecurityHubClient({ region: 'us-east-1' }));
    const notified = Array.from({ length: 150 }, (_, i) => ({
      ref: ref(`n${i}`),
      status: 'NOTIFIED' as const,
      note: 'contained',
    }));
    const results = await adapter.update([
      ...notified,
      { ref: ref('r1'), status: 'RESOLVED', note: 'done' },
      { ref: ref('gone'), status: 'RESOLVED', note: 'done' },
    ]);
    const calls = hubMock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.Workflow?.Status, c.FindingIdentifiers?.length])).toEqual([
      ['NOTIFIED', 100],
      ['NOTIFIED', 50],
      ['RESOLVED', 2],
    ]);
    expect(calls[2]?.Note).toEqual({ Text: 'done', UpdatedBy: 'mfa-remediation' });
    expect(results.get(findingKey(ref('n149')))).toBe('applied');
    expect(results.get(findingKey(ref('gone')))).toBe('not-found');
  });

  it('reports a refused update per finding, with Security Hub’s reason', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    const adapter = createFindingsAdapter(() => new SecurityHubClient({ region: 'us-east-1' }));
    const results = await adapter.update([{ ref: ref('f'), status: 'RESOLVED', note: 'n' }]);
    expect(results.get(findingKey(ref('f')))).toEqual({ failed: expect.stringContaining('AccessDenied') });
  });

  it('hands OCSF findings to the adapter given for them, and refuses them without one', async () => {
    const ocsfRef: FindingRef = { generation: 'ocsf', id: 'u1', productArn: 'p' };
    const seen: FindingRef[] = [];
    const ocsf: FindingsPort = {
      describe: async (refs) => {
        seen.push(...refs);
        return new Map();
      },
      update: async (changes) => new Map(changes.map((c) => [findingKey(c.ref), 'applied' as const])),
    };
    const client = () => new SecurityHubClient({ region: 'us-east-1' });
    await createFindingsAdapter(client, { ocsf }).describe([ocsfRef]);
    expect(seen).toEqual([ocsfRef]);
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(0);
    const refused = await createFindingsAdapter(client).update([
      { ref: ocsfRef, status: 'RESOLVED', note: 'n' },
    ]);
    expect(refused.get(findingKey(ocsfRef))).toEqual({ failed: 'ocsf findings are not supported' });
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
