import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  InvalidInputException,
  paginateGetFindings,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFindingsAdapter } from '../../../src/aws/securityhub.ts';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions } from './support.ts';

const ACCOUNT = '123456789012';
const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;

function finding(user: string, controlId = 'IAM.5'): AwsSecurityFinding {
  const now = new Date().toISOString();
  return {
    SchemaVersion: '2018-10-08',
    Id: `arn:aws:securityhub:us-east-1:${ACCOUNT}:finding/${user}-${controlId}`,
    ProductArn: PRODUCT,
    GeneratorId: `security-control/${controlId}`,
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    CreatedAt: now,
    UpdatedAt: now,
    Severity: { Label: 'MEDIUM' },
    Title: `${controlId} for ${user}`,
    Description: 'MFA should be enabled',
    Resources: [{ Type: 'AwsIamUser', Id: `arn:aws:iam::${ACCOUNT}:user/${user}` }],
    Compliance: { Status: 'FAILED', SecurityControlId: controlId },
  };
}

describe('local cloud: Security Hub through the AWS SDK', () => {
  let cloud: LocalCloud;
  let hub: SecurityHubClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    hub = new SecurityHubClient(clientOptions(cloud));
    const findings = Array.from({ length: 12 }, (_, i) =>
      finding(`user${i}`, i % 3 === 0 ? 'IAM.19' : 'IAM.5'),
    );
    await hub.send(new BatchImportFindingsCommand({ Findings: findings }));
  });

  afterAll(async () => {
    hub?.destroy();
    await cloud?.close();
  });

  it('imports findings and reports the ones that do not adhere to ASFF', async () => {
    const { Title: _title, ...noTitle } = finding('broken');
    const result = await hub.send(
      new BatchImportFindingsCommand({
        Findings: [finding('user0', 'IAM.19'), noTitle as AwsSecurityFinding],
      }),
    );
    expect(result.SuccessCount).toBe(1);
    expect(result.FailedCount).toBe(1);
    expect(result.FailedFindings?.[0]).toMatchObject({ Id: noTitle.Id, ErrorCode: 'InvalidInput' });
  });

  it('filters and paginates GetFindings', async () => {
    // Act
    const iam5: AwsSecurityFinding[] = [];
    const pages: number[] = [];
    for await (const page of paginateGetFindings(
      { client: hub, pageSize: 3 },
      {
        Filters: {
          ComplianceSecurityControlId: [{ Value: 'IAM.5', Comparison: 'EQUALS' }],
          WorkflowStatus: [{ Value: 'SUPPRESSED', Comparison: 'NOT_EQUALS' }],
          ResourceType: [{ Value: 'AwsIamUser', Comparison: 'EQUALS' }],
        },
      },
    )) {
      pages.push(page.Findings?.length ?? 0);
      iam5.push(...(page.Findings ?? []));
    }
    const byUser = await hub.send(
      new GetFindingsCommand({
        Filters: { ResourceId: [{ Value: `arn:aws:iam::${ACCOUNT}:user/user3`, Comparison: 'EQUALS' }] },
      }),
    );
    // Assess
    expect(iam5).toHaveLength(8);
    expect(pages).toEqual([3, 3, 2]);
    expect(byUser.Findings?.map((f) => f.Compliance?.SecurityControlId)).toEqual(['IAM.19']);
    expect(byUser.Findings?.[0]?.Workflow?.Status).toBe('NEW');
  });

  it('updates workflow status and notes, reporting unknown findings', async () => {
    // Prepare
    const known = finding('user1');
    // Act
    const result = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: known.Id, ProductArn: PRODUCT },
          { Id: 'arn:aws:securityhub:us-east-1:123456789012:finding/nope', ProductArn: PRODUCT },
        ],
        Workflow: { Status: 'NOTIFIED' },
        Note: { Text: 'MFA enrolment required', UpdatedBy: 'mfa-remediation' },
      }),
    );
    const { Findings } = await hub.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: known.Id!, Comparison: 'EQUALS' }] } }),
    );
    // Assess
    expect(result.ProcessedFindings).toEqual([{ Id: known.Id, ProductArn: PRODUCT }]);
    expect(result.UnprocessedFindings?.[0]).toMatchObject({ ErrorCode: 'FindingNotFound' });
    expect(Findings?.[0]?.Workflow?.Status).toBe('NOTIFIED');
    expect(Findings?.[0]?.Note).toMatchObject({
      Text: 'MFA enrolment required',
      UpdatedBy: 'mfa-remediation',
    });
  });

  it('refuses what AWS refuses: more than 20 values for one attribute, more than 10 attributes', async () => {
    // Prepare: 21 Ids (the worker verifies findings 20 at a time), and 11 attributes.
    const ids = Array.from({ length: 21 }, (_, i) => ({
      Value: finding(`user${i}`, i % 3 === 0 ? 'IAM.19' : 'IAM.5').Id!,
      Comparison: 'EQUALS' as const,
    }));
    const attributes = Object.fromEntries(
      [
        'Id',
        'ProductArn',
        'AwsAccountId',
        'GeneratorId',
        'Region',
        'Title',
        'Description',
        'ProductName',
        'CompanyName',
        'SeverityLabel',
        'RecordState',
      ].map((field) => [field, [{ Value: 'x', Comparison: 'NOT_EQUALS' as const }]]),
    );
    // Act
    const twenty = await hub.send(new GetFindingsCommand({ Filters: { Id: ids.slice(0, 20) } }));
    const tooManyValues = await hub
      .send(new GetFindingsCommand({ Filters: { Id: ids } }))
      .catch((e: unknown) => e);
    const ten = await hub.send(
      new GetFindingsCommand({ Filters: Object.fromEntries(Object.entries(attributes).slice(0, 10)) }),
    );
    const tooManyAttributes = await hub
      .send(new GetFindingsCommand({ Filters: attributes }))
      .catch((e: unknown) => e);
    // Assess: the limits themselves pass; one more is InvalidInputException (400) naming what was too many.
    expect(twenty.Findings).toHaveLength(12);
    expect(ten.Findings?.length).toBeGreaterThan(0);
    expect(tooManyValues).toBeInstanceOf(InvalidInputException);
    expect((tooManyValues as InvalidInputException).$metadata.httpStatusCode).toBe(400);
    expect((tooManyValues as InvalidInputException).message).toBe(
      "Invalid parameter 'Filters'. data.Id should NOT have more than 20 items (got 21)",
    );
    expect(tooManyAttributes).toBeInstanceOf(InvalidInputException);
    expect((tooManyAttributes as InvalidInputException).message).toContain(
      'should NOT have more than 10 properties',
    );
  });

  it("the worker's adapter verifies more findings than one filter may name, in calls within the limit", async () => {
    // Prepare: 45 findings of one product (the 12 of the suite's set-up among them, plus 33 more).
    const more = Array.from({ length: 33 }, (_, i) => finding(`bulk${i}`));
    await hub.send(new BatchImportFindingsCommand({ Findings: more }));
    const all = [
      ...Array.from({ length: 12 }, (_, i) => finding(`user${i}`, i % 3 === 0 ? 'IAM.19' : 'IAM.5')),
      ...more,
    ];
    const before = cloud.stats().requests['securityhub:GetFindings'] ?? 0;
    const adapter = createFindingsAdapter(() => hub);
    // Act
    const facts = await adapter.describe(
      all.map((f) => ({ generation: 'asff' as const, id: f.Id!, productArn: PRODUCT, region: 'us-east-1' })),
    );
    // Assess: every finding confirmed, in ceil(45 / 20) = 3 GetFindings, none refused.
    expect(facts.size).toBe(45);
    expect((cloud.stats().requests['securityhub:GetFindings'] ?? 0) - before).toBe(3);
  });

  it('raises InvalidInputException for invalid input', async () => {
    const error = await hub
      .send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: 'x', ProductArn: PRODUCT }],
          Note: { Text: 'x'.repeat(513), UpdatedBy: 'me' },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputException);
    expect((error as InvalidInputException).$metadata.httpStatusCode).toBe(400);
  });
});
