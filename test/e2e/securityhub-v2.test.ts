/**
 * AWS Security Hub's OCSF generation end to end: OCSF findings in the local cloud's Security Hub V2 store,
 * their "Findings Imported V2" events on the remediation queue → `mfa-remediation worker` → IAM, the findings'
 * status through GetFindingsV2 / BatchUpdateFindingsV2, and the outcome topic. Then the attack: V2 events
 * that pair a real finding uid with a claim it does not support never get that finding updated. And both
 * Security Hubs side by side: the ASFF and the OCSF finding of one user contain them once, and each finding
 * is updated through its own API.
 */
import { GetFindingsV2Command, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPolicyArn, type Outcome, TAGS } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { makeOcsfEvent, makeOcsfFinding } from '../../src/local/findings-ocsf.ts';
import { ACCOUNT, type Harness, MEMBER, startHarness } from './harness.ts';

let harness: Harness | undefined;
let hub: SecurityHubClient | undefined;
afterEach(async () => {
  hub?.destroy();
  hub = undefined;
  await harness?.close();
  harness = undefined;
});

type Ocsf = Record<string, unknown>;
const uidOf = (finding: Ocsf) => (finding.metadata as { uid: string }).uid;

/** Imports OCSF findings through the admin API, as a test or the demo does. */
async function importOcsf(h: Harness, findings: readonly Ocsf[]): Promise<void> {
  const response = await fetch(`${h.cloud.url}/_local/securityhub/v2/findings`, {
    method: 'POST',
    body: JSON.stringify({ findings }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** The finding as GetFindingsV2 returns it to any SDK caller. */
async function v2Finding(h: Harness, finding: Ocsf): Promise<Ocsf | undefined> {
  hub ??= new SecurityHubClient(h.clientOptions);
  const response = await hub.send(
    new GetFindingsV2Command({
      Filters: {
        CompositeFilters: [
          {
            StringFilters: [
              { FieldName: 'metadata.uid', Filter: { Value: uidOf(finding), Comparison: 'EQUALS' } },
            ],
          },
        ],
      },
    }),
  );
  return response.Findings?.[0] as Ocsf | undefined;
}

const byUser = (outcomes: readonly Outcome[]) =>
  new Map(outcomes.map((o) => [`${o.accountId}/${o.userName}`, o] as const));

describe('Findings Imported V2 → queue → worker → IAM, Security Hub V2 and the outcome topic', () => {
  it('contains and resolves by the OCSF findings, in two accounts, updating them with BatchUpdateFindingsV2', async () => {
    // Prepare
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce', MFA_SCOPE: 'console-users' } });
    const h = harness;
    h.seed(ACCOUNT, [
      { userName: 'alice', consolePassword: true, mfa: true },
      { userName: 'bob', consolePassword: true, mfa: false },
    ]);
    h.seed(MEMBER, [{ userName: 'frank', consolePassword: true, mfa: false }]);
    const alice = makeOcsfFinding({ userName: 'alice', accountId: ACCOUNT });
    const bob = makeOcsfFinding({ userName: 'bob', accountId: ACCOUNT });
    const frank = makeOcsfFinding({ userName: 'frank', accountId: MEMBER, resourceType: 'AwsIamUser' });
    await importOcsf(h, [alice, bob, frank]);
    const before = await v2Finding(h, bob);
    // One finding per event, as Security Hub sends them.
    await h.send([makeOcsfEvent([alice]), makeOcsfEvent([bob]), makeOcsfEvent([frank])]);

    // Act
    const run = await h.runWorker();

    // Assess
    const requests = h.cloud.stats().requests; // the worker's calls, before the test's own reads below
    expect(run.status, run.stderr).toBe(0);
    expect(run.stats).toMatchObject({ received: 3, acknowledged: 3, retried: 0 });
    const outcomes = byUser(await h.outcomes());
    expect(outcomes.get(`${ACCOUNT}/alice`)).toMatchObject({ outcome: 'already-compliant' });
    expect(outcomes.get(`${MEMBER}/frank`)).toMatchObject({ outcome: 'enrollment-required' });
    expect(outcomes.get(`${ACCOUNT}/bob`)).toMatchObject({
      outcome: 'enrollment-required',
      trigger: { source: 'security-hub-v2', findingId: uidOf(bob), controlId: 'IAM.5' },
      actions: expect.arrayContaining([
        { action: 'attach-guard-policy', result: 'applied' },
        { action: 'update-finding', result: 'applied' },
      ]),
    });
    // IAM: contained where the findings said, through the member role for the member account.
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
    expect(h.cloud.iam.getUser(MEMBER, 'frank')?.attachedPolicyArns).toEqual([guardPolicyArn(MEMBER)]);
    expect(h.cloud.iam.getUser(ACCOUNT, 'alice')?.attachedPolicyArns).toEqual([]);
    // Security Hub V2: In Progress with a comment when contained, Resolved when compliant; times untouched.
    const bobAfter = await v2Finding(h, bob);
    expect(bobAfter).toMatchObject({
      status_id: 2,
      status: 'In Progress',
      comment: expect.stringMatching(/^This IAM user must enable MFA by /),
    });
    expect(bobAfter?.finding_info).toEqual(before?.finding_info);
    expect(bobAfter?.time).toEqual(before?.time);
    expect(await v2Finding(h, frank)).toMatchObject({ status_id: 2 });
    expect(await v2Finding(h, alice)).toMatchObject({ status_id: 4, status: 'Resolved' });
    // Every update was checked first, all three findings with one GetFindingsV2 for the batch (the test
    // itself read once before), and none went through the ASFF calls. bob's and frank's findings need the
    // same change (In Progress, the same note, which names no user) and share one BatchUpdateFindingsV2.
    expect(run.stats.batches).toBe(1);
    expect(requests['securityhub:GetFindingsV2']).toBe(1 + 1);
    expect(requests['securityhub:GetFindings']).toBeUndefined();
    expect(requests['securityhub:BatchUpdateFindingsV2']).toBe(2);
    expect(requests['securityhub:BatchUpdateFindings']).toBeUndefined();
    expect(requests['sts:AssumeRole']).toBeGreaterThanOrEqual(1);
    expect(await h.deadLetters()).toEqual([]);
  });

  it('re-imports of a contained user converge: nothing written twice', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true, mfa: false }]);
    const bob = makeOcsfFinding({ userName: 'bob', accountId: ACCOUNT });
    await importOcsf(h, [bob]);
    await h.send([makeOcsfEvent([bob])]);
    await h.runWorker();
    await h.outcomes();
    // Security Hub re-sends the finding, now In Progress, on its next evaluation.
    const reimported = makeOcsfFinding({ userName: 'bob', accountId: ACCOUNT, statusId: 2 });
    await h.send([makeOcsfEvent([reimported])]);

    await h.runWorker();

    const [outcome] = await h.outcomes();
    expect(outcome?.outcome).toBe('enrollment-required');
    expect(outcome?.actions).toEqual(
      expect.arrayContaining([
        { action: 'tag-user', result: 'already-applied' },
        { action: 'attach-guard-policy', result: 'already-applied' },
        { action: 'update-finding', result: 'already-applied' },
      ]),
    );
    expect(h.cloud.stats().requests['securityhub:BatchUpdateFindingsV2']).toBe(1);
  });
});

