/**
 * The one finding verification (`claims/finding.ts`) deciding for Security Hub's OCSF generation: the facts
 * the V2 adapter reads from a GetFindingsV2 document (`ocsf/facts.ts`) against the user the workflow acts on,
 * and the workflow updating an OCSF finding through the same port, check and action as an ASFF one.
 */
import { describe, expect, it } from 'vitest';
import { verifyFinding } from '../../src/core/claims/finding.ts';
import type { FindingRef } from '../../src/core/model.ts';
import { ocsfFindingFacts } from '../../src/core/ocsf/facts.ts';
import { type FindingFacts, findingKey } from '../../src/core/ports.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { makeOcsfFinding, makeOcsfUserResource } from '../../src/local/findings-ocsf.ts';
import { ACCOUNT, createTestDeps, itemContext } from '../helpers/deps.ts';

const OTHER = '222222222222';
const ALICE = { accountId: ACCOUNT, userName: 'alice' };

function facts(options: Parameters<typeof makeOcsfFinding>[0] = {}, overrides = {}): FindingFacts {
  const value = ocsfFindingFacts(makeOcsfFinding({ accountId: ACCOUNT, ...options }, overrides));
  if (!value) throw new Error('factory finding must be readable');
  return value;
}

/** The reference a message would carry for the finding Security Hub holds (`facts`). */
const refOf = (f: FindingFacts): FindingRef => ({ generation: 'ocsf', id: f.id, productArn: f.productArn });

