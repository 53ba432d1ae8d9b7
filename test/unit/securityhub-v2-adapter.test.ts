/**
 * The Security Hub V2 adapter against a mocked SDK client: what it asks GetFindingsV2 (by `metadata.uid`,
 * within AWS's limits, every page) and BatchUpdateFindingsV2 (MetadataUids, StatusId, Comment; at most 100 a
 * call), how it maps the answers per finding into the one port's shape (`FindingFacts` in the vocabulary
 * both generations share), and how it plugs into `createFindingsAdapter` as its `ocsf` part.
 */
import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  GetFindingsCommand,
  GetFindingsV2Command,
  type GetFindingsV2CommandInput,
  SecurityHubClient,
  ThrottlingException,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFindingsAdapter } from '../../src/aws/securityhub.ts';
import { createSecurityHubV2Adapter, SECURITY_HUB_V2_LIMITS } from '../../src/aws/securityhub-v2.ts';
import type { FindingRef } from '../../src/core/model.ts';
import { findingKey } from '../../src/core/ports.ts';
import { makeFinding } from '../../src/local/findings.ts';
import { makeOcsfFinding } from '../../src/local/findings-ocsf.ts';

const hubMock = mockClient(SecurityHubClient);
beforeEach(() => hubMock.reset());

const ACCOUNT = '111111111111';

function refFor(finding: Record<string, unknown>, region = 'us-east-1'): FindingRef {
  const metadata = finding.metadata as { uid: string; product: { uid: string } };
  return {
    generation: 'ocsf',
    id: metadata.uid,
    productArn: metadata.product.uid,
    controlId: 'IAM.5',
    region,
  };
}

const regions: (string | undefined)[] = [];
const adapter = createSecurityHubV2Adapter((region) => {
  regions.push(region);
  return new SecurityHubClient({ region: region ?? 'us-east-1' });
});
beforeEach(() => {
  regions.length = 0;
});

const composites = (input: GetFindingsV2CommandInput) =>
  (input.Filters?.CompositeFilters ?? []).map((c) => ({
    operator: c.Operator,
    fields: [...new Set((c.StringFilters ?? []).map((f) => f.FieldName))],
    values: (c.StringFilters ?? []).map((f) => f.Filter?.Value),
    comparisons: [...new Set((c.StringFilters ?? []).map((f) => f.Filter?.Comparison))],
  }));

