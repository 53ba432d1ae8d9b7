/**
 * The AWS Security Finding Format rules BatchImportFindings applies: required attributes and their types,
 * and how a re-imported finding is merged with the stored one (customer-controlled attributes survive, and
 * Security Hub moves the workflow status when compliance or record state changes).
 */
import type { Finding } from './securityhub-filters.ts';

/** Attributes every imported finding must have, and their JSON types. */
const REQUIRED: ReadonlyArray<readonly [string, 'string' | 'object' | 'array']> = [
  ['AwsAccountId', 'string'],
  ['CreatedAt', 'string'],
  ['Description', 'string'],
  ['GeneratorId', 'string'],
  ['Id', 'string'],
  ['ProductArn', 'string'],
  ['Resources', 'array'],
  ['SchemaVersion', 'string'],
  ['Severity', 'object'],
  ['Title', 'string'],
  ['Types', 'array'],
  ['UpdatedAt', 'string'],
];

/** Attributes a finding provider cannot change once a customer set them with BatchUpdateFindings. */
const CUSTOMER_CONTROLLED = [
  'Note',
  'UserDefinedFields',
  'VerificationState',
  'Workflow',
  'Confidence',
  'Criticality',
  'RelatedFindings',
] as const;

/** Why a finding does not adhere to ASFF, worded as Security Hub's FailedFindings messages, or undefined. */
export function asffViolation(finding: unknown): string | undefined {
  const prefix = 'Finding does not adhere to Amazon Security Finding Format.';
  if (finding === null || typeof finding !== 'object' || Array.isArray(finding))
    return `${prefix} data should be object`;
  const data = finding as Record<string, unknown>;
  for (const [name, type] of REQUIRED) {
    const value = data[name];
    if (value === undefined || value === null)
      return `${prefix} data should have required property '${name}'`;
    const actual = Array.isArray(value) ? 'array' : typeof value;
    if (actual !== type) return `${prefix} data.${name} should be ${type}`;
    if (type === 'string' && value === '')
      return `${prefix} data.${name} should NOT be shorter than 1 characters`;
  }
  if (!/^\d{12}$/.test(data.AwsAccountId as string))
    return `${prefix} data.AwsAccountId should match pattern "^\\d{12}$"`;
  for (const name of ['CreatedAt', 'UpdatedAt', 'FirstObservedAt', 'LastObservedAt']) {
    const value = data[name];
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      return `${prefix} data.${name} should match format "date-time"`;
    }
  }
  const resources = data.Resources as unknown[];
  if (resources.length === 0 || resources.length > 32)
    return `${prefix} data.Resources should have 1 to 32 items`;
  for (const [i, resource] of resources.entries()) {
    const r = (resource ?? {}) as Record<string, unknown>;
    if (typeof r.Type !== 'string' || typeof r.Id !== 'string') {
      return `${prefix} data.Resources[${i}] should have required properties 'Type' and 'Id'`;
    }
  }
  const severity = data.Severity as Record<string, unknown>;
  if (severity.Label === undefined && severity.Normalized === undefined && severity.Product === undefined) {
    return `${prefix} data.Severity should have property 'Label' or 'Normalized'`;
  }
  return undefined;
}

/**
 * The finding stored after an import: a new finding gets Security Hub's defaults (workflow NEW, record
 * ACTIVE); a known one takes the provider's attributes, keeps the customer's, and has its workflow status
 * moved as Security Hub does — to RESOLVED when it passes or is archived, back to NEW when a resolved
 * finding fails again or is re-activated.
 */
export function mergeImported(
  existing: Finding | undefined,
  incoming: Finding,
  region: string,
  now: string,
): Finding {
  if (!existing) {
    const status = (incoming.Workflow as { Status?: string } | undefined)?.Status ?? 'NEW';
    return {
      Region: region,
      RecordState: 'ACTIVE',
      ...incoming,
      Workflow: { Status: status },
      ProcessedAt: now,
    };
  }
  const merged: Finding = { Region: region, ...incoming, ProcessedAt: now };
  for (const key of CUSTOMER_CONTROLLED) {
    if (existing[key] !== undefined) merged[key] = existing[key];
  }
  merged.RecordState = incoming.RecordState ?? existing.RecordState ?? 'ACTIVE';
  const status = (existing.Workflow as { Status?: string } | undefined)?.Status ?? 'NEW';
  const wasCompliance = (existing.Compliance as { Status?: string } | undefined)?.Status;
  const compliance = (merged.Compliance as { Status?: string } | undefined)?.Status;
  let next = status;
  if (
    (status === 'NEW' || status === 'NOTIFIED') &&
    (compliance === 'PASSED' || merged.RecordState === 'ARCHIVED')
  ) {
    next = 'RESOLVED';
  } else if (
    status === 'RESOLVED' &&
    ((wasCompliance === 'PASSED' && compliance !== undefined && compliance !== 'PASSED') ||
      (existing.RecordState === 'ARCHIVED' && merged.RecordState === 'ACTIVE'))
  ) {
    next = 'NEW';
  }
  merged.Workflow = { ...((existing.Workflow as object | undefined) ?? {}), Status: next };
  return merged;
}
