/**
 * `mfa-remediation local` (= `npm start`): the whole pipeline on one laptop. Boots the local cloud in-process,
 * provisions the queue, dead-letter queue, topic and an outcomes subscription, seeds the demo organisation,
 * imports Security Hub findings and sends their EventBridge events (plus a Config change and a malformed
 * message), runs the worker until the queue drains, and summarises what happened to every user.
 */
import { AttachUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ClientOptions } from '../aws/clients.ts';
import { guardPolicyArn, type Outcome, type OutcomeName } from '../core/model.ts';
import type { Logger } from '../logger.ts';
import { createRuntime } from '../runtime.ts';
import { createPoller } from '../worker/poller.ts';
import { type LocalCloud, startLocalCloud } from './cloud/server.ts';
import { DEMO_ACCOUNT, DEMO_MEMBER_ACCOUNT, type DemoUser, demoUsers } from './demo.ts';
import { type DemoMail, demoMail, demoNotifyEnv, writeDemoReport } from './demo-people.ts';
import { makeConfigEvent, makeFinding, makeSecurityHubEvent } from './findings.ts';
import { makeOcsfEvent, makeOcsfFinding } from './findings-ocsf.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation, memberAdmin } from './member-role.ts';
import { drainOutcomes, drainQueue, provisionPipeline, sendBodies } from './pipeline.ts';

export interface LocalRunOptions {
  readonly users?: number;
  readonly withoutMfa?: number;
  readonly log: Logger;
  readonly now?: Date;
}

export interface LocalRunRow {
  readonly accountId: string;
  readonly userName: string;
  readonly story: string;
  readonly outcome: OutcomeName | 'none';
  readonly actions: string;
}

export interface LocalRunSummary {
  readonly rows: LocalRunRow[];
  readonly counts: Partial<Record<OutcomeName, number>>;
  readonly outcomes: Outcome[];
  readonly parkedOnDeadLetterQueue: number;
  readonly apiCalls: Record<string, number>;
  readonly durationMs: number;
  /** The person notifications SES sent (docs/reference.md: Person notifications). */
  readonly mail: DemoMail[];
  /** The campaign report of the demo's accounts, as one HTML page in a temporary directory. */
  readonly reportPath: string;
}

/** Seeds users per account, then contains the ones the story says were contained before. */
async function seedUsers(cloud: LocalCloud, clientOptions: ClientOptions, users: DemoUser[]) {
  const userIds = new Map<string, string>();
  for (const accountId of [DEMO_ACCOUNT, DEMO_MEMBER_ACCOUNT]) {
    const result = cloud.seed({
      accountId,
      users: users
        .filter((u) => u.accountId === accountId)
        .map((u) => ({
          userName: u.userName,
          consolePassword: u.consolePassword,
          mfa: u.mfa,
          accessKeys: u.accessKeys,
          tags: u.tags,
        })),
    });
    for (const u of result.users) userIds.set(`${accountId}/${u.userName}`, u.userId);
    const contained = users.filter((u) => u.accountId === accountId && u.contained);
    if (contained.length === 0) continue;
    // An administrator of the member account (OrganizationAccountAccessRole) contained them earlier.
    const iam = new IAMClient(
      accountId === DEMO_ACCOUNT ? clientOptions : await memberAdmin(clientOptions, accountId),
    );
    for (const u of contained) {
      await iam.send(
        new AttachUserPolicyCommand({ UserName: u.userName, PolicyArn: guardPolicyArn(accountId) }),
      );
    }
  }
  return userIds;
}

/** Security Hub findings for every user that has one, imported and sent as EventBridge events (≤ 10 per event). */
async function sendFindings(
  clientOptions: ClientOptions,
  queueUrl: string,
  users: DemoUser[],
  configUserId?: string,
) {
  const hub = new SecurityHubClient(clientOptions);
  const sqs = new SQSClient(clientOptions);
  const reported = users.filter((u) => u.finding !== 'none');
  const findings = reported
    .filter((u) => u.securityHub !== 'v2')
    .map((u) => makeFinding({ userName: u.userName, accountId: u.accountId, controlId: u.finding }));
  // Security Hub's OCSF findings have no public write API: the local cloud's admin API imports them.
  const ocsf = reported
    .filter((u) => u.securityHub === 'v2')
    .map((u) => makeOcsfFinding({ userName: u.userName, accountId: u.accountId, controlId: u.finding }));
  if (ocsf.length > 0) {
    const response = await fetch(`${clientOptions.endpoint}/_local/securityhub/v2/findings`, {
      method: 'POST',
      body: JSON.stringify({ findings: ocsf }),
    });
    if (!response.ok) throw new Error(`Security Hub V2 refused demo findings: ${await response.text()}`);
  }
  for (let i = 0; i < findings.length; i += 100) {
    const imported = await hub.send(
      new BatchImportFindingsCommand({ Findings: findings.slice(i, i + 100) as never }),
    );
    if (imported.FailedCount) {
      throw new Error(`Security Hub refused demo findings: ${JSON.stringify(imported.FailedFindings)}`);
    }
  }
  const bodies: string[] = [];
  for (let i = 0; i < findings.length; i += 10)
    bodies.push(JSON.stringify(makeSecurityHubEvent(findings.slice(i, i + 10))));
  for (const finding of ocsf) bodies.push(JSON.stringify(makeOcsfEvent([finding])));
  if (configUserId) {
    bodies.push(
      JSON.stringify(
        makeConfigEvent({
          accountId: DEMO_ACCOUNT,
          resourceId: configUserId,
          complianceType: 'NON_COMPLIANT',
        }),
      ),
    );
  }
  bodies.push('{"type":"mfa-missing","accountId":"not-an-account","userName":"mallory","source":"manual"}');
  await sendBodies(sqs, queueUrl, bodies);
  return bodies.length;
}