describe('Security Hub V2 adapter: describe (GetFindingsV2)', () => {
  it('asks for the findings by metadata.uid only, in their region, and reads what Security Hub holds', async () => {
    // Prepare
    const finding = makeOcsfFinding({ userName: 'alice', region: 'eu-west-1' });
    hubMock.on(GetFindingsV2Command).resolves({ Findings: [finding as never] });
    const ref = refFor(finding, 'eu-west-1');

    // Act
    const facts = await adapter.describe([ref]);

    // Assess: nothing the message claims (account, control, user) narrows the lookup: verification judges it.
    expect(regions).toEqual(['eu-west-1']);
    const input = hubMock.commandCalls(GetFindingsV2Command)[0]?.args[0].input as GetFindingsV2CommandInput;
    expect(input.MaxResults).toBe(100);
    expect(composites(input)).toEqual([
      { operator: 'OR', fields: ['metadata.uid'], values: [ref.id], comparisons: ['EQUALS'] },
    ]);
    expect(facts.get(findingKey(ref))).toEqual({
      generation: 'ocsf',
      id: ref.id,
      productArn: 'arn:aws:securityhub:eu-west-1::productv2/aws/securityhub',
      accountId: ACCOUNT,
      controlId: 'IAM.5',
      resourceIds: [`arn:aws:iam::${ACCOUNT}:user/alice`],
      recordState: 'ACTIVE',
      workflowStatus: 'NEW',
    });
  });

  it.each([
    [
      'In Progress (2) as NOTIFIED, with its comment as the note',
      { statusId: 2 },
      { comment: 'c' },
      {
        workflowStatus: 'NOTIFIED',
        recordState: 'ACTIVE',
        note: 'c',
      },
    ],
    ['Suppressed (3) as SUPPRESSED', { statusId: 3 }, {}, { workflowStatus: 'SUPPRESSED' }],
    ['Resolved (4) as RESOLVED', { statusId: 4 }, {}, { workflowStatus: 'RESOLVED' }],
    ['a closed finding (activity Close) as ARCHIVED', { activityId: 3 }, {}, { recordState: 'ARCHIVED' }],
    ['another class as about no control', {}, { class_uid: 2004 }, { generation: 'ocsf' }],
    [
      'a CIS v1.4.0 1.10 finding as IAM.5',
      { standardControl: 'cis-aws-foundations-benchmark/v/1.4.0/1.10' },
      {},
      { controlId: 'IAM.5' },
    ],
  ] as const)('maps %s', async (_what, options, overrides, expected) => {
    const finding = makeOcsfFinding(options, overrides);
    hubMock.on(GetFindingsV2Command).resolves({ Findings: [finding as never] });
    const ref = refFor(finding);

    const facts = (await adapter.describe([ref])).get(findingKey(ref));

    expect(facts).toMatchObject(expected);
    if ((overrides as { class_uid?: number }).class_uid === 2004)
      expect(facts).not.toHaveProperty('controlId');
  });

  it('looks up at most 20 findings a call (AWS: 20 filters of a type per composite filter)', async () => {
    const findings = Array.from({ length: 45 }, (_, i) => makeOcsfFinding({ userName: `user${i}` }));
    hubMock.on(GetFindingsV2Command).callsFake((input: GetFindingsV2CommandInput) => {
      const uids = new Set(input.Filters?.CompositeFilters?.[0]?.StringFilters?.map((f) => f.Filter?.Value));
      return { Findings: findings.filter((f) => uids.has((f.metadata as { uid: string }).uid)) };
    });

    const facts = await adapter.describe(findings.map((f) => refFor(f)));

    expect(facts.size).toBe(45);
    const calls = hubMock.commandCalls(GetFindingsV2Command).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    for (const input of calls) {
      expect(input.Filters?.CompositeFilters?.length).toBeLessThanOrEqual(10);
      for (const composite of input.Filters?.CompositeFilters ?? []) {
        expect(composite.StringFilters?.length).toBeLessThanOrEqual(SECURITY_HUB_V2_LIMITS.filtersPerType);
      }
    }
  });

  it('follows NextToken to the last page', async () => {
    const a = makeOcsfFinding({ userName: 'a' });
    const b = makeOcsfFinding({ userName: 'b' });
    hubMock
      .on(GetFindingsV2Command)
      .resolvesOnce({ Findings: [a as never], NextToken: 't1' })
      .resolvesOnce({ Findings: [b as never] });

    const facts = await adapter.describe([refFor(a), refFor(b)]);

    expect([...facts.keys()].sort()).toEqual([findingKey(refFor(a)), findingKey(refFor(b))].sort());
    const calls = hubMock.commandCalls(GetFindingsV2Command).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 't1']);
  });

  it('leaves out findings Security Hub returns twice under one uid, and ones nobody asked for', async () => {
    const a = makeOcsfFinding({ userName: 'a' });
    const stranger = makeOcsfFinding({ userName: 'stranger' });
    hubMock.on(GetFindingsV2Command).resolves({ Findings: [a, a, stranger] as never });

    const facts = await adapter.describe([refFor(a)]);

    expect(facts.size).toBe(0);
  });

  it('leaves out a finding under the uid the reference names but from another product', async () => {
    // The message named the uid with a product of its choosing: that is not the finding Security Hub holds.
    const finding = makeOcsfFinding({ userName: 'a' });
    hubMock.on(GetFindingsV2Command).resolves({ Findings: [finding as never] });
    const claimed = {
      ...refFor(finding),
      productArn: `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/x/y`,
    };

    expect((await adapter.describe([claimed])).size).toBe(0);
  });

  it('lets an SDK error through as a DependencyError', async () => {
    hubMock
      .on(GetFindingsV2Command)
      .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));

    await expect(adapter.describe([refFor(makeOcsfFinding())])).rejects.toMatchObject({
      name: 'DependencyError',
      code: 'Throttling',
      retryable: true,
    });
  });
});

