import { describe, expect, it, vi } from 'vitest';
import { processBatch } from '../../src/core/batch.ts';
import { guardPolicyArn } from '../../src/core/model.ts';
import { processRecord, type RecordInput } from '../../src/core/processor.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { ACCOUNT, createTestDeps } from '../helpers/deps.ts';

function task(body: Record<string, unknown>, overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    messageId: `m-${Math.random().toString(36).slice(2)}`,
    body: JSON.stringify(body),
    receiptHandle: 'rh',
    receiveCount: 1,
    ...overrides,
  };
}
const missing = (userName: string, accountId = ACCOUNT) => ({
  type: 'mfa-missing',
  accountId,
  userName,
  source: 'manual',
});

describe('processRecord', () => {
  it('processes a task, publishes its outcome and acknowledges', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    const result = await processRecord(task(missing('bob'), { messageId: 'abc' }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(result.status).toBe('acknowledged');
    expect(deps.published).toHaveLength(1);
    expect(deps.published[0]).toMatchObject({
      outcome: 'enrollment-required',
      trigger: { source: 'manual', messageId: 'abc' },
    });
  });

  it('parks a rejected body on the dead-letter queue with its reason, and acknowledges', async () => {
    const deps = createTestDeps();
    const body = '{"type":"mfa-missing","accountId":"12","userName":"bob","source":"manual"}';
    const result = await processRecord({ messageId: 'x', body, receiveCount: 1 }, deps, {
      allowedAccounts: '*',
      log: deps.log,
    });
    expect(result).toMatchObject({ status: 'acknowledged', parked: true });
    expect(deps.parked).toHaveLength(1);
    expect(deps.parked[0]?.body).toBe(body);
    expect(deps.parked[0]?.reason).toContain('accountId');
    expect(deps.parked[0]?.attributes).toEqual({ outcome: 'rejected', 'source-message-id': 'x' });
    expect(deps.published[0]).toMatchObject({ outcome: 'rejected' });
  });

  it('parks a rejected body once when its outcome is published only on a later receive', async () => {
    const deps = createTestDeps();
    deps.publishFailures = 1;
    const body = '{"type":"mfa-missing","accountId":"12","userName":"bob","source":"manual"}';
    const first = await processRecord({ messageId: 'x', body, receiveCount: 1 }, deps, {
      allowedAccounts: '*',
      log: deps.log,
    });
    const second = await processRecord({ messageId: 'x', body, receiveCount: 2 }, deps, {
      allowedAccounts: '*',
      log: deps.log,
    });
    expect(first.status).toBe('retry');
    expect(second).toMatchObject({ status: 'acknowledged', parked: true });
    expect(deps.parked.map((p) => p.body)).toEqual([body]);
    expect(deps.published.map((o) => o.outcome)).toEqual(['rejected']);
  });

  it('rejects findings from accounts that are not allowed', async () => {
    const deps = createTestDeps();
    await processRecord(task(missing('bob', '999999999999')), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(deps.published[0]).toMatchObject({ outcome: 'rejected' });
    expect(deps.published[0]?.reason).toContain('account-not-allowed');
    expect(deps.parked).toHaveLength(1);
  });

  it('retries a record whose conflict outlived tier 1, with exponential visibility backoff', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    deps.iam.failNext('TagUser', 'ConcurrentModification', 1000);
    const first = await processRecord(task(missing('bob'), { receiveCount: 1 }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
      deadline: Date.now() + 1200,
    });
    const third = await processRecord(task(missing('bob'), { receiveCount: 3 }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
      deadline: Date.now() + 100,
    });
    expect(first).toMatchObject({ status: 'retry', visibilitySeconds: 30, outcomes: [] });
    expect(third).toMatchObject({ status: 'retry', visibilitySeconds: 120 });
    expect(deps.published).toEqual([]);
  });

  it('publishes failed on the last receive before the message moves to the dead-letter queue', async () => {
    const deps = createTestDeps({ config: { maxReceiveCount: 3 } });
    deps.iam.addUser('bob');
    deps.iam.failNext('TagUser', 'ConcurrentModification', 1000);
    const result = await processRecord(task(missing('bob'), { receiveCount: 3 }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
      deadline: Date.now() + 100,
    });
    expect(result.status).toBe('retry');
    expect(deps.published).toHaveLength(1);
    expect(deps.published[0]).toMatchObject({
      outcome: 'failed',
      attempts: 3,
      userName: 'bob',
      error: { code: 'ConcurrentModification', retryable: true },
    });
    expect(deps.parked).toEqual([]);
  });

  it('parks a permanently failed body and acknowledges it (never retried)', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    deps.iam.failNext('AttachUserPolicy', 'AccessDenied', 1);
    const result = await processRecord(task(missing('bob')), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(result.status).toBe('acknowledged');
    expect(deps.published[0]?.outcome).toBe('failed');
    expect(deps.parked[0]?.attributes).toEqual({
      outcome: 'failed',
      'source-message-id': expect.stringMatching(/^m-/),
    });
  });

  it('retries the record when its outcome could not be published', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    deps.publishFailures = 1;
    const result = await processRecord(task(missing('bob')), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(result.status).toBe('retry');
    const again = await processRecord(task(missing('bob')), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(again.status).toBe('acknowledged');
    expect(deps.iam.users.get('bob')?.policies.has(guardPolicyArn(ACCOUNT))).toBe(true);
    expect(deps.iam.calls.get('AttachUserPolicy')).toBe(1);
  });

  it('on the last receive, an outcome it cannot publish keeps the message for the dead-letter queue', async () => {
    // SNS unreachable at the last receive: the outcome cannot be delivered, so the message must not be
    // acknowledged; SQS's redrive then keeps it on the dead-letter queue (the only guarantee left).
    const deps = createTestDeps({ config: { maxReceiveCount: 3 } });
    deps.iam.addUser('bob');
    deps.publishFailures = 1;
    const result = await processRecord(task(missing('bob'), { receiveCount: 3 }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    expect(result.status).toBe('retry');
    expect(deps.published).toEqual([]);
    expect(deps.parked).toEqual([]);
  });

  it('never logs or publishes submitted authentication codes', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    const body = {
      type: 'enrollment-codes',
      accountId: ACCOUNT,
      userName: 'bob',
      serialNumber: 'arn:aws:iam::111111111111:mfa/bob',
      code1: '918273',
      code2: '645546',
    };
    await processRecord(task(body), deps, { allowedAccounts: [ACCOUNT], log: deps.log });
    await processRecord(task({ ...body, code2: '64554x' }), deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
    });
    const everything = deps.lines.join('') + JSON.stringify(deps.published);
    expect(deps.published.length).toBe(2);
    expect(everything).not.toContain('918273');
    expect(everything).not.toContain('645546');
    expect(everything).not.toContain('64554x');
  });
});

describe('processBatch', () => {
  it('reports only the records that must be retried (partial batch response)', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('ok');
    deps.iam.addUser('busy');
    const busy = deps.iam.failNext.bind(deps.iam);
    busy('TagUser', 'ConcurrentModification', 1000);
    const records = [
      task(missing('ok'), { messageId: 'r-ok' }),
      { messageId: 'r-bad', body: 'not json', receiveCount: 1 },
    ];
    // 'ok' conflicts forever within its tiny budget; 'r-bad' is rejected and acknowledged.
    const result = await processBatch(records, deps, { log: deps.log, deadline: Date.now() + 1100 });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'r-ok' }]);
    expect(deps.visibility).toEqual([{ receiptHandle: 'rh', seconds: 30 }]);
    expect(deps.parked.map((p) => p.body)).toEqual(['not json']);
  });

  it('an unexpected throw fails only its own record', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('a');
    deps.iam.addUser('b');
    const original = deps.iam.listMfaDevices.bind(deps.iam);
    vi.spyOn(deps.iam, 'listMfaDevices').mockImplementation(async (userName) => {
      if (userName === 'a') throw new TypeError('bug');
      return original(userName);
    });
    const result = await processBatch(
      [task(missing('a'), { messageId: 'r-a' }), task(missing('b'), { messageId: 'r-b' })],
      deps,
      { log: deps.log },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'r-a' }]);
    expect(deps.published.map((o) => o.userName)).toEqual(['b']);
  });

  it('runs records for the same user in order, others concurrently', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    deps.iam.addUser('carol');
    const order: string[] = [];
    const original = deps.iam.listMfaDevices.bind(deps.iam);
    vi.spyOn(deps.iam, 'listMfaDevices').mockImplementation(async (userName) => {
      order.push(`start ${userName}`);
      await new Promise((resolve) => setTimeout(resolve, userName === 'bob' ? 30 : 5));
      order.push(`end ${userName}`);
      return original(userName);
    });
    await processBatch(
      [
        task(missing('bob'), { messageId: '1' }),
        task({ type: 'verify', accountId: ACCOUNT, userName: 'bob' }, { messageId: '2' }),
        task(missing('carol'), { messageId: '3' }),
      ],
      deps,
      { log: deps.log, concurrency: 4 },
    );
    const bobRuns = order.filter((line) => line.endsWith('bob'));
    expect(bobRuns).toEqual(['start bob', 'end bob', 'start bob', 'end bob']);
    expect(order.indexOf('start carol')).toBeLessThan(order.indexOf('end bob'));
  });

  it('runs records in order when a user is named by both, even after another user', async () => {
    const deps = createTestDeps();
    for (const name of ['a', 'b', 'x']) deps.iam.addUser(name);
    const event = (...users: string[]) =>
      makeSecurityHubEvent(users.map((userName) => makeFinding({ userName, accountId: ACCOUNT })));
    const running = new Set<string>();
    let overlapped = false;
    const original = deps.iam.listMfaDevices.bind(deps.iam);
    vi.spyOn(deps.iam, 'listMfaDevices').mockImplementation(async (userName) => {
      if (running.has(userName)) overlapped = true;
      running.add(userName);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running.delete(userName);
      return original(userName);
    });
    await processBatch(
      [task(event('a', 'x'), { messageId: '1' }), task(event('b', 'x'), { messageId: '2' })],
      deps,
      { log: deps.log, concurrency: 4 },
    );
    expect(overlapped).toBe(false);
    expect(deps.iam.calls.get('AttachUserPolicy')).toBe(3);
    expect(deps.iam.calls.get('TagUser')).toBe(3);
  });

  it('does not start records after the deadline: they are handed back untouched', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    const result = await processBatch([task(missing('bob'), { messageId: 'late' })], deps, {
      log: deps.log,
      deadline: Date.now() - 1,
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'late' }]);
    expect(deps.iam.totalCalls()).toBe(0);
  });

  it('checks the deadline between items: the rest goes on as a continuation, the done ones are not redone', async () => {
    // Prepare: ten findings; IAM gets slow after the fourth user, so the deadline passes mid-record.
    const deps = createTestDeps();
    const names = Array.from({ length: 10 }, (_, i) => `u${i}`);
    for (const name of names) deps.iam.addUser(name);
    const findings = names.map((userName) => makeFinding({ userName, accountId: ACCOUNT }));
    const body = JSON.stringify(makeSecurityHubEvent(findings, { kind: 'custom-action' }));
    const deadline = Date.now() + 10_000;
    const realNow = Date.now;
    let done = 0;
    const listTags = deps.iam.listUserTags.bind(deps.iam);
    deps.iam.listUserTags = async (userName) => {
      if (++done === 4) vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 20_000);
      return listTags(userName);
    };
    // Act
    const result = await processRecord({ messageId: 'orig', body, receiveCount: 1 }, deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
      deadline,
    });
    vi.restoreAllMocks();
    // Assess: four users done and reported, the other six handed on in a body of their own.
    expect(result.status).toBe('acknowledged');
    expect(deps.published.map((o) => o.userName)).toEqual(names.slice(0, 4));
    expect(deps.requeued).toHaveLength(1);
    const [continuation] = deps.requeued;
    expect(continuation?.attributes).toEqual({ 'continues-message-id': 'orig' });
    const rest = JSON.parse(continuation?.body ?? '{}');
    expect(rest['detail-type']).toBe('Security Hub Findings - Custom Action');
    expect(rest.detail.findings).toEqual(findings.slice(4));
    // The continuation's outcomes name the original message; users 0-3 are not touched again.
    deps.iam.calls.clear();
    await processRecord(
      { messageId: 'next', body: continuation?.body ?? '', receiveCount: 1, continues: 'orig' },
      deps,
      { allowedAccounts: [ACCOUNT], log: deps.log },
    );
    expect(deps.published.map((o) => o.userName)).toEqual(names);
    expect(new Set(deps.published.map((o) => o.trigger.messageId))).toEqual(new Set(['orig']));
    expect(deps.iam.calls.get('TagUser')).toBe(6);
  });

  it('a record with no item done by the deadline goes back to SQS at once, nothing published', async () => {
    const deps = createTestDeps();
    deps.iam.addUser('bob');
    const body = JSON.stringify(makeSecurityHubEvent([makeFinding({ userName: 'bob', accountId: ACCOUNT })]));
    const result = await processRecord({ messageId: 'm', body, receiveCount: 1 }, deps, {
      allowedAccounts: [ACCOUNT],
      log: deps.log,
      deadline: Date.now() - 1,
    });
    expect(result).toMatchObject({ status: 'retry', visibilitySeconds: 0, outcomes: [] });
    expect(deps.published).toEqual([]);
    expect(deps.requeued).toEqual([]);
    expect(deps.iam.totalCalls()).toBe(0);
  });

  it('without a dead-letter queue, a rejected body is acknowledged with its outcome, never looped', async () => {
    const deps = createTestDeps();
    (deps.queue as { park: unknown }).park = async () => 'unavailable';
    const result = await processRecord({ messageId: 'x', body: 'not json', receiveCount: 1 }, deps, {
      allowedAccounts: '*',
      log: deps.log,
    });
    expect(result.status).toBe('acknowledged');
    expect(result.parked).toBeUndefined();
    expect(deps.published.map((o) => o.outcome)).toEqual(['rejected']);
  });
});
