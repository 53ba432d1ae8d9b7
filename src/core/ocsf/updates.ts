/**
 * Finding updates for both Security Hubs behind the one {@link FindingsPort} the workflow calls: ASFF findings
 * go to Security Hub CSPM's adapter as before; OCSF findings are first looked up with GetFindingsV2 and
 * updated with BatchUpdateFindingsV2 only when {@link decideFindingUpdate} accepts Security Hub's record of
 * them — never with the ASFF call, and never on the message's word alone.
 */
import { DependencyError } from '../../errors.ts';
import { decideFindingUpdate } from '../finding-claims.ts';
import { findingKey } from '../model.ts';
import type { FindingsBatchPort, FindingsPort } from '../ports.ts';

/** A {@link FindingsPort} that sends each finding to the API of its generation. */
export function createFindingsRouter(ports: { asff: FindingsPort; ocsf: FindingsBatchPort }): FindingsPort {
  return {
    async updateWorkflow(finding, status, note, claim) {
      if (finding.generation !== 'ocsf') return ports.asff.updateWorkflow(finding, status, note, claim);
      const key = findingKey(finding);
      const facts = (await ports.ocsf.describe([finding])).get(key);
      // The work item is the claim; without one no IAM user can match, so nothing is written.
      const decision = decideFindingUpdate(claim ?? { accountId: finding.accountId ?? '' }, facts, status);
      if (decision.verdict === 'not-found') return 'not-found';
      if (decision.verdict === 'already-applied') return 'already-applied';
      if (decision.verdict === 'skip') return { skipped: decision.reason };
      const result = (await ports.ocsf.update([{ ref: finding, status, note }])).get(key);
      if (result?.result === 'applied') return 'applied';
      if (result?.result === 'not-found') return 'not-found';
      const code = result?.code ?? 'NoResult';
      throw new DependencyError(
        `securityhub:BatchUpdateFindingsV2 did not update the finding: ${code}: ${result?.message ?? 'no result'}`,
        { service: 'securityhub', operation: 'BatchUpdateFindingsV2', code, retryable: false },
      );
    },
  };
}
