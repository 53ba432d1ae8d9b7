/**
 * An OCSF finding as GetFindingsV2 returns it → the {@link FindingFacts} verification compares a message's
 * claim with. Pure: the Security Hub V2 adapter calls it on every document it gets back.
 */
import type { FindingFacts } from '../ports.ts';
import { classifyOcsfControl } from './controls.ts';
import {
  COMPLIANCE_FINDING_CLASS,
  IAM_USER_RESOURCE_TYPES,
  isClosed,
  OcsfFinding,
  statusIdOf,
  workflowStatusOf,
} from './schema.ts';

/** The facts of one returned document, or undefined when it is not a finding we can read. */
export function ocsfFindingFacts(document: unknown): FindingFacts | undefined {
  const parsed = OcsfFinding.safeParse(document);
  if (!parsed.success) return undefined;
  const finding = parsed.data;
  const resourceIds: string[] = [];
  for (const resource of finding.resources ?? []) {
    if (typeof resource !== 'object' || resource === null) continue;
    const r = resource as Record<string, unknown>;
    if (typeof r.type !== 'string' || !IAM_USER_RESOURCE_TYPES.has(r.type)) continue;
    for (const key of ['uid', 'uid_alt', 'name']) {
      const value = r[key];
      if (typeof value === 'string' && value !== '') resourceIds.push(value);
    }
  }
  return {
    id: finding.metadata.uid,
    generation: 'ocsf',
    accountId: finding.cloud.account.uid,
    productArn: finding.metadata.product.uid,
    control:
      finding.class_uid === COMPLIANCE_FINDING_CLASS ? classifyOcsfControl(finding) : { kind: 'other' },
    resourceIds,
    recordState: isClosed(finding) ? 'ARCHIVED' : 'ACTIVE',
    workflowStatus: workflowStatusOf(statusIdOf(finding)),
  };
}
