/**
 * An OCSF finding as GetFindingsV2 returns it → the {@link FindingFacts} that verification
 * (`../claims/finding.ts`) compares a message's claim with, in the vocabulary both generations share:
 * `status_id` → workflow status (`workflowStatusOf`), a closed finding (activity Close, status Archived) →
 * record state ARCHIVED, the last `comment` → note. Pure: the Security Hub V2 adapter calls it on every
 * document it gets back.
 */
import type { FindingFacts } from '../ports.ts';
import { classifyOcsfControl } from './controls.ts';
import { COMPLIANCE_FINDING_CLASS, isClosed, OcsfFinding, statusIdOf, workflowStatusOf } from './schema.ts';

/** The facts of one returned document, or undefined when it is not a finding we can read. */
export function ocsfFindingFacts(document: unknown): FindingFacts | undefined {
  const parsed = OcsfFinding.safeParse(document);
  if (!parsed.success) return undefined;
  const finding = parsed.data;
  // Only a Compliance Finding is a control check; another class naming a control is about no control.
  const controlId =
    finding.class_uid === COMPLIANCE_FINDING_CLASS ? classifyOcsfControl(finding).controlId : undefined;
  const comment = (finding as { comment?: unknown }).comment;
  return {
    generation: 'ocsf',
    id: finding.metadata.uid,
    productArn: finding.metadata.product.uid,
    accountId: finding.cloud.account.uid,
    ...(controlId === undefined ? {} : { controlId }),
    resourceIds: resourceIdsOf(finding.resources ?? []),
    recordState: isClosed(finding) ? 'ARCHIVED' : 'ACTIVE',
    workflowStatus: workflowStatusOf(statusIdOf(finding)),
    ...(typeof comment === 'string' && comment !== '' ? { note: comment } : {}),
  };
}

/** `uid` and `uid_alt` of every resource: the ARN (or IAM's unique id) of an IAM user is one of them. */
function resourceIdsOf(resources: readonly unknown[]): string[] {
  const ids: string[] = [];
  for (const resource of resources) {
    if (typeof resource !== 'object' || resource === null) continue;
    for (const key of ['uid', 'uid_alt']) {
      const value = (resource as Record<string, unknown>)[key];
      if (typeof value === 'string' && value !== '') ids.push(value);
    }
  }
  return ids;
}
