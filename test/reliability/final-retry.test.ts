/**
 * The final-retry path: a record whose work fails retryably on every receive (IAM answers
 * ConcurrentModification to every AttachUserPolicy, longer than tier 1 and tier 2 last) must, on its last
 * receive (MAX_RECEIVE_COUNT), publish a `failed` outcome naming the error — and only then — and SQS's redrive
 * must move the untouched body to the dead-letter queue. Nothing is lost, nothing is retried forever, and the
 * user is left in the state the invariant allows (tagged, never guarded without tags).
 *
 * The real poller and SDK clients against the local cloud; assertions read the cloud's queues, its IAM state
 * and the outcome tap. Reduced in `npm test` (MAX_RECEIVE_COUNT 2, 2 users); full: 8 receives, 6 users.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPolicyArn, TAGS } from '../../src/core/model.ts';
import { makeTask } from '../../src/local/findings.ts';
import { captureLogger } from '../helpers/deps.ts';
import { MAIN_ACCOUNT } from '../helpers/reliability-population.ts';
import {
  CLOCK_STEP_MS,
  createInProcessWorker,
  drainDeadLetterQueue,
  FULL,
  queueDepth,
  readOutcomes,
  startWorld,
  type World,
} from '../helpers/reliability-world.ts';

const MAX_RECEIVES = FULL ? 8 : 2;
const USERS = FULL ? 6 : 2;

let world: World;
beforeAll(async () => {
  world = await startWorld({
    seed: 77,
    services: ['iam', 'sns'],
    pipeline: { maxReceiveCount: MAX_RECEIVES },
  });
});
afterAll(async () => {
  await world?.close();
});

describe('final retry', () => {
  it(
    `after ${MAX_RECEIVES} receives that all fail retryably: one failed outcome, then the dead-letter queue`,
    async () => {
      // Prepare: users lacking MFA, one task each; every AttachUserPolicy conflicts.
      const { cloud, clock, pipeline, sqs } = world;
      const names = Array.from({ length: USERS }, (_, i) => `stuck-${i}`);
      cloud.seed({
        accountId: MAIN_ACCOUNT,
        users: names.map((userName) => ({ userName, consolePassword: true })),
      });
      const bodies = names.map((userName) =>
        JSON.stringify(makeTask('mfa-missing', { accountId: MAIN_ACCOUNT, userName, source: 'manual' })),
      );
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: pipeline.queueUrl,
          Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
        }),
      );
      cloud.setFaults('iam:AttachUserPolicy=ConcurrentModification:1');
      const { log } = captureLogger();
      const poller = createInProcessWorker(world, { log });

      // Act: receive after receive, moving the clock past each tier-2 backoff.
      const published: number[] = [];
      for (
        let round = 0;
        round <= MAX_RECEIVES + 1 && (await queueDepth(sqs, pipeline.queueUrl)) > 0;
        round++
      ) {
        await poller.run();
        published.push(cloud.stats().requests['sns:PublishBatch'] ?? 0);
        clock.advance(CLOCK_STEP_MS);
      }
      cloud.setFaults('');

      // Assess: the queue is empty; every body sits on the dead-letter queue, moved there by SQS itself.
      expect(await queueDepth(sqs, pipeline.queueUrl)).toBe(0);
      const parked = await drainDeadLetterQueue(sqs, pipeline.deadLetterQueueUrl);
      expect(parked.map((p) => p.body).sort()).toEqual([...bodies].sort());
      expect(parked.every((p) => p.redriven)).toBe(true);
      // One failed outcome per user, published on the last receive only, naming the error.
      const { outcomes } = await readOutcomes(sqs, pipeline);
      expect(outcomes.map((o) => o.userName).sort()).toEqual([...names].sort());
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          outcome: 'failed',
          attempts: MAX_RECEIVES,
          reason: `retries exhausted after ${MAX_RECEIVES} receives: ConcurrentModification`,
          error: { code: 'ConcurrentModification', retryable: true },
        });
      }
      expect(published.slice(0, MAX_RECEIVES - 1).every((n) => n === 0)).toBe(true);
      // The invariant held throughout: tags first, and the guard never attached.
      for (const userName of names) {
        const user = cloud.iam.getUser(MAIN_ACCOUNT, userName);
        expect(user?.tags[TAGS.state], userName).toBe('enrollment-required');
        expect(user?.attachedPolicyArns, userName).not.toContain(guardPolicyArn(MAIN_ACCOUNT));
      }
    },
    FULL ? 600_000 : 120_000,
  );
});
