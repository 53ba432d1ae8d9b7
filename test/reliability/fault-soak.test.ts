/**
 * Fault soak: hundreds of findings about a mixed population (custodial users and users submitting codes
 * among them, and attempts to hijack an enrolled user's MFA), processed by the real poller through real SDK
 * clients against the local cloud while IAM conflicts, throttling, failing SNS publishes, and faults of SQS,
 * STS, Security Hub and Secrets Manager are injected, after an SNS outage during the first batch. Tier 1 (p-retry) absorbs most conflicts; what
 * outlives it, and every record whose outcomes could not be published, comes back through SQS visibility
 * backoff, which the test fast-forwards by moving the cloud's clock whenever everything left is backed off.
 * At the end: a terminal outcome for every finding, nothing lost, the dead-letter queue holding only the
 * malformed bodies, every user's IAM end state right, no side effect twice, and no secret in any log line
 * or outcome.
 *
 * Reduced in `npm test`; `npm run test:reliability` runs it with 500 findings. RELIABILITY_SEED replays a run.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { captureLogger } from '../helpers/deps.ts';
import { countFindings } from '../helpers/reliability-population.ts';
import {
  assessRun,
  CLOCK_STEP_MS,
  countConflictRetries,
  createInProcessWorker,
  describeRun,
  FULL,
  populate,
  queueDepth,
  startWorld,
  type World,
} from '../helpers/reliability-world.ts';
import { linesOf } from '../helpers/secrets-scan.ts';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20_261_123);
const FINDINGS = FULL ? 500 : 60;
/**
 * The fault SPEC syntax of docs/reference.md (Local cloud). SNS: InternalError (500) is retried by the SDK (maxAttempts 3) and reaches the worker
 * only when all three attempts fail; KMSThrottling (an encrypted topic's KMS quota) is not retried by the
 * SDK, so the worker sees it at once.
 */
const FAULTS = [
  'iam:write=ConcurrentModification:0.3',
  'iam:write=EntityTemporarilyUnmodifiable:0.1',
  'iam:*=Throttling:0.05',
  'sns:PublishBatch=InternalError:0.3',
  'sns:PublishBatch=KMSThrottling:0.1',
  // A failed delete means the message comes back: everything must converge on a second delivery too.
  'sqs:DeleteMessageBatch=InternalError:0.5',
  'sqs:ReceiveMessage=InternalError:0.2',
  'sqs:ChangeMessageVisibility=InternalError:0.3',
  // Credentials into the member account: retried by the SDK, then through SQS.
  'sts:AssumeRole=Throttling:0.7',
  // Finding verification and updates are best effort: the IAM end state must not depend on them.
  'securityhub:*=InternalError:0.4',
  // The custodial escrow: a failure between creating and enabling a device is rolled back.
  'secretsmanager:*=InternalError:0.4',
].join(',');
/** An SNS outage, during the first batch only. */
const OUTAGE = 'sns:PublishBatch=KMSThrottling:1';
/** Each round replays what was backed off; MAX_RECEIVE_COUNT (8) bounds the rounds a message can need. */
const MAX_ROUNDS = 12;

let world: World;

beforeAll(async () => {
  // A little latency keeps requests in flight long enough for concurrent records to overlap.
  world = await startWorld({
    seed: SEED,
    latencyMs: 3,
    services: ['iam', 'sts', 'sns', 'secretsmanager', 'securityhub'],
  });
});

afterAll(async () => {
  await world?.close();
});

