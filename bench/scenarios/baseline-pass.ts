/**
 * The direct baseline of the overhead ratio: the same backlog drained with the API calls the worker makes,
 * issued straight through the same SDK clients (the same client options, pools sized the same way), in the
 * same pipeline shape as the poller — up to `concurrency` messages doing their IAM calls at once, receives
 * ten at a time kept ahead of them, outcomes, finding updates and deletes of finished messages sent in shared
 * batch calls — and nothing else: no validation, no workflow engine, no outcome building, no logging, no
 * leases, no ordering by user. Per message it decides the path from IAM's answer, as the worker does:
 *
 * - compliant: ListMFADevices, ListUserTags; a RESOLVED update and an outcome;
 * - contained: ListMFADevices, ListUserTags, GetLoginProfile, TagUser, ListAttachedUserPolicies,
 *   AttachUserPolicy; a NOTIFIED update and an outcome;
 *
 * plus one GetFindings per receive (the findings are verified before they are updated), and, once per pass,
 * GetCallerIdentity (the worker's own account) and GetQueueAttributes (the visibility timeout). Its shared
 * calls are as full as they can be (PublishBatch and DeleteMessageBatch of ten, BatchUpdateFindings of up to
 * a hundred findings per status), so it never makes more of them than the worker: the scenario checks that
 * its IAM calls are the worker's, operation by operation, and that no other operation is called more often
 * than by the worker. The ratio is then conservative: the baseline does at most the worker's work.
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
import { workerClientOptions } from '../../src/aws/clients.ts';
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

type Status = 'RESOLVED' | 'NOTIFIED';

/** Drains a backlog of one finding per user with the minimal direct call sequence. */
export async function runBaselinePass(
  cloud: BenchCloud,
  users: readonly BenchUser[],
  options: PassOptions,
): Promise<PassResult> {
  const concurrency = options.concurrency ?? WORKER_CONCURRENCY;
  const pipeline = await prepareBacklog(cloud, users);
  const clientOptions = workerClientOptions(cloud.clientOptions, concurrency);
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
    const shared = createSharedCalls(clients, queueUrl, topicArn);
    const ready: Message[] = [];
    const waiters: (() => void)[] = [];
    let running = 0;
    let receiving = 0;
    let empty = false;
    const lookahead = Math.max(30, 2 * concurrency + 10);
    const inFlight = new Set<Promise<void>>();
    const wake = () => {
      for (const waiter of waiters.splice(0)) waiter();
    };

    // Two receives at a time, their findings verified in one GetFindings (20 ids), as the poller does.
    const receive = async (count: number) => {
      receiving += count;
      try {
        const answers = await Promise.all(
          Array.from({ length: count }, () =>
            clients.sqs.send(
              new ReceiveMessageCommand({
                QueueUrl: queueUrl,
                MaxNumberOfMessages: 10,
                WaitTimeSeconds: 0,
                MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
                MessageAttributeNames: ['All'],
              }),
            ),
          ),
        );
        const messages = answers.flatMap((answer) => answer.Messages ?? []);
        if (messages.length === 0) {
          empty = true;
          return;
        }
        const ids = messages.map((m) => findingOf(m).Id);
        for (let start = 0; start < ids.length; start += 20) {
          await clients.hub.send(
            new GetFindingsCommand({
              Filters: { Id: ids.slice(start, start + 20).map((Value) => ({ Value, Comparison: 'EQUALS' })) },
              MaxResults: 100,
            }),
          );
        }
        ready.push(...messages);
      } finally {
        receiving -= count;
        wake();
      }
    };

    for (;;) {
      while (!empty && running + ready.length + receiving * 10 + 20 <= concurrency + lookahead) {
        void receive(2);
      }
      if (!empty && receiving === 0 && running + ready.length < concurrency) void receive(1);
      while (running < concurrency && ready.length > 0) {
        const message = ready.shift() as Message;
        running++;
        const work = handle(message, clients).then((status) => {
          running--;
          shared.done(message, status);
          wake();
        });
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      }
      if (empty && receiving === 0 && running === 0 && ready.length === 0) break;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    await Promise.all(inFlight);
    await shared.flush();
  });
  for (const client of Object.values(clients)) client.destroy();
  return { findings: users.length, wallMs, calls, cpuMs, cloudCpuMs };
}

function findingOf(message: Message): FindingFields {
  const event = JSON.parse(message.Body ?? '{}') as { detail: { findings: FindingFields[] } };
  return event.detail.findings[0] as FindingFields;
}

/** A message's IAM calls; answers the finding's new status. */
async function handle(message: Message, clients: Clients): Promise<Status> {
  const userName = findingOf(message).Resources[0]?.Details.AwsIamUser.UserName ?? '';
  const devices = await clients.iam.send(new ListMFADevicesCommand({ UserName: userName }));
  await clients.iam.send(new ListUserTagsCommand({ UserName: userName }));
  if ((devices.MFADevices ?? []).length > 0) return 'RESOLVED';
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
  return 'NOTIFIED';
}

/** Full batch calls of finished messages: PublishBatch and DeleteMessageBatch of ten, updates of 100. */
function createSharedCalls(clients: Clients, queueUrl: string, topicArn: string) {
  const outcomes: Message[] = [];
  const deletes: Message[] = [];
  const updates: Record<Status, Message[]> = { RESOLVED: [], NOTIFIED: [] };
  const sent: Promise<unknown>[] = [];

  const publish = (chunk: readonly Message[]) =>
    clients.sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: chunk.map((message, index) => {
          const userName = findingOf(message).Resources[0]?.Details.AwsIamUser.UserName ?? '';
          return {
            Id: String(index),
            Message: JSON.stringify({ schema: 'mfa-remediation/outcome@1', userName }),
            Subject: `MFA: ${userName}`,
            MessageAttributes: {
              accountId: { DataType: 'String', StringValue: BENCH_ACCOUNT },
              userName: { DataType: 'String', StringValue: userName },
              schema: { DataType: 'String', StringValue: 'mfa-remediation/outcome@1' },
            },
          };
        }),
      }),
    );
  const remove = (chunk: readonly Message[]) =>
    clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  const update = (status: Status, chunk: readonly Message[]) =>
    clients.hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: chunk.map((m) => {
          const finding = findingOf(m);
          return { Id: finding.Id, ProductArn: finding.ProductArn };
        }),
        Workflow: { Status: status },
        Note: { Text: `MFA remediation: ${status}`, UpdatedBy: 'mfa-remediation' },
      }),
    );
  const drain = (
    queue: Message[],
    size: number,
    send: (chunk: Message[]) => Promise<unknown>,
    all = false,
  ) => {
    while (queue.length >= size || (all && queue.length > 0)) sent.push(send(queue.splice(0, size)));
  };

  return {
    done(message: Message, status: Status) {
      outcomes.push(message);
      deletes.push(message);
      updates[status].push(message);
      drain(updates[status], 100, (chunk) => update(status, chunk));
      drain(outcomes, 10, publish);
      drain(deletes, 10, remove);
    },
    async flush() {
      for (const status of ['RESOLVED', 'NOTIFIED'] as const) {
        drain(updates[status], 100, (chunk) => update(status, chunk), true);
      }
      drain(outcomes, 10, publish, true);
      drain(deletes, 10, remove, true);
      await Promise.all(sent);
    },
  };
}