describe('Security Hub V2 adapter: update (BatchUpdateFindingsV2)', () => {
  it('sets StatusId 2 (In Progress) with the note as Comment, by MetadataUids', async () => {
    const ref = refFor(makeOcsfFinding());
    hubMock
      .on(BatchUpdateFindingsV2Command)
      .resolves({ ProcessedFindings: [{ MetadataUid: ref.id }], UnprocessedFindings: [] });

    const results = await adapter.update([{ ref, status: 'NOTIFIED', note: 'contained until 2026-11-26' }]);

    expect(results.get(findingKey(ref))).toBe('applied');
    expect(hubMock).toHaveReceivedCommandWith(BatchUpdateFindingsV2Command, {
      MetadataUids: [ref.id],
      StatusId: 2,
      Comment: 'contained until 2026-11-26',
    });
    expect(hubMock.commandCalls(BatchUpdateFindingsV2Command)[0]?.args[0].input).not.toHaveProperty(
      'FindingIdentifiers',
    );
  });

  it('resolves with StatusId 4 and cuts the comment to 512 characters', async () => {
    const ref = refFor(makeOcsfFinding());
    hubMock
      .on(BatchUpdateFindingsV2Command)
      .resolves({ ProcessedFindings: [{ MetadataUid: ref.id }], UnprocessedFindings: [] });

    await adapter.update([{ ref, status: 'RESOLVED', note: 'x'.repeat(600) }]);

    const input = hubMock.commandCalls(BatchUpdateFindingsV2Command)[0]?.args[0].input;
    expect(input?.StatusId).toBe(4);
    expect(input?.Comment).toHaveLength(512);
  });

  it('maps processed and unprocessed findings one by one', async () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((u) =>
      refFor(makeOcsfFinding({ userName: u })),
    ) as FindingRef[];
    hubMock.on(BatchUpdateFindingsV2Command).resolves({
      ProcessedFindings: [{ MetadataUid: a?.id }],
      UnprocessedFindings: [
        { MetadataUid: b?.id, ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'gone' },
        { MetadataUid: c?.id, ErrorCode: 'ConflictException', ErrorMessage: 'busy' },
      ],
    });

    const results = await adapter.update(
      [a, b, c, d].map((ref) => ({ ref: ref as FindingRef, status: 'NOTIFIED' as const, note: 'n' })),
    );

    expect(hubMock).toHaveReceivedCommandTimes(BatchUpdateFindingsV2Command, 1);
    expect(results.get(findingKey(a as FindingRef))).toBe('applied');
    expect(results.get(findingKey(b as FindingRef))).toBe('not-found');
    expect(results.get(findingKey(c as FindingRef))).toEqual({ failed: 'ConflictException: busy' });
    expect(results.get(findingKey(d as FindingRef))).toEqual({ failed: 'no answer from Security Hub' });
  });

  it('sends at most 100 findings a call, one call per status and comment', async () => {
    const refs = Array.from({ length: 150 }, (_, i) => refFor(makeOcsfFinding({ userName: `u${i}` })));
    hubMock.on(BatchUpdateFindingsV2Command).callsFake((input: { MetadataUids: string[] }) => ({
      ProcessedFindings: input.MetadataUids.map((MetadataUid) => ({ MetadataUid })),
      UnprocessedFindings: [],
    }));

    const results = await adapter.update([
      ...refs.map((ref) => ({ ref, status: 'NOTIFIED' as const, note: 'contained' })),
      { ref: refFor(makeOcsfFinding({ userName: 'done' })), status: 'RESOLVED', note: 'enrolled' },
    ]);

    const calls = hubMock.commandCalls(BatchUpdateFindingsV2Command).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.StatusId, c.MetadataUids?.length])).toEqual([
      [2, 100],
      [2, 50],
      [4, 1],
    ]);
    expect([...results.values()].every((r) => r === 'applied')).toBe(true);
  });

  it('reports a failed call for each of its findings, and still sends the other calls', async () => {
    const east = refFor(makeOcsfFinding({ userName: 'e' }), 'us-east-1');
    const west = refFor(makeOcsfFinding({ userName: 'w', region: 'us-west-2' }), 'us-west-2');
    hubMock
      .on(BatchUpdateFindingsV2Command)
      .rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata: {} }))
      .resolves({ ProcessedFindings: [{ MetadataUid: west.id }], UnprocessedFindings: [] });

    const results = await adapter.update([
      { ref: east, status: 'NOTIFIED', note: 'n' },
      { ref: west, status: 'NOTIFIED', note: 'n' },
    ]);

    expect(results.get(findingKey(east))).toEqual({ failed: expect.stringMatching(/^Throttling: /) });
    expect(results.get(findingKey(west))).toBe('applied');
  });

  it('never sends an ASFF finding to the V2 call', async () => {
    const asff: FindingRef = { generation: 'asff', id: 'arn:aws:securityhub:…/finding/1', productArn: 'p' };

    const results = await adapter.update([{ ref: asff, status: 'NOTIFIED', note: 'n' }]);

    expect(hubMock).toHaveReceivedCommandTimes(BatchUpdateFindingsV2Command, 0);
    expect(results.get(findingKey(asff))).toEqual({ failed: expect.stringContaining('OCSF findings only') });
  });
});

