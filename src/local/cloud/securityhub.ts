/**
 * AWS Security Hub emulator for the local cloud: the REST-JSON findings API the product uses —
 * BatchImportFindings, GetFindings (string filters, pagination) and BatchUpdateFindings (workflow status and
 * notes). One findings store per local cloud: every caller sees every finding, as a Security Hub
 * administrator account sees its members' findings.
 */
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalRequest,
  type LocalResponse,
} from '../cloud-types.ts';
import { jsonResponse, parseJsonObject } from './json-protocol.ts';
import { paginateByOffset } from './pagination.ts';
import { asffViolation, mergeImported } from './securityhub-asff.ts';
import { compileFilters, type Finding } from './securityhub-filters.ts';
import { importRefusal, withProductNames } from './securityhub-products.ts';
import { createSecurityHubV2, type SecurityHubV2 } from './securityhub-v2.ts';

export type { Finding } from './securityhub-filters.ts';

/** The Security Hub emulator plus in-process access for tests. */
export interface SecurityHubService extends EmulatedService {
  /** The stored finding with this Id (any product), or undefined. */
  finding(id: string): Finding | undefined;
  /** Every stored finding, in import order. */
  all(): Finding[];
  /** The OCSF findings of Security Hub's V2 API (GetFindingsV2, BatchUpdateFindingsV2). */
  readonly v2: SecurityHubV2;
}

/** `METHOD path` → operation, as the SDK's HTTP bindings route them. */
const ROUTES: Readonly<Record<string, string>> = {
  'POST /findings/import': 'BatchImportFindings',
  'POST /findings': 'GetFindings',
  'PATCH /findings/batchupdate': 'BatchUpdateFindings',
};

