/**
 * The verification decision before a finding update (docs/reference.md: Claims and verification), and the
 * router that applies it to OCSF findings: Security Hub's record decides, never the message.
 */
import { describe, expect, it } from 'vitest';
import { decideFindingUpdate } from '../../src/core/finding-claims.ts';
import { type FindingRef, findingKey } from '../../src/core/model.ts';
import { ocsfFindingFacts } from '../../src/core/ocsf/facts.ts';
import { createFindingsRouter } from '../../src/core/ocsf/updates.ts';
import type { FindingChange, FindingFacts, FindingsBatchPort, FindingsPort } from '../../src/core/ports.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { makeOcsfFinding, makeOcsfUserResource } from '../../src/local/findings-ocsf.ts';
import { createTestDeps, itemContext } from '../helpers/deps.ts';

const A = '111111111111';
const B = '222222222222';
const alice = { accountId: A, userName: 'alice', userArn: `arn:aws:iam::${A}:user/alice` };

function facts(options: Parameters<typeof makeOcsfFinding>[0] = {}, overrides = {}): FindingFacts {
  const value = ocsfFindingFacts(makeOcsfFinding(options, overrides));
  if (!value) throw new Error('factory finding must be readable');
  return value;
}

describe('decideFindingUpdate', () => {
  it('updates the MFA control finding of the same user in the same account', () => {
    expect(decideFindingUpdate(alice, facts(), 'NOTIFIED')).toEqual({ verdict: 'update' });
    expect(decideFindingUpdate(alice, facts({ controlId: 'IAM.19' }), 'RESOLVED')).toEqual({
      verdict: 'update',
    });
  });

  it.each([
    ['by name only', { accountId: A, userName: 'alice' }],
    ['by ARN only', { accountId: A, userArn: `arn:aws:iam::${A}:user/alice` }],
  ])('recognises the user %s', (_name, claim) => {
    expect(decideFindingUpdate(claim, facts(), 'NOTIFIED')).toEqual({ verdict: 'update' });
  });

  it('recognises a user named by id', () => {
    const byId = facts({ resources: [{ type: 'AWS::IAM::User', uid: 'AIDAQXAMPLEUSER000042' }] });

    expect(decideFindingUpdate({ accountId: A, userId: 'AIDAQXAMPLEUSER000042' }, byId, 'NOTIFIED')).toEqual({
      verdict: 'update',
    });
  });

  it.each([
    ['Security Hub has no such finding', undefined, 'not-found'],
    [
      'the finding is in another account',
      facts({ accountId: B }),
      /in account 222222222222, not 111111111111/,
    ],
    [
      'the finding is of another control',
      facts({ controlId: 'IAM.8' }),
      /control IAM\.8, not an MFA control/,
    ],
    ['the finding is of a root control', facts({ controlId: 'IAM.9' }), /control IAM\.9, not an MFA control/],
    [
      'the finding is about another user',
      facts({ resources: [makeOcsfUserResource('mallory')] }),
      /not about IAM user alice/,
    ],
    [
      'the finding names the same user name in another account',
      facts({ resources: [{ type: 'AWS::IAM::User', uid: `arn:aws:iam::${B}:user/alice` }] }),
      /not about IAM user alice/,
    ],
    [
      'the finding has no IAM user',
      facts({ resources: [{ type: 'AwsAccount', uid: `AWS::::Account:${A}` }] }),
      /not about IAM user/,
    ],
    [
      'the finding comes from another product',
      facts(
        {},
        {
          metadata: { uid: 'm', product: { uid: `arn:aws:securityhub:us-east-1:${A}:product/${A}/default` } },
        },
      ),
      /from product/,
    ],
    [
      'the finding is not a Compliance Finding',
      facts({}, { class_uid: 2004 }),
      /no control, not an MFA control/,
    ],
    ['Security Hub closed the finding', facts({ activityId: 3 }), /archived \(closed\)/],
    ['a person suppressed the finding', facts({ statusId: 3 }), /suppressed/],
  ] as const)('does not update when %s', (_name, record, expected) => {
    const decision = decideFindingUpdate(alice, record, 'NOTIFIED');

    if (expected === 'not-found') expect(decision).toEqual({ verdict: 'not-found' });
    else expect(decision).toEqual({ verdict: 'skip', reason: expect.stringMatching(expected) });
  });

  it('reports a finding already at the status as already applied', () => {
    expect(decideFindingUpdate(alice, facts({ statusId: 2 }), 'NOTIFIED')).toEqual({
      verdict: 'already-applied',
    });
    expect(decideFindingUpdate(alice, facts({ statusId: 4 }), 'RESOLVED')).toEqual({
      verdict: 'already-applied',
    });
  });
});