describe('attack: a V2 message naming a finding uid it has no claim to', () => {
  it('never updates a finding of another control or another account', async () => {
    // Prepare: Security Hub holds bob's real IAM.5 finding in the member account and a password-policy
    // finding (IAM.8) in the worker's account. The attacker can send the worker messages, not write to
    // Security Hub: it pairs those findings' uids with a claim about bob in the worker's account.
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true, mfa: false }]);
    h.seed(MEMBER, [{ userName: 'bob', consolePassword: true, mfa: false }]);
    const otherControl = makeOcsfFinding(
      { accountId: ACCOUNT, controlId: 'IAM.8' },
      { resources: [{ type: 'AwsAccount', uid: `AWS::::Account:${ACCOUNT}` }] },
    );
    const otherAccount = makeOcsfFinding({ userName: 'bob', accountId: MEMBER });
    await importOcsf(h, [otherControl, otherAccount]);
    const forge = (stolen: Ocsf, label: string) => {
      const claim = makeOcsfFinding({ userName: 'bob', accountId: ACCOUNT });
      const metadata = { ...(claim.metadata as Ocsf), uid: uidOf(stolen) };
      return makeOcsfEvent([
        { ...claim, metadata, finding_info: { ...(claim.finding_info as Ocsf), title: label } },
      ]);
    };
    await h.send([forge(otherControl, 'IAM.8 uid'), forge(otherAccount, 'member uid')]);
    const before = await Promise.all([v2Finding(h, otherControl), v2Finding(h, otherAccount)]);

    // Act
    const run = await h.runWorker();

    // Assess: bob lacks MFA (IAM says so), so he is contained — but neither finding is touched.
    expect(run.status, run.stderr).toBe(0);
    const outcomes = await h.outcomes();
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ outcome: 'enrollment-required', accountId: ACCOUNT, userName: 'bob' });
    }
    // Each refusal says what Security Hub's own record contradicts.
    const reasons = outcomes.flatMap((o) =>
      o.actions.filter((a) => a.action === 'update-finding').map((a) => `${a.result}: ${a.reason}`),
    );
    expect(reasons.sort()).toEqual([
      expect.stringMatching(
        /^skipped: not updated: .* belongs to account 210987654321, not to 123456789012$/,
      ),
      expect.stringMatching(/^skipped: not updated: .* is about control IAM\.8, not an MFA control/),
    ]);
    expect(await Promise.all([v2Finding(h, otherControl), v2Finding(h, otherAccount)])).toEqual(before);
    expect(h.cloud.securityhub.v2.all().every((f) => f.status_id === 1 && f.comment === undefined)).toBe(
      true,
    );
    expect(h.cloud.stats().requests['securityhub:BatchUpdateFindingsV2']).toBeUndefined();
    expect(h.cloud.iam.getUser(MEMBER, 'bob')?.attachedPolicyArns).toEqual([]);
  });
});

