/**
 * Security Hub finding updates with BatchUpdateFindings (the API meant for responders, which unlike
 * BatchImportFindings never fights the finding provider over fields). Calls go to the finding's own region.
 */
import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { FindingsPort } from '../core/ports.ts';
import { call } from './sdk-errors.ts';

export function createFindingsAdapter(
  clientFor: (region: string | undefined) => SecurityHubClient,
): FindingsPort {
  return {
    async updateWorkflow(finding, status, note) {
      const client = clientFor(finding.region);
      const response = await call('securityhub', 'BatchUpdateFindings', () =>
        client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: [{ Id: finding.id, ProductArn: finding.productArn }],
            Workflow: { Status: status },
            Note: { Text: note.slice(0, 512), UpdatedBy: 'mfa-remediation' },
          }),
        ),
      );
      const unprocessed = response.UnprocessedFindings?.[0];
      if (!unprocessed) return 'applied';
      if (unprocessed.ErrorCode === 'FindingNotFound') return 'not-found';
      throw new Error(
        `BatchUpdateFindings did not process ${finding.id}: ${unprocessed.ErrorCode} ${unprocessed.ErrorMessage ?? ''}`,
      );
    },
  };
}
