/**
 * The direct baseline of the overhead ratio: the same backlog drained with exactly the API calls the worker
 * makes, issued straight through the same SDK clients, with the same batch shape (receive ten, work on them
 * `concurrency` at a time, delete them in one call) and nothing else — no validation, no workflow engine, no
 * outcome building, no logging. Per message it decides the path from IAM's answer, as the worker does:
 *
 * - compliant: ListMFADevices, ListUserTags, BatchUpdateFindings (RESOLVED), PublishBatch;
 * - contained: ListMFADevices, ListUserTags, GetLoginProfile, TagUser, ListAttachedUserPolicies,
 *   AttachUserPolicy, BatchUpdateFindings (NOTIFIED), PublishBatch;
 *
 * plus one GetFindings per receive batch (the findings are verified before they are updated), and, once per
 * pass, GetCallerIdentity (the worker's own account) and GetQueueAttributes (the visibility timeout). The scenario checks that the two passes' call counts are identical, operation by operation, so
 * the ratio compares like with like.
 */
import {
  AttachUserPolicyCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListMFADevicesCommand,
  ListUserTagsCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import {
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import { guardPolicyArn } from '../../src/core/model.ts';
import type { BenchCloud } from '../lib/cloud.ts';
import { BENCH_ACCOUNT, type BenchUser, prepareBacklog } from '../lib/population.ts';
import { measureSpan } from '../lib/span.ts';
import { type PassOptions, type PassResult, WORKER_CONCURRENCY } from './worker-pass.ts';

interface Clients {
  readonly iam: IAMClient;
  readonly hub: SecurityHubClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly sts: STSClient;
}

interface FindingFields {
  readonly Id: string;
  readonly ProductArn: string;
  readonly Resources: { readonly Details: { readonly AwsIamUser: { readonly UserName: string } } }[];
}

/** Drains a backlog of one finding per user with the minimal direct call sequence. */
export async function runBaselinePass(
  cloud: BenchCloud,
  users: readonly BenchUser[],
  options: PassOptions,
): Promise<PassResult> {
  const concurrency = options.concurrency ?? WORKER_CONCURRENCY;
  const pipeline = await prepareBacklog(cloud, users);
  const clientOptions = cloud.clientOptions;
  const clients: Clients = {
    iam: new IAMClient(clientOptions),
    hub: new SecurityHubClient(clientOptions),
    sns: new SNSClient(clientOptions),
    sqs: new SQSClient(clientOptions),
    sts: new STSClient(clientOptions),
  };
  const { queueUrl, topicArn } = pipeline;

  const { wallMs, calls, cpuMs, cloudCpuMs } = await measureSpan(cloud, options.latencyMs, async () => {
    await clients.sts.send(new GetCallerIdentityCommand({}));
    await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    for (;;) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      const ids = Messages.map(
        (m) =>
          (JSON.parse(m.Body ?? '{}') as { detail: { findings: FindingFields[] } }).detail.findings[0]?.Id ??
          '',
      );
      await clients.hub.send(
        new GetFindingsCommand({
          Filters: { Id: ids.map((Value) => ({ Value, Comparison: 'EQUALS' })) },
          MaxResults: 100,
        }),
      );
      const limit = pLimit(concurrency);
      await Promise.all(Messages.map((message) => limit(() => handle(message, clients, topicArn))));
      await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  });
  for (const client of Object.values(clients)) client.destroy();
  return { findings: users.length, wallMs, calls, cpuMs, cloudCpuMs };
}

async function handle(message: Message, clients: Clients, topicArn: string): Promise<void> {
  const event = JSON.parse(message.Body ?? '{}') as { detail: { findings: FindingFields[] } };
  const finding = event.detail.findings[0] as FindingFields;
  const userName = finding.Resources[0]?.Details.AwsIamUser.UserName ?? '';
  const devices = await clients.iam.send(new ListMFADevicesCommand({ UserName: userName }));
  await clients.iam.send(new ListUserTagsCommand({ UserName: userName }));
  const compliant = (devices.MFADevices ?? []).length > 0;
  if (!compliant) {
    await clients.iam.send(new GetLoginProfileCommand({ UserName: userName }));
    const since = new Date();
    const deadline = new Date(since.getTime() + 72 * 3_600_000);
    await clients.iam.send(
      new TagUserCommand({
        UserName: userName,
        Tags: [
          { Key: 'mfa-remediation:state', Value: 'enrollment-required' },
          { Key: 'mfa-remediation:since', Value: since.toISOString() },
          { Key: 'mfa-remediation:deadline', Value: deadline.toISOString() },
        ],
      }),
    );
    await clients.iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    await clients.iam.send(
      new AttachUserPolicyCommand({ UserName: userName, PolicyArn: guardPolicyArn(BENCH_ACCOUNT) }),
    );
  }
  const status = compliant ? 'RESOLVED' : 'NOTIFIED';
  await clients.hub.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: [{ Id: finding.Id, ProductArn: finding.ProductArn }],
      Workflow: { Status: status },
      Note: { Text: `MFA remediation: ${status}`, UpdatedBy: 'mfa-remediation' },
    }),
  );
  const outcome = compliant ? 'already-compliant' : 'enrollment-required';
  await clients.sns.send(
    new PublishBatchCommand({
      TopicArn: topicArn,
      PublishBatchRequestEntries: [
        {
          Id: '0',
          Message: JSON.stringify({ schema: 'mfa-remediation/outcome@1', outcome, userName }),
          Subject: `MFA: ${userName} ${outcome}`,
          MessageAttributes: {
            outcome: { DataType: 'String', StringValue: outcome },
            accountId: { DataType: 'String', StringValue: BENCH_ACCOUNT },
            userName: { DataType: 'String', StringValue: userName },
            schema: { DataType: 'String', StringValue: 'mfa-remediation/outcome@1' },
          },
        },
      ],
    }),
  );
}
