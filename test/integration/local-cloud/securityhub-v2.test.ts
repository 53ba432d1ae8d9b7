/**
 * The local cloud's Security Hub V2 API through the unmodified AWS SDK: OCSF findings imported with
 * `POST /_local/securityhub/v2/findings`, read with GetFindingsV2 (the filters the product sends, the other
 * filter types, sort, pagination and the model's limits) and updated with BatchUpdateFindingsV2 (processed /
 * unprocessed, AWS's error codes, `finding_info.modified_time` untouched).
 */
import {
  BatchUpdateFindingsV2Command,
  GetFindingsV2Command,
  type OcsfStringFilter,
  paginateGetFindingsV2,
  SecurityHubClient,
  ValidationException,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { makeOcsfFinding } from '../../../src/local/findings-ocsf.ts';
import { admin, clientOptions, failure } from './support.ts';

const A = '111111111111';
const B = '222222222222';

const uidOf = (finding: Record<string, unknown>) => (finding.metadata as { uid: string }).uid;
const eq = (FieldName: OcsfStringFilter['FieldName'], Value: string): OcsfStringFilter => ({
  FieldName,
  Filter: { Value, Comparison: 'EQUALS' },
});

describe('local cloud: Security Hub V2 (OCSF) through the AWS SDK', () => {
  let cloud: LocalCloud;
  let hub: SecurityHubClient;
  const alice = makeOcsfFinding({ userName: 'alice', accountId: A });
  const bob = makeOcsfFinding({ userName: 'bob', accountId: A, controlId: 'IAM.19' });
  const carolB = makeOcsfFinding({ userName: 'carol', accountId: B });
  const s3 = makeOcsfFinding(
    { accountId: A, controlId: 'S3.1', complianceStatusId: 1 },
    { resources: [{ type: 'AWS::S3::Bucket', uid: 'arn:aws:s3:::logs' }] },
  );
  const importAll = async (findings: readonly unknown[]) => {
    const response = await admin(
      cloud,
      'POST',
      '/_local/securityhub/v2/findings',
      JSON.stringify({ findings }),
    );
    expect(response.status, response.text).toBe(200);
    return response.json() as { imported: number; metadataUids: string[] };
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    hub = new SecurityHubClient(clientOptions(cloud));
  });
  beforeEach(async () => {
    cloud.reset();
    await importAll([alice, bob, carolB, s3]);
  });
  afterAll(async () => {
    hub?.destroy();
    await cloud?.close();
  });

  describe('import (admin API)', () => {
    it('imports OCSF findings and answers their metadata.uid', async () => {
      cloud.reset();
      const result = await importAll([alice, bob]);

      expect(result).toEqual({ imported: 2, metadataUids: [uidOf(alice), uidOf(bob)] });
      expect(cloud.securityhub.v2.all()).toHaveLength(2);
    });

    it.each([
      ['not a list', { findings: 'x' }, /expected \{"findings": \[\.\.\.\]\}/],
      ['an empty list', { findings: [] }, /1 to 100/],
      [
        'a finding without metadata.uid',
        { findings: [makeOcsfFinding({}, { metadata: {} })] },
        /findings\[0\]\.metadata\.uid: is required/,
      ],
      [
        'a finding with a bad account',
        { findings: [makeOcsfFinding({}, { cloud: { account: { uid: '12' } } })] },
        /findings\[0\]\.cloud\.account\.uid: must be a 12-digit/,
      ],
      [
        'a finding without class_uid',
        { findings: [makeOcsfFinding({}, { class_uid: undefined })] },
        /class_uid/,
      ],
    ])('refuses %s with 400 InvalidFinding, importing nothing', async (_name, body, message) => {
      cloud.reset();
      const response = await admin(cloud, 'POST', '/_local/securityhub/v2/findings', JSON.stringify(body));

      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({
        error: 'InvalidFinding',
        message: expect.stringMatching(message),
      });
      expect(cloud.securityhub.v2.all()).toEqual([]);
    });
  });

  describe('GetFindingsV2', () => {
    it('returns every finding without filters', async () => {
      const response = await hub.send(new GetFindingsV2Command({}));

      expect(response.Findings?.map((f) => uidOf(f as Record<string, unknown>))).toEqual(
        [alice, bob, carolB, s3].map(uidOf),
      );
      expect(response.NextToken).toBeUndefined();
    });

    it('answers the lookup the worker sends: uid AND control AND account AND resource', async () => {
      const response = await hub.send(
        new GetFindingsV2Command({
          Filters: {
            CompositeOperator: 'AND',
            CompositeFilters: [
              {
                Operator: 'OR',
                StringFilters: [eq('metadata.uid', uidOf(alice)), eq('metadata.uid', uidOf(carolB))],
              },
              {
                Operator: 'OR',
                StringFilters: [eq('compliance.control', 'IAM.5'), eq('compliance.control', 'IAM.19')],
              },
              { Operator: 'OR', StringFilters: [eq('cloud.account.uid', A)] },
              { Operator: 'OR', StringFilters: [eq('resources.uid', `arn:aws:iam::${A}:user/alice`)] },
            ],
          },
        }),
      );

      expect(response.Findings?.map((f) => uidOf(f as Record<string, unknown>))).toEqual([uidOf(alice)]);
    });

    it.each([
      ['PREFIX', 'resources.uid', `arn:aws:iam::${A}:`, 2],
      ['NOT_EQUALS', 'cloud.account.uid', A, 1],
      ['PREFIX_NOT_EQUALS', 'compliance.control', 'IAM', 1],
      ['CONTAINS', 'finding_info.uid', 'security-control/IAM.19/', 1],
      ['NOT_CONTAINS', 'finding_info.title', 'MFA', 0],
      ['CONTAINS_WORD', 'finding_info.title', 'console', 4],
    ] as const)('string filter %s on %s', async (Comparison, FieldName, Value, count) => {
      const response = await hub.send(
        new GetFindingsV2Command({
          Filters: { CompositeFilters: [{ StringFilters: [{ FieldName, Filter: { Value, Comparison } }] }] },
        }),
      );

      expect(response.Findings).toHaveLength(count);
    });

    it('filters numbers, booleans and dates, and ORs composite filters', async () => {
      const failed = await hub.send(
        new GetFindingsV2Command({
          Filters: {
            CompositeFilters: [
              { NumberFilters: [{ FieldName: 'compliance.status_id', Filter: { Eq: 3 } }] },
              {
                DateFilters: [
                  { FieldName: 'finding_info.created_time_dt', Filter: { Start: '2026-11-01T00:00:00Z' } },
                ],
              },
            ],
          },
        }),
      );
      const either = await hub.send(
        new GetFindingsV2Command({
          Filters: {
            CompositeOperator: 'OR',
            CompositeFilters: [
              { StringFilters: [eq('compliance.control', 'S3.1')] },
              { StringFilters: [eq('cloud.account.uid', B)] },
            ],
          },
        }),
      );
      const none = await hub.send(
        new GetFindingsV2Command({
          Filters: {
            CompositeFilters: [
              {
                BooleanFilters: [
                  { FieldName: 'compliance.assessments.meets_criteria', Filter: { Value: true } },
                ],
              },
            ],
          },
        }),
      );

      expect(failed.Findings).toHaveLength(3);
      expect(either.Findings?.map((f) => uidOf(f as Record<string, unknown>)).sort()).toEqual(
        [uidOf(carolB), uidOf(s3)].sort(),
      );
      expect(none.Findings).toEqual([]);
    });

    it('sorts and pages through every finding with NextToken (the SDK paginator)', async () => {
      const uids: string[] = [];
      for await (const page of paginateGetFindingsV2(
        { client: hub, pageSize: 1 },
        { SortCriteria: [{ Field: 'cloud.account.uid', SortOrder: 'desc' }] },
      )) {
        expect(page.Findings?.length).toBeLessThanOrEqual(1);
        uids.push(...(page.Findings ?? []).map((f) => uidOf(f as Record<string, unknown>)));
      }

      expect(uids).toHaveLength(4);
      expect(uids[0]).toBe(uidOf(carolB));
    });

    it.each([
      ['MaxResults 0', { MaxResults: 0 }, /MaxResults/],
      ['MaxResults 101', { MaxResults: 101 }, /MaxResults/],
      ['a NextToken it did not issue', { NextToken: 'bm90LWEtbnVtYmVy' }, /NextToken/],
      [
        'an unknown field',
        {
          Filters: {
            CompositeFilters: [
              {
                StringFilters: [{ FieldName: 'metadata.nope', Filter: { Value: 'x', Comparison: 'EQUALS' } }],
              },
            ],
          },
        },
        /FieldName/,
      ],
      [
        'an unknown comparison',
        {
          Filters: {
            CompositeFilters: [
              { StringFilters: [{ FieldName: 'metadata.uid', Filter: { Value: 'x', Comparison: 'LIKE' } }] },
            ],
          },
        },
        /Comparison/,
      ],
      [
        '11 composite filters',
        {
          Filters: {
            CompositeFilters: Array.from({ length: 11 }, () => ({
              StringFilters: [eq('metadata.uid', 'x')],
            })),
          },
        },
        /at most 10/,
      ],
      [
        '21 string filters in one composite filter',
        {
          Filters: {
            CompositeFilters: [
              { StringFilters: Array.from({ length: 21 }, (_, i) => eq('metadata.uid', `x${i}`)) },
            ],
          },
        },
        /at most 20/,
      ],
      [
        'Scopes (not emulated)',
        { Scopes: { AwsOrganizations: [{ OrganizationId: 'o-example' }] } },
        /not emulated/,
      ],
    ])('refuses %s with ValidationException', async (_name, input, message) => {
      const error = await failure(hub.send(new GetFindingsV2Command(input as never)));

      expect(error).toBeInstanceOf(ValidationException);
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(error.message).toMatch(message);
    });
  });

  describe('BatchUpdateFindingsV2', () => {
    it('sets status and comment, answers processed and unprocessed, and leaves modified_time alone', async () => {
      const before = cloud.securityhub.v2.finding(uidOf(alice));

      const response = await hub.send(
        new BatchUpdateFindingsV2Command({
          MetadataUids: [uidOf(alice), 'no-such-finding'],
          StatusId: 2,
          Comment: 'contained until MFA is enabled',
        }),
      );

      expect(response.ProcessedFindings).toEqual([{ MetadataUid: uidOf(alice) }]);
      expect(response.UnprocessedFindings).toEqual([
        {
          MetadataUid: 'no-such-finding',
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: expect.any(String),
        },
      ]);
      const after = cloud.securityhub.v2.finding(uidOf(alice));
      expect(after).toMatchObject({
        status_id: 2,
        status: 'In Progress',
        comment: 'contained until MFA is enabled',
      });
      expect(after?.finding_info).toEqual(before?.finding_info);
      expect(after?.time).toBe(before?.time);
      expect(cloud.securityhub.v2.finding(uidOf(bob))?.status_id).toBe(1);
    });

    it('identifies findings by FindingIdentifiers too', async () => {
      const identifier = {
        CloudAccountUid: B,
        FindingInfoUid: (carolB.finding_info as { uid: string }).uid,
        MetadataProductUid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub',
      };

      const response = await hub.send(
        new BatchUpdateFindingsV2Command({
          FindingIdentifiers: [identifier, { ...identifier, CloudAccountUid: A }],
          StatusId: 4,
          SeverityId: 2,
        }),
      );

      expect(response.ProcessedFindings).toEqual([{ FindingIdentifier: identifier }]);
      expect(response.UnprocessedFindings?.[0]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
      expect(cloud.securityhub.v2.finding(uidOf(carolB))).toMatchObject({
        status_id: 4,
        status: 'Resolved',
        severity_id: 2,
        severity: 'Low',
      });
    });

    it('keeps what it set when Security Hub re-imports the finding', async () => {
      await hub.send(
        new BatchUpdateFindingsV2Command({ MetadataUids: [uidOf(bob)], StatusId: 2, Comment: 'c' }),
      );

      await importAll([bob]);

      expect(cloud.securityhub.v2.finding(uidOf(bob))).toMatchObject({ status_id: 2, comment: 'c' });
    });

    it.each([
      [
        'both MetadataUids and FindingIdentifiers',
        {
          MetadataUids: ['x'],
          FindingIdentifiers: [{ CloudAccountUid: A, FindingInfoUid: 'f', MetadataProductUid: 'p' }],
          StatusId: 2,
        },
      ],
      ['neither', { StatusId: 2 }],
      ['nothing to update', { MetadataUids: ['x'] }],
      ['101 findings', { MetadataUids: Array.from({ length: 101 }, (_, i) => `u${i}`), StatusId: 2 }],
      ['a StatusId outside the enum', { MetadataUids: ['x'], StatusId: 7 }],
      ['a SeverityId outside the enum', { MetadataUids: ['x'], SeverityId: 9 }],
      ['a comment of 513 characters', { MetadataUids: ['x'], Comment: 'c'.repeat(513) }],
      ['a blank comment', { MetadataUids: ['x'], Comment: '   ' }],
    ])('refuses %s with ValidationException, changing nothing', async (_name, input) => {
      const error = await failure(hub.send(new BatchUpdateFindingsV2Command(input as never)));

      expect(error).toBeInstanceOf(ValidationException);
      expect(cloud.securityhub.v2.all().map((f) => f.status_id)).toEqual([1, 1, 1, 1]);
    });

    it('counts V2 calls in /_local/stats under their own operation names', async () => {
      await hub.send(new GetFindingsV2Command({}));
      await hub.send(new BatchUpdateFindingsV2Command({ MetadataUids: [uidOf(alice)], StatusId: 2 }));

      expect(cloud.stats().requests).toMatchObject({
        'securityhub:GetFindingsV2': 1,
        'securityhub:BatchUpdateFindingsV2': 1,
      });
    });
  });
});
