import { beforeEach, describe, expect, it } from 'vitest';
import { createSecurityHubService, type SecurityHubService } from '../../src/local/cloud/securityhub.ts';
import { AwsApiError, type LocalRequest } from '../../src/local/cloud-types.ts';
import { ACCOUNT, type FakeEnv, fakeEnv, type Json, localRequest } from './local-cloud-support.ts';

const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;

/** A minimal valid ASFF finding for an IAM user lacking MFA. */
function finding(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: 'security-control/IAM.5',
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    CreatedAt: '2026-11-20T10:00:00.000Z',
    UpdatedAt: '2026-11-20T10:00:00.000Z',
    Severity: { Label: 'MEDIUM' },
    Title: 'MFA should be enabled for all IAM users that have a console password',
    Description: 'IAM.5',
    Resources: [{ Type: 'AwsIamUser', Id: `arn:aws:iam::${ACCOUNT}:user/${id}` }],
    Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.5' },
    ...overrides,
  };
}

function request(method: string, path: string, body: unknown): LocalRequest {
  return localRequest('securityhub', {
    method,
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function call(hub: SecurityHubService, method: string, path: string, body: unknown): Promise<Json> {
  const req = request(method, path, body);
  const res = await hub.handle(req, hub.operationOf(req));
  expect(res.status).toBe(200);
  return JSON.parse(String(res.body));
}

const importFindings = (hub: SecurityHubService, findings: unknown[]) =>
  call(hub, 'POST', '/findings/import', { Findings: findings });
const getFindings = (hub: SecurityHubService, body: unknown) => call(hub, 'POST', '/findings', body);
const update = (hub: SecurityHubService, body: unknown) => call(hub, 'PATCH', '/findings/batchupdate', body);

describe('Security Hub emulator (unit)', () => {
  let env: FakeEnv;
  let hub: SecurityHubService;

  beforeEach(() => {
    env = fakeEnv();
    hub = createSecurityHubService(env);
  });

  it('routes by method and path', () => {
    expect(hub.operationOf(request('POST', '/findings/import', {}))).toBe('BatchImportFindings');
    expect(hub.operationOf(request('POST', '/findings', {}))).toBe('GetFindings');
    expect(hub.operationOf(request('PATCH', '/findings/batchupdate', {}))).toBe('BatchUpdateFindings');
    expect(hub.operationOf(request('GET', '/findings', {}))).toBe('Unknown');
  });

  it('imports valid findings, reports invalid ones, and upserts by Id and ProductArn', async () => {
    // Act
    const first = await importFindings(hub, [finding('alice'), { ...finding('bob'), Title: undefined }]);
    const again = await importFindings(hub, [finding('alice', { Title: 'updated' })]);
    // Assess
    expect(first).toEqual({
      FailedCount: 1,
      SuccessCount: 1,
      FailedFindings: [
        {
          Id: 'bob',
          ErrorCode: 'InvalidInput',
          ErrorMessage:
            "Finding does not adhere to Amazon Security Finding Format. data should have required property 'Title'",
        },
      ],
    });
    expect(again.SuccessCount).toBe(1);
    expect(hub.all()).toHaveLength(1);
    expect(hub.finding('alice')).toMatchObject({
      Title: 'updated',
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
    });
  });

  it('refuses more than 100 findings per import', async () => {
    const req = request('POST', '/findings/import', {
      Findings: Array.from({ length: 101 }, (_, i) => finding(`u${i}`)),
    });
    expect(() => hub.handle(req, 'BatchImportFindings')).toThrow(AwsApiError);
  });

  it('filters with EQUALS, PREFIX and NOT_EQUALS and paginates', async () => {
    // Prepare
    await importFindings(hub, [
      finding('alice'),
      finding('bob', { Compliance: { Status: 'PASSED', SecurityControlId: 'IAM.5' } }),
      finding('carol', { Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.19' } }),
      finding('dave', { RecordState: 'ARCHIVED' }),
    ]);
    // Act
    const failed = await getFindings(hub, {
      Filters: {
        ComplianceStatus: [{ Value: 'FAILED', Comparison: 'EQUALS' }],
        ComplianceSecurityControlId: [{ Value: 'IAM.', Comparison: 'PREFIX' }],
        RecordState: [{ Value: 'ARCHIVED', Comparison: 'NOT_EQUALS' }],
        ResourceType: [{ Value: 'AwsIamUser', Comparison: 'EQUALS' }],
      },
    });
    const byResource = await getFindings(hub, {
      Filters: { ResourceId: [{ Value: `arn:aws:iam::${ACCOUNT}:user/carol`, Comparison: 'EQUALS' }] },
    });
    const page1 = await getFindings(hub, { MaxResults: 3 });
    const page2 = await getFindings(hub, { MaxResults: 3, NextToken: page1.NextToken });
    // Assess
    expect(failed.Findings.map((f: Json) => f.Id)).toEqual(['alice', 'carol']);
    expect(byResource.Findings.map((f: Json) => f.Id)).toEqual(['carol']);
    expect(page1.Findings).toHaveLength(3);
    expect(page2.Findings).toHaveLength(1);
    expect(page2.NextToken).toBeUndefined();
  });

  it('refuses filters it does not emulate and bad MaxResults', () => {
    const unknown = request('POST', '/findings', { Filters: { CreatedAt: [{ Start: 'x' }] } });
    expect(() => hub.handle(unknown, 'GetFindings')).toThrow(/does not emulate/);
    const tooMany = request('POST', '/findings', { MaxResults: 101 });
    expect(() => hub.handle(tooMany, 'GetFindings')).toThrow(/MaxResults/);
  });

  it('updates workflow status and notes, and reports unknown findings', async () => {
    // Prepare
    await importFindings(hub, [finding('alice')]);
    env.advance(60_000);
    // Act
    const result = await update(hub, {
      FindingIdentifiers: [
        { Id: 'alice', ProductArn: PRODUCT },
        { Id: 'nobody', ProductArn: PRODUCT },
      ],
      Workflow: { Status: 'NOTIFIED' },
      Note: { Text: 'enrolment required by deadline', UpdatedBy: 'mfa-remediation' },
    });
    // Assess
    expect(result).toEqual({
      ProcessedFindings: [{ Id: 'alice', ProductArn: PRODUCT }],
      UnprocessedFindings: [
        {
          FindingIdentifier: { Id: 'nobody', ProductArn: PRODUCT },
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
        },
      ],
    });
    expect(hub.finding('alice')).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Note: {
        Text: 'enrolment required by deadline',
        UpdatedBy: 'mfa-remediation',
        UpdatedAt: '2026-11-23T10:01:00.000Z',
      },
      // The provider's UpdatedAt: BatchUpdateFindings does not change it, as AWS documents.
      UpdatedAt: '2026-11-20T10:00:00.000Z',
    });
  });

  it('refuses, with the default product ARN, a finding for another account, and names products as AWS does', async () => {
    // Act
    const result = await call(hub, 'POST', '/findings/import', {
      Findings: [
        finding('mine'),
        finding('theirs', { AwsAccountId: '999999999999' }),
        finding('aws-control', { ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub' }),
      ],
    });

    // Assess
    expect(result).toMatchObject({
      SuccessCount: 2,
      FailedCount: 1,
      FailedFindings: [{ Id: 'theirs', ErrorCode: 'AccessDeniedException' }],
    });
    expect(hub.finding('theirs')).toBeUndefined();
    expect(hub.finding('mine')).toMatchObject({ ProductName: 'Default', CompanyName: 'Personal' });
    expect(hub.finding('aws-control')).toMatchObject({
      ProductName: 'Security Hub',
      CompanyName: 'AWS',
      ProductFields: { 'aws/securityhub/ProductName': 'Security Hub', 'aws/securityhub/CompanyName': 'AWS' },
    });
  });

  it('validates updates', () => {
    const longNote = request('PATCH', '/findings/batchupdate', {
      FindingIdentifiers: [{ Id: 'a', ProductArn: PRODUCT }],
      Note: { Text: 'x'.repeat(513), UpdatedBy: 'me' },
    });
    expect(() => hub.handle(longNote, 'BatchUpdateFindings')).toThrow(/Note.Text/);
    const badStatus = request('PATCH', '/findings/batchupdate', {
      FindingIdentifiers: [{ Id: 'a', ProductArn: PRODUCT }],
      Workflow: { Status: 'DONE' },
    });
    expect(() => hub.handle(badStatus, 'BatchUpdateFindings')).toThrow(/Workflow.Status/);
  });

  it('keeps customer workflow on re-import and resolves a finding that passes', async () => {
    await importFindings(hub, [finding('alice')]);
    await update(hub, {
      FindingIdentifiers: [{ Id: 'alice', ProductArn: PRODUCT }],
      Workflow: { Status: 'NOTIFIED' },
    });
    await importFindings(hub, [finding('alice', { Title: 'again' })]);
    expect(hub.finding('alice')).toMatchObject({ Title: 'again', Workflow: { Status: 'NOTIFIED' } });
    await importFindings(hub, [
      finding('alice', { Compliance: { Status: 'PASSED', SecurityControlId: 'IAM.5' } }),
    ]);
    expect(hub.finding('alice')).toMatchObject({ Workflow: { Status: 'RESOLVED' } });
  });
});
