/**
 * The whole pipeline end to end: Security Hub findings imported into the local cloud and their
 * EventBridge events on the remediation queue → `mfa-remediation worker` → IAM end state, Security Hub
 * workflow and outcome messages read back from a queue subscribed to the outcome topic. Then the same under
 * injected faults: tier-1 retries absorb sporadic conflicts, tier-2 backs a stuck record off through SQS, and
 * the last receive publishes `failed` before the message moves to the dead-letter queue.
 */
import { CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPolicyArn, type Outcome, TAGS } from '../../src/core/model.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { makeFinding, makeSecurityHubEvent, makeTask } from '../../src/local/findings.ts';
import { ACCOUNT, type Harness, MEMBER, startHarness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const byUser = (outcomes: readonly Outcome[]) => {
  const map = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const key = `${o.accountId}/${o.userName}`;
    map.set(key, [...(map.get(key) ?? []), o]);
  }
  return map;
};

/** Runs the worker until the queue is empty, moving the clock past tier-2 backoffs in between. */
async function runUntilDrained(h: Harness, maxRuns = 12): Promise<number> {
  for (let run = 1; run <= maxRuns; run++) {
    const result = await h.runWorker();
    const depth = await h.queueDepth();
    // A run that leaves a retried message on the queue says so with exit status 1 (docs/reference.md: Exit status).
    expect(result.status, result.stderr).toBe(depth.visible + depth.inFlight > 0 ? 1 : 0);
    if (depth.visible + depth.inFlight === 0) return run;
    h.advance(16 * 60_000); // past the largest backoff (900 s + jitter)
  }
  throw new Error(`the queue did not drain in ${maxRuns} worker runs`);
}

