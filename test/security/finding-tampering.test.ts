/**
 * Attack: a message is an IAM.5 finding about some user, but its `Id` is the `Id` of another Security Hub
 * finding — a CRITICAL S3.1 finding of an account outside ALLOWED_ACCOUNTS, or another user's MFA finding.
 * The worker's role may update every finding of the organisation, so before the fix it set that finding to
 * RESOLVED (the user is compliant) or NOTIFIED (the user lacks MFA), silencing it.
 *
 * Through the real CLI worker and SDK against the local cloud; assertions read Security Hub's own state
 * (GetFindings, with an unmodified client) and the cloud's wire counters.
 */
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPolicyArn } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { ACCOUNT, type Harness, startHarness } from '../e2e/harness.ts';

const FOREIGN = '999999999999';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A CRITICAL S3.1 finding of an account the worker must never touch. */
function criticalS3Finding(): Record<string, unknown> {
  return makeFinding(
    {
      controlId: 'S3.1',
      accountId: FOREIGN,
      resources: [{ Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::payroll' }],
    },
    {
      Severity: { Label: 'CRITICAL', Normalized: 90 },
      Title: 'S3 general purpose buckets should block public access',
    },
  );
}

async function findingState(h: Harness, id: string) {
  const hub = new SecurityHubClient(h.clientOptions);
  const { Findings = [] } = await hub.send(
    new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } }),
  );
  hub.destroy();
  return Findings.map((f) => ({ status: f.Workflow?.Status, note: f.Note?.Text }));
}

const updates = (h: Harness) => h.cloud.stats().requests['securityhub:BatchUpdateFindings'] ?? 0;

describe('finding tampering', () => {
  it('a foreign CRITICAL finding’s Id on an IAM.5 finding is neither resolved nor notified', async () => {
    // Prepare: the foreign finding in Security Hub; carol (compliant) and dave (no MFA) in an allowed account.
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    const target = criticalS3Finding();
    await h.importFindings([target]);
    h.seed(ACCOUNT, [
      { userName: 'carol', consolePassword: true, mfa: true },
      { userName: 'dave', consolePassword: true },
    ]);
    const forged = (userName: string) =>
      makeSecurityHubEvent([makeFinding({ userName, accountId: ACCOUNT }, { Id: target.Id })]);
    await h.send([forged('carol'), forged('dave')]);
    // Act
    const run = await h.runWorker();
    // Assess: the foreign finding is as it was, and no update was even attempted.
    expect(run.stats.received).toBe(2);
    expect(await findingState(h, target.Id as string)).toEqual([{ status: 'NEW', note: undefined }]);
    expect(updates(h)).toBe(0);
    const outcomes = await h.outcomes();
    const byUser = Object.fromEntries(outcomes.map((o) => [o.userName, o]));
    expect(byUser.carol?.outcome).toBe('already-compliant');
    expect(byUser.dave?.outcome).toBe('enrollment-required');
    for (const outcome of [byUser.carol, byUser.dave]) {
      expect(outcome?.actions).toContainEqual({
        action: 'update-finding',
        result: 'skipped',
        reason: expect.stringContaining(`belongs to account ${FOREIGN}`),
      });
    }
    // The user's own state still follows IAM: dave is contained, whatever the finding said.
    expect(h.cloud.iam.getUser(ACCOUNT, 'dave')?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
  });

  it('another user’s MFA finding is not touched by a message about someone else; the real one is', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [
      { userName: 'erin', consolePassword: true },
      { userName: 'frank', consolePassword: true },
    ]);
    const erins = makeFinding({ userName: 'erin', accountId: ACCOUNT });
    const franks = makeFinding({ userName: 'frank', accountId: ACCOUNT });
    await h.importFindings([erins, franks]);
    // Frank's finding is genuine; the other message names frank but carries erin's finding Id.
    const forged = makeFinding({ userName: 'frank', accountId: ACCOUNT }, { Id: erins.Id });
    await h.send([makeSecurityHubEvent([forged])]);
    await h.runWorker();
    expect(await findingState(h, erins.Id as string)).toEqual([{ status: 'NEW', note: undefined }]);
    expect(updates(h)).toBe(0);
    const [outcome] = await h.outcomes();
    expect(outcome?.actions).toContainEqual({
      action: 'update-finding',
      result: 'skipped',
      reason: expect.stringContaining('is not about IAM user frank'),
    });
    // Frank's own finding, delivered as Security Hub sends it, is verified and updated.
    await h.send([makeSecurityHubEvent([franks])]);
    await h.runWorker();
    expect(await findingState(h, franks.Id as string)).toEqual([
      { status: 'NOTIFIED', note: expect.stringContaining('This IAM user must enable MFA by') },
    ]);
  });

  it('a finding Security Hub does not have is not updated; a re-delivery of one it has sends no update', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'gina', consolePassword: true }]);
    const real = makeFinding({ userName: 'gina', accountId: ACCOUNT });
    await h.importFindings([real]);
    const invented = makeFinding({ userName: 'gina', accountId: ACCOUNT }, { Id: `${real.Id as string}-x` });
    await h.send([makeSecurityHubEvent([invented])]);
    await h.runWorker();
    const [first] = await h.outcomes();
    expect(first?.actions).toContainEqual(
      expect.objectContaining({ action: 'update-finding', result: 'skipped' }),
    );
    expect(updates(h)).toBe(0);
    // The genuine one twice: updated once, then found already NOTIFIED with the same note.
    await h.send([makeSecurityHubEvent([real])]);
    await h.runWorker();
    await h.send([makeSecurityHubEvent([real])]);
    await h.runWorker();
    const [, again] = await h.outcomes();
    expect(again?.actions).toContainEqual({ action: 'update-finding', result: 'already-applied' });
    expect(updates(h)).toBe(1);
  });

  it('verifies findings in bulk: one GetFindings for an event of 20, one per batch of ten messages', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'notify' } });
    const h = harness;
    const names = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    h.seed(
      ACCOUNT,
      names.map((userName) => ({ userName, consolePassword: true, mfa: true })),
    );
    const findings = names.map((userName) => makeFinding({ userName, accountId: ACCOUNT }));
    await h.importFindings(findings.slice(0, 50));
    await h.importFindings(findings.slice(50));
    // One event of 20 findings, then 40 messages of one finding each.
    await h.send([makeSecurityHubEvent(findings.slice(0, 20))]);
    const single = await h.runWorker();
    expect(h.cloud.stats().requests['securityhub:GetFindings']).toBe(1);
    await h.send(findings.slice(20).map((f) => makeSecurityHubEvent([f])));
    const batched = await h.runWorker();
    // GetFindings takes up to 20 Id values: each receive of (at most ten) messages costs at most one call,
    // not ten, and receives that land together share one (at least 40 / 20 calls).
    expect(batched.stats.received).toBe(40);
    const reads = (h.cloud.stats().requests['securityhub:GetFindings'] ?? 0) - 1;
    expect(reads).toBeLessThanOrEqual(batched.stats.batches);
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(batched.stats.batches).toBeLessThan(40);
    expect(single.stats.batches).toBe(1);
    const resolved = await Promise.all(findings.map((f) => findingState(h, f.Id as string)));
    expect(resolved.every(([state]) => state?.status === 'RESOLVED')).toBe(true);
  });
});