describe('createFindingsRouter', () => {
  const ocsfFinding = makeOcsfFinding();
  const ocsfRef: FindingRef = {
    id: (ocsfFinding.metadata as { uid: string }).uid,
    productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    generation: 'ocsf',
    accountId: A,
    resourceId: alice.userArn,
  };

  function fakes(record: FindingFacts | undefined, result: 'applied' | 'not-found' | 'failed' = 'applied') {
    const calls = {
      asff: [] as FindingRef[],
      describe: [] as FindingRef[][],
      update: [] as FindingChange[][],
    };
    const asff: FindingsPort = {
      async updateWorkflow(finding) {
        calls.asff.push(finding);
        return 'applied';
      },
    };
    const ocsf: FindingsBatchPort = {
      async describe(refs) {
        calls.describe.push([...refs]);
        return new Map(record ? [[findingKey(ocsfRef), record]] : []);
      },
      async update(changes) {
        calls.update.push([...changes]);
        return new Map([
          [
            findingKey(ocsfRef),
            result === 'failed' ? { result, code: 'ConflictException', message: 'busy' } : { result },
          ],
        ]);
      },
    };
    return { calls, router: createFindingsRouter({ asff, ocsf }) };
  }

  it('sends ASFF findings to the ASFF adapter and nothing to V2', async () => {
    const { calls, router } = fakes(facts());
    const asffRef: FindingRef = { id: 'f', productArn: 'p' };

    await expect(router.updateWorkflow(asffRef, 'NOTIFIED', 'n', alice)).resolves.toBe('applied');

    expect(calls.asff).toEqual([asffRef]);
    expect(calls.describe).toEqual([]);
    expect(calls.update).toEqual([]);
  });

  it('looks an OCSF finding up, then updates it through V2', async () => {
    const { calls, router } = fakes(facts());

    await expect(router.updateWorkflow(ocsfRef, 'NOTIFIED', 'note', alice)).resolves.toBe('applied');

    expect(calls.describe).toEqual([[ocsfRef]]);
    expect(calls.update).toEqual([[{ ref: ocsfRef, status: 'NOTIFIED', note: 'note' }]]);
    expect(calls.asff).toEqual([]);
  });

  it('never writes when Security Hub contradicts the claim', async () => {
    const { calls, router } = fakes(facts({ accountId: B }));

    const result = await router.updateWorkflow(ocsfRef, 'NOTIFIED', 'note', alice);

    expect(result).toEqual({ skipped: expect.stringMatching(/^not updated: .*account 222222222222/) });
    expect(calls.update).toEqual([]);
  });

  it('never writes without a claim to check', async () => {
    const { calls, router } = fakes(facts());

    const result = await router.updateWorkflow(ocsfRef, 'NOTIFIED', 'note');

    expect(result).toEqual({ skipped: expect.any(String) });
    expect(calls.update).toEqual([]);
  });

  it.each([
    ['Security Hub has no such finding', undefined, 'applied', 'not-found'],
    ['it is already In Progress', facts({ statusId: 2 }), 'applied', 'already-applied'],
    ['it disappeared between the lookup and the update', facts(), 'not-found', 'not-found'],
  ] as const)('answers %s', async (_name, record, result, expected) => {
    const { router } = fakes(record, result);

    await expect(router.updateWorkflow(ocsfRef, 'NOTIFIED', 'note', alice)).resolves.toBe(expected);
  });

  it('throws a permanent DependencyError for a finding Security Hub did not update', async () => {
    const { router } = fakes(facts(), 'failed');

    await expect(router.updateWorkflow(ocsfRef, 'NOTIFIED', 'note', alice)).rejects.toMatchObject({
      name: 'DependencyError',
      code: 'ConflictException',
      retryable: false,
    });
  });
});

