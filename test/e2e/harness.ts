/**
 * End-to-end harness: the local cloud on an ephemeral port with a movable clock, the product's queues and topic
 * provisioned as serverless.yml does, the member account's role deployed from deploy/member-account-role.yml,
 * and the real CLI (`mfa-remediation worker`) run in-process with injected streams, as a session of the central
 * worker role. Everything goes over HTTP through the unmodified AWS SDK v3 clients.
 */
import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { Outcome } from '../../src/core/model.ts';
import type { SeedRequest } from '../../src/local/cloud/seed.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { DEMO_ACCOUNT, DEMO_MEMBER_ACCOUNT } from '../../src/local/demo.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation } from '../../src/local/member-role.ts';
import {
  drainOutcomes,
  type LocalPipeline,
  type PipelineOptions,
  provisionPipeline,
} from '../../src/local/pipeline.ts';
import { runCli } from '../helpers/cli.ts';

export const ACCOUNT = DEMO_ACCOUNT;
export const MEMBER = DEMO_MEMBER_ACCOUNT;

/** A user as `POST /_local/seed` takes it. */
export type SeedUser = NonNullable<SeedRequest['users']>[number];

export interface WorkerRun {
  readonly status: number;
  readonly stats: { batches: number; received: number; acknowledged: number; retried: number };
  readonly stderr: string;
}

export interface Harness {
  readonly cloud: LocalCloud;
  readonly clientOptions: ClientOptions;
  readonly pipeline: LocalPipeline;
  readonly sqs: SQSClient;
  /** The worker's environment: credentials of a worker role session and the member role's name and id. */
  readonly workerEnv: Readonly<Record<string, string>>;
  /** Moves the local cloud's clock (SQS visibility, TOTP windows) forward. */
  advance(ms: number): void;
  seed(accountId: string, users: SeedUser[]): void;
  /** Imports the findings into Security Hub, so the worker can update their workflow. */
  importFindings(findings: readonly Record<string, unknown>[]): Promise<void>;
  send(bodies: readonly unknown[]): Promise<void>;
  /** `mfa-remediation worker --until-empty` through the CLI, with the pipeline's environment. */
  runWorker(extraEnv?: Record<string, string>): Promise<WorkerRun>;
  /** Every outcome published so far (from the tap queue), validated against the schema; drains the tap. */
  outcomes(): Promise<Outcome[]>;
  /** Messages on the dead-letter queue (received and left there, visibility 0). */
  deadLetters(): Promise<Message[]>;
  queueDepth(url?: string): Promise<{ visible: number; inFlight: number }>;
  workflowStatus(findingId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { pipeline?: PipelineOptions; randomSeed?: number; env?: Record<string, string> } = {},
): Promise<Harness> {
  let offset = 0;
  const cloud = await startLocalCloud({
    port: 0,
    randomSeed: options.randomSeed ?? 1,
    now: () => Date.now() + offset,
  });
  const clientOptions: ClientOptions = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
    maxAttempts: 3,
  };
  const pipeline = await provisionPipeline(clientOptions, options.pipeline);
  cloud.seed({ accountId: MEMBER });
  const organisation = await deployLocalOrganisation(clientOptions, {
    managementAccountId: ACCOUNT,
    memberAccountIds: [MEMBER],
    externalId: DEMO_EXTERNAL_ID,
  });
  const credentials = organisation.workerOptions.credentials as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  const workerEnv = {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken ?? '',
    ...organisation.env,
  };
  const sqs = new SQSClient(clientOptions);
  const hub = new SecurityHubClient(clientOptions);

  const depth = async (url: string) => {
    const response = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(response.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  };

  return {
    cloud,
    clientOptions,
    pipeline,
    sqs,
    workerEnv,
    advance: (ms) => {
      offset += ms;
    },
    seed: (accountId, users) => {
      cloud.seed({ accountId, users });
    },
    importFindings: async (findings) => {
      const imported = await hub.send(new BatchImportFindingsCommand({ Findings: findings as never }));
      if (imported.FailedCount) throw new Error(`import failed: ${JSON.stringify(imported.FailedFindings)}`);
    },
    send: async (bodies) => {
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: pipeline.queueUrl,
            Entries: bodies.slice(i, i + 10).map((body, index) => ({
              Id: String(index),
              MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
            })),
          }),
        );
      }
    },
    runWorker: async (extraEnv = {}) => {
      const { status, stdout, stderr } = await runCli(
        [
          '--endpoint-url',
          cloud.url,
          '--output',
          'json',
          'worker',
          '--queue-url',
          pipeline.queueUrl,
          '--until-empty',
        ],
        {
          env: {
            AWS_REGION: 'us-east-1',
            ...workerEnv,
            ...pipeline.env,
            ALLOWED_ACCOUNTS: `${ACCOUNT},${MEMBER}`,
            LOG_LEVEL: 'warn',
            ...options.env,
            ...extraEnv,
          },
        },
      );
      return {
        status,
        stats: stdout.trim() ? JSON.parse(stdout) : { batches: 0, received: 0, acknowledged: 0, retried: 0 },
        stderr,
      };
    },
    // Parsing with the schema proves every published outcome is what docs/reference.md promises.
    outcomes: async () => (await drainOutcomes(sqs, pipeline)).map((o) => Outcome.parse(o)),
    deadLetters: async () => {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return response.Messages ?? [];
    },
    queueDepth: (url = pipeline.queueUrl) => depth(url),
    workflowStatus: async (findingId) => {
      const response = await hub.send(
        new GetFindingsCommand({ Filters: { Id: [{ Value: findingId, Comparison: 'EQUALS' }] } }),
      );
      return response.Findings?.[0]?.Workflow?.Status;
    },
    close: async () => {
      sqs.destroy();
      hub.destroy();
      await cloud.close();
    },
  };
}
