/**
 * Fuzzing the worker's front door: arbitrary JSON, arbitrary text and mutations of valid messages.
 * Whatever arrives, the batch handler never throws, every record is either processed or rejected with a reason
 * and parked (never retried in a loop), and the valid messages are processed. Runs reduced in `npm test`
 * and at full size with `npm run test:reliability` (RELIABILITY_SCALE=full).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { processBatch } from '../../src/core/batch.ts';
import type { RecordInput } from '../../src/core/processor.ts';
import {
  makeConfigEvent,
  makeFinding,
  makeSecurityHubEvent,
  makeTask,
  wrapInSns,
} from '../../src/local/findings.ts';
import { ACCOUNT, createTestDeps } from '../helpers/deps.ts';

const FULL = process.env.RELIABILITY_SCALE === 'full';
const RUNS = FULL ? 2000 : 150;

const validMessages: unknown[] = [
  makeSecurityHubEvent([makeFinding({ userName: 'bob', accountId: ACCOUNT })]),
  makeSecurityHubEvent([makeFinding({ userName: 'bob', accountId: ACCOUNT, controlId: 'IAM.19' })], {
    kind: 'custom-action',
  }),
  makeFinding({ userName: 'bob', accountId: ACCOUNT }),
  { findings: [makeFinding({ userName: 'carol', accountId: ACCOUNT })] },
  makeConfigEvent({ accountId: ACCOUNT, resourceId: 'AIDA00000000000000001' }),
  makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'bob', source: 'manual' }),
  makeTask('verify', { accountId: ACCOUNT, userName: 'carol' }),
  wrapInSns(makeTask('verify', { accountId: ACCOUNT, userName: 'bob' })),
];

/** Sets `value` at a random path of a JSON value (or deletes the key when `value` is undefined). */
function mutate(message: unknown, pathSeed: number, value: unknown): unknown {
  const copy = structuredClone(message);
  let node: unknown = copy;
  let steps = (pathSeed % 6) + 1;
  let index = pathSeed;
  while (steps-- > 0 && node && typeof node === 'object') {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[index % keys.length] as string;
    index = Math.floor(index / 7) + 3;
    const child = (node as Record<string, unknown>)[key];
    if (steps === 0 || !child || typeof child !== 'object') {
      if (value === undefined) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = value;
      break;
    }
    node = child;
  }
  return copy;
}

const bodyArbitrary = fc.oneof(
  fc.json().map((json) => ({ body: json, valid: false })),
  fc.string().map((text) => ({ body: text, valid: false })),
  fc
    .tuple(fc.constantFrom(...validMessages), fc.nat(), fc.oneof(fc.constant(undefined), fc.jsonValue()))
    .map(([message, seed, value]) => ({ body: JSON.stringify(mutate(message, seed, value)), valid: false })),
  fc.constantFrom(...validMessages).map((message) => ({ body: JSON.stringify(message), valid: true })),
);

function worldDeps() {
  const deps = createTestDeps();
  deps.iam.addUser('bob');
  deps.iam.addUser('carol', { devices: ['arn:aws:iam::111111111111:mfa/carol'] });
  deps.iam.addUser('dave', { userId: 'AIDA00000000000000001' });
  return deps;
}

/** Whether a body is JSON at all, and if so an object (every accepted shape is a JSON object). */
function jsonObject(body: string): boolean {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The outcome names each valid message gets when processed alone, to compare with processing amid noise. */
const alone = new Map<string, string[]>();

beforeAll(async () => {
  for (const message of validMessages) {
    const deps = worldDeps();
    const body = JSON.stringify(message);
    const result = await processBatch([{ messageId: 'alone', body, receiveCount: 1 }], deps, {
      log: deps.log,
    });
    alone.set(body, result.results[0]?.outcomes.map((o) => o.outcome) ?? []);
  }
});

describe('fuzzing intake and record processing', () => {
  it('the valid messages, processed alone, all do work (none rejected, failed or ignored)', () => {
    expect([...alone.values()].flat().length).toBeGreaterThanOrEqual(validMessages.length);
    for (const [body, names] of alone) {
      expect(names.length, body).toBeGreaterThan(0);
      expect(
        names.filter((n) => ['rejected', 'failed', 'ignored'].includes(n)),
        body,
      ).toEqual([]);
    }
  });

  it('never throws; rejects and parks what is invalid; processes what is valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bodyArbitrary, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const deps = worldDeps();
        const records: RecordInput[] = bodies.map(({ body }, i) => ({
          messageId: `m${i}`,
          body,
          receiptHandle: `rh${i}`,
          receiveCount: 1,
        }));
        const result = await processBatch(records, deps, { log: deps.log });
        // No poison loop: nothing is handed back for retry (the fake IAM has no transient errors).
        expect(result.batchItemFailures).toEqual([]);
        expect(result.results).toHaveLength(records.length);
        for (const [i, record] of records.entries()) {
          const outcomes = result.results.find((r) => r.messageId === record.messageId)?.outcomes ?? [];
          expect(outcomes.length).toBeGreaterThan(0);
          const rejected = outcomes.filter((o) => o.outcome === 'rejected' || o.outcome === 'failed');
          for (const o of rejected) expect(o.reason?.length ?? 0).toBeGreaterThan(0);
          if (rejected.length > 0) expect(deps.parked.some((p) => p.body === record.body)).toBe(true);
          // Not JSON, or JSON but not an object: one outcome, rejected with a reason, parked.
          if (!jsonObject(record.body)) expect(outcomes.map((o) => o.outcome)).toEqual(['rejected']);
          // A valid message amid noise gets the outcomes it gets alone.
          if (bodies[i]?.valid) expect(outcomes.map((o) => o.outcome)).toEqual(alone.get(record.body));
        }
        // Parked exactly once each: what was rejected or failed, and nothing else.
        const mustPark = result.results.filter((r) =>
          r.outcomes.some((o) => o.outcome === 'rejected' || o.outcome === 'failed'),
        );
        expect(deps.parked).toHaveLength(mustPark.length);
        expect(deps.published.length).toBe(result.results.reduce((n, r) => n + r.outcomes.length, 0));
      }),
      { numRuns: RUNS },
    );
  });
});