describe('the workflow with an OCSF finding', () => {
  const finding = makeOcsfFinding({ userName: 'bob' });
  const ref: FindingRef = {
    id: (finding.metadata as { uid: string }).uid,
    productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    generation: 'ocsf',
    accountId: A,
    resourceId: `arn:aws:iam::${A}:user/bob`,
    controlId: 'IAM.5',
    workflowStatus: 'NEW',
  };
  const work = {
    type: 'mfa-missing' as const,
    accountId: A,
    userName: 'bob',
    userArn: `arn:aws:iam::${A}:user/bob`,
    trigger: { source: 'security-hub-v2' as const, findingId: ref.id, controlId: 'IAM.5' },
    finding: ref,
    scope: 'console-users' as const,
  };

  it('passes the work item as the claim and records what Security Hub allowed', async () => {
    // Prepare
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    deps.iam.addUser('bob');
    const claims: unknown[] = [];
    const updated: FindingChange[] = [];
    (deps as { findings: FindingsPort }).findings = createFindingsRouter({
      asff: deps.findings,
      ocsf: {
        async describe() {
          return new Map([[findingKey(ref), ocsfFindingFacts(finding) as FindingFacts]]);
        },
        async update(changes) {
          updated.push(...changes);
          return new Map([[findingKey(ref), { result: 'applied' }]]);
        },
      },
    });
    const spy = deps.findings.updateWorkflow.bind(deps.findings);
    (deps.findings as { updateWorkflow: FindingsPort['updateWorkflow'] }).updateWorkflow = (
      f,
      s,
      n,
      claim,
    ) => {
      claims.push(claim);
      return spy(f, s, n, claim);
    };

    // Act
    const [outcome] = await runWorkItem(work, deps, itemContext(deps));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'enrollment-required', trigger: { source: 'security-hub-v2' } });
    expect(outcome?.actions).toContainEqual({ action: 'update-finding', result: 'applied' });
    expect(claims).toEqual([{ accountId: A, userName: 'bob', userArn: `arn:aws:iam::${A}:user/bob` }]);
    expect(updated).toEqual([
      { ref, status: 'NOTIFIED', note: expect.stringContaining('bob must enable MFA') },
    ]);
    expect(deps.findingUpdates).toEqual([]); // never the ASFF adapter
  });

  it('records a refused update as skipped with the reason, and still contains the user', async () => {
    const deps = createTestDeps({ config: { mode: 'enforce' } });
    deps.iam.addUser('bob');
    const other = ocsfFindingFacts(makeOcsfFinding({ userName: 'bob', controlId: 'IAM.8' })) as FindingFacts;
    (deps as { findings: FindingsPort }).findings = createFindingsRouter({
      asff: deps.findings,
      ocsf: {
        describe: async () => new Map([[findingKey(ref), other]]),
        update: async () => {
          throw new Error('must not be called');
        },
      },
    });

    const [outcome] = await runWorkItem(work, deps, itemContext(deps));

    expect(outcome?.outcome).toBe('enrollment-required');
    expect(outcome?.actions).toContainEqual({
      action: 'update-finding',
      result: 'skipped',
      reason: expect.stringMatching(/^not updated: .*control IAM\.8/),
    });
    expect(outcome?.actions).toContainEqual({ action: 'attach-guard-policy', result: 'applied' });
  });
});