describe('both Security Hubs side by side', () => {
  it('contains a user reported by both once, and updates each finding through its own API', async () => {
    // Prepare: Security Hub CSPM (ASFF) and Security Hub (OCSF) both report bob's IAM.5 failure.
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'bob', consolePassword: true, mfa: false }]);
    const asff = makeFinding({ userName: 'bob', accountId: ACCOUNT });
    const ocsf = makeOcsfFinding({ userName: 'bob', accountId: ACCOUNT });
    await h.importFindings([asff]);
    await importOcsf(h, [ocsf]);
    await h.send([makeSecurityHubEvent([asff]), makeOcsfEvent([ocsf])]);

    // Act
    const run = await h.runWorker();

    // Assess: the same idempotent workflow twice — one containment, each finding through its own API.
    expect(run.status, run.stderr).toBe(0);
    const outcomes = await h.outcomes();
    expect(outcomes.map((o) => [o.trigger.source, o.outcome]).sort()).toEqual([
      ['security-hub', 'enrollment-required'],
      ['security-hub-v2', 'enrollment-required'],
    ]);
    const attach = outcomes.flatMap((o) => o.actions.filter((a) => a.action === 'attach-guard-policy'));
    expect(attach.map((a) => a.result).sort()).toEqual(['already-applied', 'applied']);
    expect(new Set(outcomes.map((o) => o.deadline)).size).toBe(1);
    const requests = h.cloud.stats().requests;
    expect(requests['iam:AttachUserPolicy']).toBe(1);
    expect(requests['iam:TagUser']).toBe(1);
    expect(h.cloud.iam.getUser(ACCOUNT, 'bob')?.tags[TAGS.state]).toBe('enrollment-required');
    expect(await h.workflowStatus(String(asff.Id))).toBe('NOTIFIED');
    expect(await v2Finding(h, ocsf)).toMatchObject({ status_id: 2, status: 'In Progress' });
    expect(requests['securityhub:BatchUpdateFindings']).toBe(1);
    expect(requests['securityhub:BatchUpdateFindingsV2']).toBe(1);
    // Both findings of the one batch were verified in bulk, once: one lookup per generation.
    expect(run.stats.batches).toBe(1);
    expect(requests['securityhub:GetFindings']).toBe(1);
    expect(requests['securityhub:GetFindingsV2']).toBe(1);
  });

  it('shares finding updates across records in each generation: one call per change, verified in bulk', async () => {
    // Prepare: eight users, each reported by both Security Hubs, one finding per event as each sends them.
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    const names = Array.from({ length: 8 }, (_, i) => `shared-${i}`);
    h.seed(
      ACCOUNT,
      names.map((userName) => ({ userName, consolePassword: true, mfa: false })),
    );
    const asff = names.map((userName) => makeFinding({ userName, accountId: ACCOUNT }));
    const ocsf = names.map((userName) => makeOcsfFinding({ userName, accountId: ACCOUNT }));
    await h.importFindings(asff);
    await importOcsf(h, ocsf);
    await h.send([
      ...asff.map((finding) => makeSecurityHubEvent([finding])),
      ...ocsf.map((finding) => makeOcsfEvent([finding])),
    ]);

    // Act
    const run = await h.runWorker();

    // Assess: sixteen findings updated (the same status and note: the notes name no user), in a few calls
    // of each generation's API rather than one per record, each only after its lookup confirmed it.
    expect(run.status, run.stderr).toBe(0);
    const requests = { ...h.cloud.stats().requests };
    expect(requests['securityhub:BatchUpdateFindings']).toBeLessThanOrEqual(3);
    expect(requests['securityhub:BatchUpdateFindingsV2']).toBeLessThanOrEqual(3);
    expect(requests['securityhub:GetFindings']).toBeLessThanOrEqual(2);
    expect(requests['securityhub:GetFindingsV2']).toBeLessThanOrEqual(2);
    const outcomes = await h.outcomes();
    expect(outcomes).toHaveLength(16);
    for (const outcome of outcomes) {
      expect(outcome.actions).toContainEqual({ action: 'update-finding', result: 'applied' });
    }
    for (const finding of asff) expect(await h.workflowStatus(String(finding.Id))).toBe('NOTIFIED');
    for (const finding of ocsf) expect(await v2Finding(h, finding)).toMatchObject({ status_id: 2 });
  });
});
