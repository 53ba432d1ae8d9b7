/**
 * GetFindings string filters. Within one field, EQUALS / PREFIX / CONTAINS filters are ORed and the negative
 * ones (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS) ANDed with them; different fields are ANDed — the rules
 * Security Hub documents for AwsSecurityFindingFilters. Resource fields match when any resource does.
 *
 * The limits are AWS's too ("You can filter by up to 10 finding attributes. For each attribute, you can
 * provide up to 20 filter values.", GetFindings `Filters`): a request beyond them is refused whole with
 * InvalidInputException (400), never answered with a partial match — so a caller that forgets to chunk its
 * `Id` filter (the worker sends 20 at a time) fails here as it would on AWS.
 */
import { AwsApiError } from '../cloud-types.ts';

/** A finding in AWS Security Finding Format, kept as the JSON document it was imported as. */
export type Finding = Record<string, unknown>;

/** One `StringFilter`. */
export interface StringFilter {
  readonly Value?: string;
  readonly Comparison?: string;
}

type Extract = (finding: Finding) => unknown[];

const at =
  (...path: string[]): Extract =>
  (finding) => {
    let value: unknown = finding;
    for (const key of path) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
  };

const resources =
  (field: string): Extract =>
  (finding) =>
    (Array.isArray(finding.Resources) ? finding.Resources : []).map(
      (r) => (r as Record<string, unknown>)?.[field],
    );

/** The string fields the emulator can filter on, and where each lives in a finding. */
const FIELDS: Readonly<Record<string, Extract>> = {
  Id: at('Id'),
  ProductArn: at('ProductArn'),
  AwsAccountId: at('AwsAccountId'),
  GeneratorId: at('GeneratorId'),
  Region: at('Region'),
  Type: at('Types'),
  Title: at('Title'),
  Description: at('Description'),
  ProductName: at('ProductName'),
  CompanyName: at('CompanyName'),
  SeverityLabel: at('Severity', 'Label'),
  ComplianceStatus: at('Compliance', 'Status'),
  ComplianceSecurityControlId: at('Compliance', 'SecurityControlId'),
  WorkflowStatus: at('Workflow', 'Status'),
  WorkflowState: at('WorkflowState'),
  RecordState: at('RecordState'),
  VerificationState: at('VerificationState'),
  ResourceId: resources('Id'),
  ResourceType: resources('Type'),
  ResourceRegion: resources('Region'),
  ResourcePartition: resources('Partition'),
};

/** AwsSecurityFindingFilters: at most this many finding attributes per request… */
export const MAX_FILTER_ATTRIBUTES = 10;
/** …and at most this many filter values per attribute. */
export const MAX_FILTER_VALUES = 20;

const POSITIVE = new Set(['EQUALS', 'PREFIX', 'CONTAINS']);
const NEGATIVE = new Set(['NOT_EQUALS', 'PREFIX_NOT_EQUALS', 'NOT_CONTAINS']);

/**
 * Checks the `Filters` document and returns a predicate over findings. A filter on a field the emulator does
 * not implement is refused (InvalidInputException) rather than silently ignored.
 */
export function compileFilters(filters: unknown): (finding: Finding) => boolean {
  if (filters === undefined || filters === null) return () => true;
  if (typeof filters !== 'object' || Array.isArray(filters)) {
    throw new AwsApiError('InvalidInputException', 'Filters must be an object.', 400);
  }
  // Worded like Security Hub's schema-validation messages (`data.X should NOT have more than N items`).
  const attributes = Object.keys(filters);
  if (attributes.length > MAX_FILTER_ATTRIBUTES) {
    throw new AwsApiError(
      'InvalidInputException',
      `Invalid parameter 'Filters'. data should NOT have more than ${MAX_FILTER_ATTRIBUTES} properties (got ${attributes.length})`,
      400,
    );
  }
  for (const [field, list] of Object.entries(filters)) {
    if (Array.isArray(list) && list.length > MAX_FILTER_VALUES) {
      throw new AwsApiError(
        'InvalidInputException',
        `Invalid parameter 'Filters'. data.${field} should NOT have more than ${MAX_FILTER_VALUES} items (got ${list.length})`,
        400,
      );
    }
  }
  const checks: ((finding: Finding) => boolean)[] = [];
  for (const [field, list] of Object.entries(filters)) {
    const extract = FIELDS[field];
    if (!extract) {
      throw new AwsApiError(
        'InvalidInputException',
        `The local cloud does not emulate the ${field} filter.`,
        400,
      );
    }
    if (!Array.isArray(list))
      throw new AwsApiError('InvalidInputException', `Filter ${field} must be a list.`, 400);
    if (list.length === 0) continue;
    for (const filter of list as StringFilter[]) {
      const comparison = filter?.Comparison ?? '';
      if (typeof filter?.Value !== 'string' || !(POSITIVE.has(comparison) || NEGATIVE.has(comparison))) {
        throw new AwsApiError('InvalidInputException', `Invalid string filter on ${field}.`, 400);
      }
    }
    const positives = (list as Required<StringFilter>[]).filter((f) => POSITIVE.has(f.Comparison));
    const negatives = (list as Required<StringFilter>[]).filter((f) => NEGATIVE.has(f.Comparison));
    checks.push((finding) => {
      const values = extract(finding).filter((v): v is string => typeof v === 'string');
      const anyPositive = positives.length === 0 || positives.some((f) => values.some((v) => compare(f, v)));
      const allNegative = negatives.every((f) => values.every((v) => compare(f, v)));
      return anyPositive && allNegative;
    });
  }
  return (finding) => checks.every((check) => check(finding));
}

function compare(filter: Required<StringFilter>, value: string): boolean {
  switch (filter.Comparison) {
    case 'EQUALS':
      return value === filter.Value;
    case 'PREFIX':
      return value.startsWith(filter.Value);
    case 'CONTAINS':
      return value.includes(filter.Value);
    case 'NOT_EQUALS':
      return value !== filter.Value;
    case 'PREFIX_NOT_EQUALS':
      return !value.startsWith(filter.Value);
    case 'NOT_CONTAINS':
      return !value.includes(filter.Value);
    default:
      return false;
  }
}
