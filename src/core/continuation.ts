/**
 * The unfinished part of a record, as a message body of its own: the record's payload (an EventBridge event
 * or `{"findings": [...]}`, out of any SNS envelope) with only the findings not yet processed. Everything else
 * — the envelope, its `detail-type` (a custom action stays a custom action), each finding as it was — is
 * kept exactly, so the continuation is parsed and verified like the original.
 */
import { isSnsEnvelope, MAX_SNS_DEPTH } from './sns-envelope.ts';

/**
 * `body` with only the findings at `indices` (positions in its `findings` array), or undefined when the
 * body has no such array (only multi-finding bodies can be split).
 */
export function continuationBody(body: string, indices: readonly number[]): string | undefined {
  let value = parse(body);
  for (let depth = 0; isRecord(value) && isSnsEnvelope(value) && depth < MAX_SNS_DEPTH; depth++) {
    value = parse(value.Message);
  }
  if (!isRecord(value)) return undefined;
  const keep = (findings: unknown): unknown[] | undefined =>
    Array.isArray(findings) && indices.every((i) => i >= 0 && i < findings.length)
      ? indices.map((i) => findings[i])
      : undefined;
  if ('detail-type' in value || ('source' in value && 'detail' in value)) {
    const detail = value.detail;
    if (!isRecord(detail)) return undefined;
    const findings = keep(detail.findings);
    return findings && JSON.stringify({ ...value, detail: { ...detail, findings } });
  }
  for (const key of ['findings', 'Findings']) {
    if (key in value) {
      const findings = keep(value[key]);
      return findings && JSON.stringify({ ...value, [key]: findings });
    }
  }
  return undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
