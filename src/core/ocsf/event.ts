/**
 * The `detail` of a Security Hub "Findings Imported V2" EventBridge event → one item per OCSF finding. AWS
 * documents one finding per event; up to `MAX_FINDINGS_PER_MESSAGE` are accepted, as for ASFF, so that a
 * batch written by hand (`{"findings": [...]}`) is read the same way and nothing larger amplifies one message.
 */
import { MAX_FINDINGS_PER_MESSAGE } from '../asff.ts';
import {
  describeZodError,
  formatPath,
  type IntakeContext,
  rejected,
  terminal,
  withoutUndefined,
} from '../intake-items.ts';
import type { IntakeItem } from '../model.ts';
import { parseOcsfFinding } from './finding.ts';
import { OcsfEventDetail } from './schema.ts';

/** Items of a "Findings Imported V2" event's `detail` (at `detailPath` in the body). Never throws. */
export function parseOcsfDetail(detail: unknown, detailPath: string, context: IntakeContext): IntakeItem[] {
  const parsed = OcsfEventDetail.safeParse(detail);
  if (!parsed.success) {
    const { field, reason } = describeZodError(parsed.error, detailPath);
    return [rejectV2(reason, field, context)];
  }
  const path = formatPath(['findings'], detailPath);
  const { findings } = parsed.data;
  if (findings.length === 0) return [rejectV2(`${path}: must contain at least one finding`, path, context)];
  if (findings.length > MAX_FINDINGS_PER_MESSAGE) {
    const reason = `${path}: ${findings.length} findings exceed the limit of ${MAX_FINDINGS_PER_MESSAGE} per message (Security Hub sends one per event)`;
    return [rejectV2(reason, path, context)];
  }
  return findings.map((finding, index) =>
    parseOcsfFinding(finding, { path: formatPath([index], path), index, messageId: context.messageId }),
  );
}

function rejectV2(reason: string, field: string, context: IntakeContext): IntakeItem {
  const trigger = withoutUndefined({ source: 'security-hub-v2' as const, messageId: context.messageId });
  return terminal(rejected(reason, field, trigger));
}