export async function runLocalDemo(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  // The demo's management account must be the cloud's default one: it is called with the demo's own
  // credentials, the member account through AssumeRole.
  const cloud = await startLocalCloud({ port: 0, defaultAccountId: DEMO_ACCOUNT });
  try {
    const clientOptions: ClientOptions = {
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
      maxAttempts: 3,
    };
    const pipeline = await provisionPipeline(clientOptions);
    const users = demoUsers({
      now,
      ...(options.users === undefined ? {} : { users: options.users }),
      ...(options.withoutMfa === undefined ? {} : { withoutMfa: options.withoutMfa }),
    });
    // gina lacks MFA too, but only AWS Config reports her: the worker resolves her user ID.
    const gina: DemoUser = {
      accountId: DEMO_ACCOUNT,
      userName: 'gina',
      consolePassword: true,
      mfa: false,
      accessKeys: 0,
      tags: {},
      finding: 'none',
      story: 'reported by AWS Config (user ID resolved)',
    };
    const everyone = [...users, gina];
    const userIds = await seedUsers(cloud, clientOptions, everyone);
    await sendFindings(clientOptions, pipeline.queueUrl, users, userIds.get(`${DEMO_ACCOUNT}/gina`));

    // As deployed: the member role from deploy/member-account-role.yml, the worker a session of its role.
    const organisation = await deployLocalOrganisation(clientOptions, {
      managementAccountId: DEMO_ACCOUNT,
      memberAccountIds: [DEMO_MEMBER_ACCOUNT],
      externalId: DEMO_EXTERNAL_ID,
      escalation: 'disable-console',
    });
    const runtime = createRuntime({
      env: {
        ...pipeline.env,
        ...organisation.env,
        ALLOWED_ACCOUNTS: `${DEMO_ACCOUNT},${DEMO_MEMBER_ACCOUNT}`,
        ESCALATION: 'disable-console',
        LOG_LEVEL: 'warn',
        ...demoNotifyEnv(cloud, DEMO_ACCOUNT, 'us-east-1'),
      },
      log: options.log,
      clientOptions: organisation.workerOptions,
    });
    const poller = createPoller({
      sqs: runtime.sqs,
      queueUrl: pipeline.queueUrl,
      deps: runtime.depsFor(pipeline.queueUrl),
      log: runtime.log,
      untilEmpty: true,
      waitTimeSeconds: 0,
      concurrency: 8,
    });
    await poller.run();

    const sqs = new SQSClient(clientOptions);
    const outcomes = await drainOutcomes(sqs, pipeline);
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    await drainQueue(sqs, pipeline.deadLetterQueueUrl);
    const byUser = new Map(
      outcomes.filter((o) => o.userName).map((o) => [`${o.accountId}/${o.userName}`, o]),
    );
    const rows: LocalRunRow[] = everyone.map((u) => {
      const outcome = byUser.get(`${u.accountId}/${u.userName}`);
      return {
        accountId: u.accountId,
        userName: u.userName,
        story: u.story,
        outcome: outcome?.outcome ?? 'none',
        actions: (outcome?.actions ?? [])
          .filter((a) => a.result === 'applied')
          .map((a) => a.action)
          .join(', '),
      };
    });
    const counts: Partial<Record<OutcomeName, number>> = {};
    for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
    const mail = demoMail(cloud.sesv2.messages());
    const apiCalls = cloud.stats().requests;
    const { path: reportPath } = await writeDemoReport(
      runtime,
      [DEMO_ACCOUNT, DEMO_MEMBER_ACCOUNT],
      runtime.config,
      options.log,
    );
    return {
      rows,
      counts,
      outcomes,
      parkedOnDeadLetterQueue: Number(dlq.Attributes?.ApproximateNumberOfMessages ?? 0),
      apiCalls,
      durationMs: Date.now() - started,
      mail,
      reportPath,
    };
  } finally {
    await cloud.close();
  }
}

/**
 * The demo organisation in a running local cloud (`mfa-remediation local-cloud --seed demo`): the same users
 * as `runLocalDemo`, gina (reported by AWS Config) included, and their findings waiting on the queue, so a
 * worker started from another shell has the demo's work to do. Resolves to the number of messages sent.
 */
export async function seedDemo(
  cloud: LocalCloud,
  clientOptions: ClientOptions,
  queueUrl: string,
  now: Date = new Date(),
): Promise<{ users: number; messages: number }> {
  const users = demoUsers({ now });
  const gina: DemoUser = {
    accountId: DEMO_ACCOUNT,
    userName: 'gina',
    consolePassword: true,
    mfa: false,
    accessKeys: 0,
    tags: {},
    finding: 'none',
    story: 'reported by AWS Config (user ID resolved)',
  };
  const userIds = await seedUsers(cloud, clientOptions, [...users, gina]);
  const messages = await sendFindings(clientOptions, queueUrl, users, userIds.get(`${DEMO_ACCOUNT}/gina`));
  return { users: users.length + 1, messages };
}