describe('one findings port for both generations: createFindingsAdapter(clientFor, { ocsf })', () => {
  const both = createFindingsAdapter((region) => new SecurityHubClient({ region: region ?? 'us-east-1' }), {
    ocsf: adapter,
  });
  const asffFinding = makeFinding({ userName: 'carol' });
  const asffRef: FindingRef = {
    generation: 'asff',
    id: asffFinding.Id as string,
    productArn: asffFinding.ProductArn as string,
    region: 'us-east-1',
  };

  it('describes a batch of both generations with one GetFindings and one GetFindingsV2', async () => {
    const ocsf = makeOcsfFinding({ userName: 'dave' });
    hubMock.on(GetFindingsCommand).resolves({ Findings: [asffFinding as never] });
    hubMock.on(GetFindingsV2Command).resolves({ Findings: [ocsf as never] });

    const facts = await both.describe([asffRef, refFor(ocsf)]);

    expect(hubMock).toHaveReceivedCommandTimes(GetFindingsCommand, 1);
    expect(hubMock).toHaveReceivedCommandTimes(GetFindingsV2Command, 1);
    expect(facts.get(findingKey(asffRef))?.generation).toBe('asff');
    expect(facts.get(findingKey(refFor(ocsf)))?.generation).toBe('ocsf');
  });

  it('updates each finding through its own API', async () => {
    const ocsf = refFor(makeOcsfFinding({ userName: 'dave' }));
    hubMock
      .on(BatchUpdateFindingsCommand)
      .resolves({ ProcessedFindings: [{ Id: asffRef.id, ProductArn: asffRef.productArn }] });
    hubMock
      .on(BatchUpdateFindingsV2Command)
      .resolves({ ProcessedFindings: [{ MetadataUid: ocsf.id }], UnprocessedFindings: [] });

    const results = await both.update([
      { ref: asffRef, status: 'NOTIFIED', note: 'n' },
      { ref: ocsf, status: 'NOTIFIED', note: 'n' },
    ]);

    expect(hubMock).toHaveReceivedCommandWith(BatchUpdateFindingsCommand, {
      FindingIdentifiers: [{ Id: asffRef.id, ProductArn: asffRef.productArn }],
    });
    expect(hubMock).toHaveReceivedCommandWith(BatchUpdateFindingsV2Command, { MetadataUids: [ocsf.id] });
    expect([...results.values()]).toEqual(['applied', 'applied']);
  });
});