const WORKFLOW_STATUSES = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const SEVERITY_LABELS = new Set(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
const MAX_IMPORT = 100;
const MAX_RESULTS = 100;
const MAX_NOTE = 512;

const invalidInput = (message: string) => new AwsApiError('InvalidInputException', message, 400);

/** Creates the Security Hub emulator. */
export function createSecurityHubService(env: LocalCloudEnv): SecurityHubService {
  // Keyed by ProductArn + Id, the identity Security Hub upserts on.
  const findings = new Map<string, Finding>();
  const keyOf = (id: string, productArn: string) => `${productArn}\u0000${id}`;
  const isoNow = () => new Date(env.now()).toISOString();
  const v2 = createSecurityHubV2(env);
  const routes: Readonly<Record<string, string>> = { ...ROUTES, ...v2.routes };

  function batchImportFindings(body: Record<string, unknown>, region: string, callerAccountId: string) {
    const list = body.Findings;
    if (!Array.isArray(list)) throw invalidInput('Findings is required.');
    if (list.length === 0 || list.length > MAX_IMPORT) {
      throw invalidInput(`Findings must contain between 1 and ${MAX_IMPORT} findings.`);
    }
    const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const incoming of list as unknown[]) {
      const violation = asffViolation(incoming);
      if (violation) {
        const id = (incoming as { Id?: unknown } | null)?.Id;
        failed.push({
          Id: typeof id === 'string' ? id : '',
          ErrorCode: 'InvalidInput',
          ErrorMessage: violation,
        });
        continue;
      }
      const refusal = importRefusal(incoming as Finding, callerAccountId);
      if (refusal) {
        failed.push({ Id: (incoming as Finding).Id as string, ...refusal });
        continue;
      }
      const finding = withProductNames(incoming as Finding);
      const key = keyOf(finding.Id as string, finding.ProductArn as string);
      findings.set(key, mergeImported(findings.get(key), finding, region, isoNow()));
    }
    return { FailedCount: failed.length, SuccessCount: list.length - failed.length, FailedFindings: failed };
  }

  function getFindings(body: Record<string, unknown>) {
    const matches = compileFilters(body.Filters);
    const maxResults = body.MaxResults ?? MAX_RESULTS;
    if (
      typeof maxResults !== 'number' ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > MAX_RESULTS
    ) {
      throw invalidInput(`MaxResults must be between 1 and ${MAX_RESULTS}.`);
    }
    const selected = sortFindings([...findings.values()].filter(matches), body.SortCriteria);
    const page = paginateByOffset(selected, body.NextToken, maxResults, () =>
      invalidInput('The NextToken is not valid.'),
    );
    return {
      Findings: page.items,
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  function batchUpdateFindings(body: Record<string, unknown>) {
    const identifiers = body.FindingIdentifiers;
    if (!Array.isArray(identifiers) || identifiers.length === 0 || identifiers.length > MAX_IMPORT) {
      throw invalidInput(`FindingIdentifiers must contain between 1 and ${MAX_IMPORT} identifiers.`);
    }
    const update = validateUpdate(body);
    const processed: { Id: string; ProductArn: string }[] = [];
    const unprocessed: { FindingIdentifier: unknown; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const identifier of identifiers as { Id?: unknown; ProductArn?: unknown }[]) {
      const id = identifier?.Id;
      const productArn = identifier?.ProductArn;
      if (typeof id !== 'string' || typeof productArn !== 'string') {
        throw invalidInput('Each finding identifier needs an Id and a ProductArn.');
      }
      const finding = findings.get(keyOf(id, productArn));
      if (!finding) {
        unprocessed.push({
          FindingIdentifier: { Id: id, ProductArn: productArn },
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
        });
        continue;
      }
      update(finding);
      processed.push({ Id: id, ProductArn: productArn });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }

  /** Checks the update fields once (a bad value fails the whole request) and returns the change to apply. */
  function validateUpdate(body: Record<string, unknown>): (finding: Finding) => void {
    const note = body.Note as { Text?: unknown; UpdatedBy?: unknown } | undefined;
    if (note !== undefined) {
      if (typeof note.Text !== 'string' || note.Text === '' || note.Text.length > MAX_NOTE) {
        throw invalidInput(`Note.Text must be between 1 and ${MAX_NOTE} characters.`);
      }
      if (typeof note.UpdatedBy !== 'string' || note.UpdatedBy === '' || note.UpdatedBy.length > MAX_NOTE) {
        throw invalidInput(`Note.UpdatedBy must be between 1 and ${MAX_NOTE} characters.`);
      }
    }
    const status = (body.Workflow as { Status?: unknown } | undefined)?.Status;
    if (status !== undefined && !WORKFLOW_STATUSES.has(String(status))) {
      throw invalidInput(`Workflow.Status must be one of ${[...WORKFLOW_STATUSES].join(', ')}.`);
    }
    const label = (body.Severity as { Label?: unknown } | undefined)?.Label;
    if (label !== undefined && !SEVERITY_LABELS.has(String(label))) {
      throw invalidInput(`Severity.Label must be one of ${[...SEVERITY_LABELS].join(', ')}.`);
    }
    const plain = [
      'VerificationState',
      'Confidence',
      'Criticality',
      'Types',
      'UserDefinedFields',
      'RelatedFindings',
    ];
    const changes = plain.filter((k) => body[k] !== undefined);
    if (note === undefined && status === undefined && label === undefined && changes.length === 0) {
      throw invalidInput('At least one attribute to update is required.');
    }
    return (finding) => {
      const now = isoNow();
      if (note) finding.Note = { Text: note.Text, UpdatedBy: note.UpdatedBy, UpdatedAt: now };
      if (status !== undefined)
        finding.Workflow = { ...((finding.Workflow as object) ?? {}), Status: status };
      if (label !== undefined) finding.Severity = { ...((finding.Severity as object) ?? {}), Label: label };
      for (const key of changes) finding[key] = body[key];
      // UpdatedAt is the finding provider's: BatchUpdateFindings leaves it as it was (docs: BatchUpdateFindings).
    };
  }

  type Operation = (body: Record<string, unknown>, req: LocalRequest) => unknown;
  const operations: Readonly<Record<string, Operation>> = {
    BatchImportFindings: (body, req) =>
      batchImportFindings(body, req.region || env.defaultRegion, req.accountId),
    GetFindings: getFindings,
    BatchUpdateFindings: batchUpdateFindings,
  };

  return {
    name: 'securityhub',
    protocol: 'rest-json',
    operationOf: (req) => routes[`${req.method.toUpperCase()} ${req.path.replace(/\/+$/, '')}`] ?? 'Unknown',
    isWrite: (operation) =>
      operation === 'BatchImportFindings' || operation === 'BatchUpdateFindings' || v2.isWrite(operation),
    handle(req, operation): LocalResponse {
      const body = parseJsonObject(req.body, () => invalidInput('The request body is not a JSON object.'));
      if (Object.values(v2.routes).includes(operation)) {
        return jsonResponse('rest-json', v2.handle(operation, body));
      }
      const run = operations[operation];
      if (!run) {
        throw new AwsApiError('UnknownOperationException', `No route for ${req.method} ${req.path}.`, 404);
      }
      return jsonResponse('rest-json', run(body, req));
    },
    reset() {
      findings.clear();
      v2.reset();
    },
    finding(id) {
      for (const finding of findings.values()) if (finding.Id === id) return finding;
      return undefined;
    },
    all: () => [...findings.values()],
    v2,
  };
}

/** SortCriteria on top-level string attributes (e.g. UpdatedAt, Id); otherwise import order. */
function sortFindings(list: Finding[], criteria: unknown): Finding[] {
  if (!Array.isArray(criteria) || criteria.length === 0) return list;
  const rules = criteria as { Field?: string; SortOrder?: string }[];
  return [...list].sort((a, b) => {
    for (const { Field, SortOrder } of rules) {
      if (!Field) continue;
      const x = String(a[Field] ?? '');
      const y = String(b[Field] ?? '');
      if (x !== y) return (x < y ? -1 : 1) * (SortOrder === 'desc' ? -1 : 1);
    }
    return 0;
  });
}
