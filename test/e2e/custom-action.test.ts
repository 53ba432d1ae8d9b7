/**
 * Security Hub CSPM's custom action (stage parameter `customActionEnabled`, docs/deploy.md): an operator selects
 * findings and chooses "Remediate MFA"; EventBridge delivers them as one "Security Hub Findings - Custom
 * Action" event. The worker takes the MFA findings even when their workflow is already RESOLVED (the operator
 * asked), ignores the others, and verifies every finding with Security Hub before it updates one.
 */
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPolicyArn } from '../../src/core/model.ts';
import { makeFinding, makeSecurityHubEvent } from '../../src/local/findings.ts';
import { ACCOUNT, type Harness, startHarness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function workflowOf(h: Harness, id: string): Promise<string | undefined> {
  const hub = new SecurityHubClient(h.clientOptions);
  try {
    const { Findings = [] } = await hub.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } }),
    );
    return Findings[0]?.Workflow?.Status;
  } finally {
    hub.destroy();
  }
}

describe('Security Hub custom action', () => {
  it('contains the user of a selected MFA finding, even a RESOLVED one, and leaves the other selected findings alone', async () => {
    // Prepare: ivan lacks MFA, yet his IAM.5 finding was resolved by hand; an S3 finding is selected with it.
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'ivan', consolePassword: true }]);
    const ivans = makeFinding({ userName: 'ivan', accountId: ACCOUNT, workflowStatus: 'RESOLVED' });
    const bucket = makeFinding(
      {
        controlId: 'S3.1',
        accountId: ACCOUNT,
        resources: [{ Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::logs' }],
      },
      { Title: 'S3 general purpose buckets should block public access' },
    );
    await h.importFindings([ivans, bucket]);
    await h.send([makeSecurityHubEvent([ivans, bucket], { kind: 'custom-action', account: ACCOUNT })]);

    // Act
    await h.runWorker();

    // Assess, from the local cloud's own state.
    const outcomes = await h.outcomes();
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['enrollment-required', 'ignored']);
    expect(h.cloud.iam.getUser(ACCOUNT, 'ivan')?.attachedPolicyArns).toEqual([guardPolicyArn(ACCOUNT)]);
    expect(await workflowOf(h, ivans.Id as string)).toBe('NOTIFIED');
    expect(await workflowOf(h, bucket.Id as string)).toBe('NEW');
    expect(h.cloud.stats().requests['securityhub:BatchUpdateFindings']).toBe(1);
  });

  it('an Imported event of a RESOLVED finding is ignored: only an operator’s action reopens it', async () => {
    harness = await startHarness({ env: { REMEDIATION_MODE: 'enforce' } });
    const h = harness;
    h.seed(ACCOUNT, [{ userName: 'ivan', consolePassword: true }]);
    const ivans = makeFinding({ userName: 'ivan', accountId: ACCOUNT, workflowStatus: 'RESOLVED' });
    await h.importFindings([ivans]);
    await h.send([makeSecurityHubEvent([ivans], { account: ACCOUNT })]);
    await h.runWorker();
    expect((await h.outcomes()).map((o) => o.outcome)).toEqual(['ignored']);
    expect(h.cloud.iam.getUser(ACCOUNT, 'ivan')?.attachedPolicyArns).toEqual([]);
    expect(await workflowOf(h, ivans.Id as string)).toBe('RESOLVED');
  });
});