describe('fault soak', () => {
  it(
    `every one of ${FINDINGS} findings reaches its terminal outcome under faults of IAM, SNS, SQS, STS, Security Hub and Secrets Manager, side effects once`,
    async () => {
      onTestFailed(() => {
        console.error(`fault soak failed: RELIABILITY_SEED=${SEED} FAULTS=${FAULTS}`);
      });
      // Prepare: the population, seeded straight into the cloud; then the faults; then the worker.
      const { cloud, clock, pipeline, sqs } = world;
      const { users, messages } = await populate(world, {
        findings: FINDINGS,
        seed: SEED,
        // Enough custodial users that Secrets Manager is called a few dozen times even at the reduced size:
        // with a handful of calls, a 0.4 fault rate fires none about one run in ten, and the run would not
        // exercise what it claims.
        custodial: FULL ? 10 : 30,
        codes: 8,
      });
      // The first records meet an SNS outage on top of the faults: they do their IAM work, cannot publish,
      // and must come back through tier 2 (which the random faults alone may not make happen). It lasts until
      // ten records were refused, not for one receive: a receive may hold fewer than ten messages.
      cloud.setFaults(`${FAULTS},${OUTAGE}`);
      const outageRecords = Math.min(10, messages.length);
      let refused = 0;
      const { log, lines } = captureLogger();
      const poller = createInProcessWorker(world, {
        log,
        onBatch: (result) => {
          if (refused >= outageRecords) return;
          refused += result.batchItemFailures.length;
          if (refused >= outageRecords) cloud.setFaults(FAULTS);
        },
      });

      // Act: drain the queue, fast-forwarding over backoffs whenever nothing is visible.
      let rounds = 0;
      let stats = await poller.run();
      while ((await queueDepth(sqs, pipeline.queueUrl)) > 0) {
        rounds++;
        expect(rounds, 'messages still on the queue after every backoff was fast-forwarded').toBeLessThan(
          MAX_ROUNDS,
        );
        clock.advance(CLOCK_STEP_MS);
        stats = await poller.run();
      }
      cloud.setFaults('');
      const faults = cloud.stats().faults;

      // Assess.
      // A failed DeleteMessageBatch redelivers a message: a rejected body may then be parked twice.
      const assessment = await assessRun(world, {
        users,
        messages,
        texts: linesOf('log', lines),
        crashes: true,
      });
      const tier1Retries = countConflictRetries(lines);
      console.log(
        `fault soak: ${describeRun({
          seed: SEED,
          findings: countFindings(messages),
          messages: messages.length,
          users: users.length,
          outcomes: assessment.outcomes,
          duplicates: assessment.duplicates,
          parked: assessment.parked,
          rounds,
          receives: stats.received,
          recordRetries: stats.retried,
          tier1Retries,
          faults,
          writes: assessment.writes,
          secretsChecked: assessment.secrets.all().length,
        })}`,
      );
      // The run exercised what it claims: faults fired, both retry tiers worked, outcomes had to be retried.
      const iamFaults = Object.entries(faults)
        .filter(([key]) => key.startsWith('iam:'))
        .reduce((n, [, v]) => n + v, 0);
      expect(iamFaults).toBeGreaterThan(0);
      expect(faults['sns:PublishBatch'] ?? 0).toBeGreaterThan(0);
      for (const service of ['sqs', 'sts', 'securityhub', 'secretsmanager']) {
        const fired = Object.entries(faults).filter(([key]) => key.startsWith(`${service}:`));
        expect(
          fired.reduce((n, [, v]) => n + v, 0),
          `${service} faults`,
        ).toBeGreaterThan(0);
      }
      // The population exercised what it claims: custodial enrolments and submitted codes.
      expect(users.filter((u) => u.kind === 'custodial').length).toBeGreaterThan(0);
      expect(users.filter((u) => u.kind === 'codes').length).toBeGreaterThan(0);
      expect(assessment.secrets.count('code')).toBeGreaterThan(0);
      expect(tier1Retries).toBeGreaterThan(0);
      expect(stats.retried).toBeGreaterThanOrEqual(outageRecords);
      expect(rounds).toBeGreaterThan(0);
      expect(countFindings(messages)).toBeGreaterThanOrEqual(FINDINGS * 0.9);
    },
    FULL ? 900_000 : 120_000,
  );
});