describe('Security Hub event → queue → worker → IAM, Security Hub and the outcome topic', () => {
  it('contains, releases, exempts and skips exactly as the findings require, in two accounts', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce', MFA_SCOPE: 'console-users' } });
    const h = harness;
    h.seed(ACCOUNT, [
      { userName: 'alice', consolePassword: true, mfa: true },
      { userName: 'bob', consolePassword: true, mfa: false, accessKeys: 1 },
      { userName: 'svc-ci', consolePassword: false, mfa: false, accessKeys: 1 },
      { userName: 'break-glass', consolePassword: true, mfa: false, tags: { [TAGS.exempt]: 'true' } },
    ]);
    h.seed(MEMBER, [{ userName: 'frank', consolePassword: true, mfa: false }]);
    const findings = [
      makeFinding({ userName: 'alice', accountId: ACCOUNT }),
      makeFinding({ userName: 'bob', accountId: ACCOUNT }),
      makeFinding({ userName: 'svc-ci', accountId: ACCOUNT, controlId: 'IAM.19' }),
      makeFinding({ userName: 'break-glass', accountId: ACCOUNT }),
      makeFinding({ userName: 'frank', accountId: MEMBER }),
    ];
    await h.importFindings(findings);
    // One event with several findings, and Security Hub's daily re-import of bob's finding.
    await h.send([makeSecurityHubEvent(findings), makeSecurityHubEvent([findings[1]])]);

    const run = await h.runWorker();

    expect(run.status, run.stderr).toBe(0);
    expect(run.stats).toMatchObject({ received: 2, acknowledged: 2, retried: 0 });
    const outcomes = byUser(await h.outcomes());
    expect([...outcomes.keys()].sort()).toEqual(
      [
        `${ACCOUNT}/alice`,
        `${ACCOUNT}/bob`,
        `${ACCOUNT}/break-glass`,
        `${ACCOUNT}/svc-ci`,
        `${MEMBER}/frank`,
      ].sort(),
    );
    expect(outcomes.get(`${ACCOUNT}/alice`)?.map((o) => o.outcome)).toEqual(['already-compliant']);
    expect(outcomes.get(`${ACCOUNT}/svc-ci`)?.map((o) => o.outcome)).toEqual(['not-applicable']);
    expect(outcomes.get(`${ACCOUNT}/break-glass`)?.map((o) => o.outcome)).toEqual(['exempt']);
    expect(outcomes.get(`${MEMBER}/frank`)?.map((o) => o.outcome)).toEqual(['enrollment-required']);
    // The duplicate converges: the second delivery finds everything in place.
    const bob = outcomes.get(`${ACCOUNT}/bob`) ?? [];
    expect(bob.map((o) => o.outcome)).toEqual(['enrollment-required', 'enrollment-required']);
    expect(bob.every((o) => o.trigger.source === 'security-hub' && o.deadline !== undefined)).toBe(true);
    const attach = bob.flatMap((o) => o.actions.filter((a) => a.action === 'attach-guard-policy'));
    expect(attach.map((a) => a.result).sort()).toEqual(['already-applied', 'applied']);

    // IAM is the source of truth: guard attached once, state and deadline tagged; nobody else touched.
    const bobIam = h.cloud.iam.getUser(ACCOUNT, 'bob');
    expect(bobIam?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
    expect(bobIam?.tags[TAGS.state]).toBe('enrollment-required');
    expect(Date.parse(bobIam?.tags[TAGS.deadline] ?? '')).toBeGreaterThan(Date.now());
    expect(h.cloud.iam.getUser(MEMBER, 'frank')?.attachedPolicyArns).toEqual([guardPolicyArn(MEMBER)]);
    for (const name of ['alice', 'svc-ci', 'break-glass']) {
      const user = h.cloud.iam.getUser(ACCOUNT, name);
      expect(user?.attachedPolicyArns, name).toEqual([]);
      expect(
        Object.keys(user?.tags ?? {}).filter((k) => k !== TAGS.exempt),
        name,
      ).toEqual([]);
    }
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.hasLoginProfile).toBe(true); // nothing destructive

    // Security Hub follows: contained → NOTIFIED, compliant → RESOLVED, exempt untouched.
    expect(await h.workflowStatus(String(findings[1]?.Id))).toBe('NOTIFIED');
    expect(await h.workflowStatus(String(findings[0]?.Id))).toBe('RESOLVED');
    expect(await h.workflowStatus(String(findings[3]?.Id))).toBe('NEW');
    expect(await h.workflowStatus(String(findings[4]?.Id))).toBe('NOTIFIED');
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 0 });
    expect(await h.deadLetters()).toEqual([]);
    // Member-account work went through AssumeRole into the member role.
    expect(h.cloud.stats().requests['sts:AssumeRole']).toBeGreaterThanOrEqual(1);
  });

  it('enables the device from two submitted codes, releases the guard and resolves the finding', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true, mfa: false }]);
    const finding = makeFinding({ userName: 'bob', accountId: ACCOUNT });
    await h.importFindings([finding]);
    await h.send([makeSecurityHubEvent([finding])]);
    await h.runWorker();
    expect((await h.outcomes()).map((o) => o.outcome)).toEqual(['enrollment-required']);

    // Bob creates a virtual device under the guard (self-service) and submits two consecutive codes.
    const iam = new IAMClient(h.clientOptions);
    const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'bob' }));
    const serial = device.VirtualMFADevice?.SerialNumber ?? '';
    const seed = h.cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';
    const [code1, code2] = consecutiveCodes(seed, Date.now());
    await h.send([
      makeTask('enrollment-codes', {
        accountId: ACCOUNT,
        userName: 'bob',
        serialNumber: serial,
        code1,
        code2,
      }),
    ]);
    await h.runWorker();
    iam.destroy();

    const [outcome] = await h.outcomes();
    expect(outcome).toMatchObject({ outcome: 'remediated', userName: 'bob', accountId: ACCOUNT });
    expect(outcome?.actions.map((a) => `${a.action}:${a.result}`)).toEqual(
      expect.arrayContaining([
        'enable-mfa-device:applied',
        'detach-guard-policy:applied',
        'untag-user:applied',
      ]),
    );
    const bob = h.cloud.iam.getUser(ACCOUNT, 'bob');
    expect(bob?.mfaSerialNumbers).toEqual([serial]);
    expect(bob?.attachedPolicyArns).toEqual([]);
    expect(Object.keys(bob?.tags ?? {}).filter((k) => k.startsWith(TAGS.prefix))).toEqual([]);
    // The codes never leave the worker: not in the published outcome.
    expect(JSON.stringify(outcome)).not.toContain(code1);
    expect(JSON.stringify(outcome)).not.toContain(code2);
  });

  it('rejects bad input with a reason, parks it on the dead-letter queue and never retries it', async () => {
    harness = await startHarness();
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true }]);
    await h.send([
      '{"type":"mfa-missing","accountId":"not-an-account","userName":"mallory","source":"manual"}',
      makeSecurityHubEvent([makeFinding({ userName: 'eve', accountId: '999999999999' })]),
    ]);

    const run = await h.runWorker();

    expect(run.stats).toMatchObject({ received: 2, acknowledged: 2 });
    const outcomes = await h.outcomes();
    expect(outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected']);
    expect(outcomes.map((o) => o.reason).join('\n')).toMatch(/accountId/);
    expect(outcomes.map((o) => o.reason).join('\n')).toMatch(/account-not-allowed/);
    const parked = await h.deadLetters();
    expect(parked).toHaveLength(2);
    for (const message of parked) {
      expect(message.MessageAttributes?.['rejection-reason']?.StringValue).toBeTruthy();
    }
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe('under injected faults', () => {
  it('converges under sporadic ConcurrentModification and throttling on every IAM write', async () => {
    harness = await startHarness({ randomSeed: 20261123, env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    const names = Array.from({ length: 24 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
    h.seed(
      ACCOUNT,
      names.map((userName, i) => ({ userName, consolePassword: true, mfa: i % 3 === 0 })),
    );
    const findings = names.map((userName) => makeFinding({ userName, accountId: ACCOUNT }));
    await h.importFindings(findings);
    h.cloud.setFaults(
      'iam:write=ConcurrentModification:0.4,iam:write=EntityTemporarilyUnmodifiable:0.1,iam:*=Throttling:0.05',
    );
    await h.send(findings.map((f) => makeSecurityHubEvent([f])));

    await runUntilDrained(h);

    const stats = h.cloud.stats();
    expect(Object.values(stats.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    const outcomes = byUser(await h.outcomes());
    names.forEach((userName, i) => {
      const final = outcomes.get(`${ACCOUNT}/${userName}`)?.at(-1);
      expect(final?.outcome, userName).toBe(i % 3 === 0 ? 'already-compliant' : 'enrollment-required');
      const user = h.cloud.iam.getUser(ACCOUNT, userName);
      expect(user?.attachedPolicyArns, userName).toEqual(i % 3 === 0 ? [] : [guardPolicyArn(ACCOUNT)]);
      if (i % 3 !== 0) expect(user?.tags[TAGS.state], userName).toBe('enrollment-required');
    });
    expect([...outcomes.values()].flat().filter((o) => o.outcome === 'failed')).toEqual([]);
    expect(await h.deadLetters()).toEqual([]);
  });

  it('backs a stuck record off through SQS (tier 2) and finishes it once IAM clears', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true }]);
    h.cloud.setFaults('iam:AttachUserPolicy=ConcurrentModification:1');
    await h.send([makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'bob', source: 'manual' })]);

    const first = await h.runWorker();

    expect(first.stats).toMatchObject({ received: 1, acknowledged: 0, retried: 1 });
    expect(await h.outcomes()).toEqual([]); // not terminal yet: nothing published
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 1 });
    // The first backoff is 30 s ± 20 %: still invisible after 20 s, visible after 40 s.
    h.advance(20_000);
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 1 });
    h.advance(20_000);
    expect(await h.queueDepth()).toEqual({ visible: 1, inFlight: 0 });
    h.cloud.setFaults('');
    const second = await h.runWorker();

    expect(second.stats).toMatchObject({ received: 1, acknowledged: 1 });
    const [outcome] = await h.outcomes();
    expect(outcome).toMatchObject({ outcome: 'enrollment-required', attempts: 2 });
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
  });

  it('publishes failed on the last receive, then SQS moves the message to the dead-letter queue', async () => {
    harness = await startHarness({ pipeline: { maxReceiveCount: 2 }, env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true }]);
    h.cloud.setFaults('iam:AttachUserPolicy=ConcurrentModification:1');
    const task = makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'bob', source: 'manual' });
    await h.send([task]);

    await h.runWorker(); // receive 1: tier 1 gives up, tier 2 backs off
    h.advance(40_000);
    await h.runWorker(); // receive 2 = MAX_RECEIVE_COUNT: failed is published
    h.advance(5_000);
    await h.runWorker(); // receive 3 would exceed maxReceiveCount: SQS redrives instead

    const outcomes = await h.outcomes();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      outcome: 'failed',
      userName: 'bob',
      attempts: 2,
      error: { retryable: true },
    });
    expect(outcomes[0]?.error?.code).toMatch(/ConcurrentModification/);
    const parked = await h.deadLetters();
    expect(parked.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([task]);
    expect(await h.queueDepth()).toEqual({ visible: 0, inFlight: 0 });
    // The tag written before the failing attach is the only change: a later delivery resumes from it.
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.attachedPolicyArns).toEqual([]);
  });
});