describe('verifyFinding: OCSF findings', () => {
  it('verifies Security Hub’s own open, failed MFA control finding of the same user and account', () => {
    for (const given of [facts(), facts({ controlId: 'IAM.19' }), facts({ userPath: '/eng/' })]) {
      expect(verifyFinding(refOf(given), given, ALICE)).toEqual({ verified: true, facts: given });
    }
    // A finding the worker set In Progress earlier is still the same finding, NOTIFIED.
    const inProgress = facts({ statusId: 2 });
    expect(verifyFinding(refOf(inProgress), inProgress, ALICE).verified).toBe(true);
    expect(inProgress.workflowStatus).toBe('NOTIFIED');
  });

  it('verifies a standard-specific CIS finding as IAM.5', () => {
    const cis = facts({ standardControl: 'cis-aws-foundations-benchmark/v/1.4.0/1.10' });
    expect(verifyFinding(refOf(cis), cis, ALICE).verified).toBe(true);
  });

  it('recognises a user Security Hub names only by IAM’s unique id, once IAM resolved it', () => {
    const byId = facts({ resources: [{ type: 'AWS::IAM::User', uid: 'AIDAQXAMPLEUSER000042' }] });
    expect(verifyFinding(refOf(byId), byId, { ...ALICE, userId: 'AIDAQXAMPLEUSER000042' }).verified).toBe(
      true,
    );
    expect(verifyFinding(refOf(byId), byId, { ...ALICE, userId: 'AIDAQXAMPLEUSER000099' }).verified).toBe(
      false,
    );
    expect(verifyFinding(refOf(byId), byId, ALICE).verified).toBe(false);
  });

  it.each([
    [
      'in another account',
      facts({ accountId: OTHER }),
      /belongs to account 222222222222, not to 111111111111/,
    ],
    ['of another control', facts({ controlId: 'IAM.8' }), /control IAM\.8, not an MFA control/],
    ['of a root MFA control', facts({ controlId: 'IAM.9' }), /control IAM\.9, not an MFA control/],
    [
      'about another user',
      facts({ resources: [makeOcsfUserResource('mallory')] }),
      /not about IAM user alice/,
    ],
    [
      'about the same name in another account',
      facts({ resources: [{ type: 'AWS::IAM::User', uid: `arn:aws:iam::${OTHER}:user/alice` }] }),
      /not about IAM user alice/,
    ],
    [
      'about a user Security Hub names only by name',
      facts({ resources: [{ type: 'AWS::IAM::User', name: 'alice' }] }),
      /not about IAM user alice/,
    ],
    [
      'about no IAM user',
      facts({ resources: [{ type: 'AwsAccount', uid: `AWS::::Account:${ACCOUNT}` }] }),
      /not about IAM user/,
    ],
    ['not a Compliance Finding', facts({}, { class_uid: 2004 }), /about no control/],
    ['closed by Security Hub', facts({ activityId: 3 }), /is ARCHIVED in Security Hub/],
    ['archived (status 5)', facts({ statusId: 5 }), /is ARCHIVED in Security Hub/],
    ['suppressed by a person', facts({ statusId: 3 }), /suppressed in Security Hub/],
  ] as const)('refuses a finding %s', (_what, given, reason) => {
    const verdict = verifyFinding(refOf(given), given, ALICE);
    expect(verdict.verified ? '' : verdict.reason).toMatch(reason);
  });

  it.each([
    ['Security Hub CSPM’s ASFF product ARN', 'arn:aws:securityhub:us-east-1::product/aws/securityhub'],
    ['Security Hub’s exposure findings', 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub-risk'],
    ['an integrated product', 'arn:aws:securityhub:us-east-1::productv2/aws/inspector'],
    ['a custom integration', `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`],
  ])('refuses a finding from %s, whatever control it names', (_what, productUid) => {
    const given = facts({}, { metadata: { uid: 'm-1', product: { uid: productUid } } });
    const verdict = verifyFinding(refOf(given), given, ALICE);
    expect(verdict.verified ? '' : verdict.reason).toContain('not from a Security Hub control');
  });

  it('refuses facts of another finding than the reference names, or of the other generation', () => {
    const given = facts();
    expect(verifyFinding({ ...refOf(given), id: 'other' }, given, ALICE).verified).toBe(false);
    expect(verifyFinding({ ...refOf(given), generation: 'asff' }, given, ALICE).verified).toBe(false);
    expect(verifyFinding(refOf(given), undefined, ALICE)).toMatchObject({
      verified: false,
      reason: expect.stringContaining('not known to Security Hub'),
    });
  });
});

describe('the workflow with an OCSF finding', () => {
  const record = facts({ userName: 'bob' });
  const ref: FindingRef = {
    ...refOf(record),
    controlId: 'IAM.5',
    region: 'us-east-1',
    workflowStatus: 'NEW',
  };
  const work = {
    type: 'mfa-missing' as const,
    accountId: ACCOUNT,
    userName: 'bob',
    userArn: `arn:aws:iam::${ACCOUNT}:user/bob`,
    trigger: { source: 'security-hub-v2' as const, findingId: ref.id, controlId: 'IAM.5' },
    finding: ref,
    scope: 'console-users' as const,
  };

  it('updates the finding Security Hub confirms, through the one port, and says so', async () => {
    // Prepare
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    deps.iam.addUser('bob');
    deps.hub.set(findingKey(ref), record);

    // Act
    const [outcome] = await runWorkItem(work, deps, itemContext(deps));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'enrollment-required', trigger: { source: 'security-hub-v2' } });
    expect(outcome?.actions).toContainEqual({ action: 'update-finding', result: 'applied' });
    expect(deps.findingUpdates).toEqual([
      { finding: ref, status: 'NOTIFIED', note: expect.stringContaining('This IAM user must enable MFA by') },
    ]);
  });

  it('updates a finding that names its user only by IAM’s id, once IAM resolved the id to that user', async () => {
    // Prepare: the message and Security Hub's record both name bob by his unique id, not by ARN.
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    const bob = deps.iam.addUser('bob');
    const byId = { ...record, resourceIds: [bob.userId] };
    deps.hub.set(findingKey(ref), byId);
    const item = { ...work, userName: undefined, userArn: undefined, userId: bob.userId };

    // Act
    const [outcome] = await runWorkItem(item, deps, itemContext(deps));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'enrollment-required', userName: 'bob' });
    expect(outcome?.actions).toContainEqual({ action: 'update-finding', result: 'applied' });
  });

  it('records a refused update as skipped with the reason, sends nothing, and still contains the user', async () => {
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    deps.iam.addUser('bob');
    deps.hub.set(findingKey(ref), { ...record, controlId: 'IAM.8' });

    const [outcome] = await runWorkItem(work, deps, itemContext(deps));

    expect(outcome?.outcome).toBe('enrollment-required');
    expect(outcome?.actions).toContainEqual({
      action: 'update-finding',
      result: 'skipped',
      reason: expect.stringMatching(/^not updated: .*control IAM\.8/),
    });
    expect(outcome?.actions).toContainEqual({ action: 'attach-guard-policy', result: 'applied' });
    expect(deps.findingCalls.update).toBe(0);
  });
});
