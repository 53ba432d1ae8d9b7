/**
 * The Lambda deadline inside a record: one Security Hub event of 100 findings, handed to the real Lambda
 * handler path (`handleSqsEvent`, real SDK clients) with less time left than the record needs, IAM answering
 * slowly. The handler must return before Lambda would kill it; the findings it had no time for must go on
 * (as a continuation message) while the finished ones are not done again; and once the queue is drained as
 * Lambda would drain it, every finding has exactly one outcome naming the original message, every user is
 * contained exactly once.
 *
 * Reduced in `npm test` (a 4 s budget, faster IAM); `npm run test:reliability` runs the 12 s budget of the report.
 */
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPolicyArn, TAGS } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { createRuntime, type SqsEvent } from '../../src/runtime.ts';
import { captureLogger } from '../helpers/deps.ts';
import { successfulIamWrites } from '../helpers/reliability-checks.ts';
import { MAIN_ACCOUNT } from '../helpers/reliability-population.ts';
import {
  describeRun,
  FULL,
  queueDepth,
  readOutcomes,
  startWorld,
  type World,
} from '../helpers/reliability-world.ts';

const BUDGET_MS = FULL ? 12_000 : 4_000;
const FINDINGS = 100;
/** Per call: 100 findings need about 7 calls each, well over the budget. */
const LATENCY_MS = FULL ? 25 : 10;

let world: World;
beforeAll(async () => {
  world = await startWorld({
    seed: 5,
    latencyMs: LATENCY_MS,
    services: ['iam', 'sqs', 'securityhub', 'sns'],
  });
});
afterAll(async () => {
  await world?.close();
});

describe('Lambda deadline inside a record', () => {
  it(
    `a 100-finding record with a ${BUDGET_MS / 1000} s budget: returns in time, the rest goes on, nothing twice`,
    async () => {
      // Prepare: 100 users lacking MFA, their findings in Security Hub, one event carrying all of them.
      const { cloud, sqs, pipeline } = world;
      const names = Array.from({ length: FINDINGS }, (_, i) => `slow-${i}`);
      cloud.seed({
        accountId: MAIN_ACCOUNT,
        users: names.map((userName) => ({ userName, consolePassword: true })),
      });
      const findings = names.map((userName) => makeFinding({ userName, accountId: MAIN_ACCOUNT }));
      const hub = new SecurityHubClient(world.direct);
      await hub.send(new BatchImportFindingsCommand({ Findings: findings as never }));
      hub.destroy();
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: pipeline.queueUrl,
          MessageBody: JSON.stringify(makeSecurityHubEvent(findings)),
        }),
      );
      const { log } = captureLogger();
      const runtime = createRuntime({
        env: { ...pipeline.env, ALLOWED_ACCOUNTS: MAIN_ACCOUNT },
        log,
        clientOptions: { ...world.direct, endpoint: world.tap.url },
      });

      // Act: invoke the handler as Lambda does, one record per invocation, deleting what it reports done.
      const invocations: number[] = [];
      for (let round = 0; round < 20 && (await queueDepth(sqs, pipeline.queueUrl)) > 0; round++) {
        const { Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: pipeline.queueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        if (messages.length === 0) continue;
        const event: SqsEvent = {
          Records: messages.map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
            messageAttributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
                k,
                { stringValue: v.StringValue ?? '' },
              ]),
            ),
          })),
        };
        const started = Date.now();
        const result = await runtime.handleSqsEvent(event, {
          getRemainingTimeInMillis: () => BUDGET_MS - (Date.now() - started),
        });
        invocations.push(Date.now() - started);
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        for (const m of messages.filter((m) => !failed.has(m.MessageId ?? ''))) {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: pipeline.queueUrl, ReceiptHandle: m.ReceiptHandle }),
          );
        }
      }

      // Assess: every invocation returned before Lambda's timeout; more than one was needed.
      expect(await queueDepth(sqs, pipeline.queueUrl)).toBe(0);
      expect(invocations.length).toBeGreaterThan(1);
      for (const elapsed of invocations) expect(elapsed).toBeLessThan(BUDGET_MS);
      // One outcome per finding, all naming the message Security Hub's event arrived in.
      const { outcomes } = await readOutcomes(sqs, pipeline);
      expect(outcomes.map((o) => o.userName).sort()).toEqual([...names].sort());
      expect(new Set(outcomes.map((o) => o.trigger.messageId))).toEqual(new Set([sent.MessageId]));
      expect(outcomes.every((o) => o.outcome === 'enrollment-required')).toBe(true);
      // Each user contained exactly once, from the cloud's own state and the writes on the wire.
      const writes = successfulIamWrites(world.tap.exchanges);
      for (const userName of names) {
        const user = cloud.iam.getUser(MAIN_ACCOUNT, userName);
        expect(user?.tags[TAGS.state], userName).toBe('enrollment-required');
        expect(user?.attachedPolicyArns, userName).toEqual([guardPolicyArn(MAIN_ACCOUNT)]);
        expect(Object.fromEntries(writes.get(`${MAIN_ACCOUNT}/${userName}`) ?? []), userName).toEqual({
          TagUser: 1,
          AttachUserPolicy: 1,
        });
      }
      expect(await readOutcomes(sqs, pipeline)).toMatchObject({ outcomes: [] });
      console.log(
        `lambda deadline: ${describeRun({ budgetMs: BUDGET_MS, findings: FINDINGS, latencyMs: LATENCY_MS, invocations })}`,
      );
    },
    FULL ? 600_000 : 120_000,
  );
});
