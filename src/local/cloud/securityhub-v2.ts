/**
 * AWS Security Hub's OCSF findings API for the local cloud — GetFindingsV2 (filters, sort, pagination) and
 * BatchUpdateFindingsV2 (status, severity and comment per finding, processed / unprocessed) — plus the
 * import the local cloud offers instead of Security Hub's own finding producers (AWS creates these findings
 * from Security Hub CSPM controls and integrated products; no public API writes them): the admin request
 * `POST /_local/securityhub/v2/findings` (docs/reference.md: Local cloud admin API).
 *
 * Served by the Security Hub emulator (one SigV4 service, `securityhub`, for both generations), with one
 * store per local cloud: every caller sees every finding, as the delegated administrator does. Where it
 * knowingly differs from AWS: `Scopes` and `IpFilters` are refused as not emulated; a re-import keeps what
 * BatchUpdateFindingsV2 set but moves no status by itself (Security Hub's own rules are not modelled).
 */
import { STATUS_CAPTIONS } from '../../core/ocsf/schema.ts';
import { AwsApiError, type LocalCloudEnv } from '../cloud-types.ts';
import { paginateByOffset } from './pagination.ts';
import { compileOcsfFilters, type OcsfDocument, validation, valuesAt } from './securityhub-v2-filters.ts';

export type { OcsfDocument } from './securityhub-v2-filters.ts';

/** The V2 half of the Security Hub emulator. */
export interface SecurityHubV2 {
  /** `METHOD path` → operation, as the SDK's HTTP bindings route them. */
  readonly routes: Readonly<Record<string, string>>;
  /** Runs an operation of `routes` on its JSON body. */
  handle(operation: string, body: Record<string, unknown>): unknown;
  isWrite(operation: string): boolean;
  /** Imports OCSF findings (`{"findings": [...]}`, 1-100), upserting by `metadata.uid`. */
  importFindings(body: unknown): { imported: number; metadataUids: string[] };
  /** A copy of the stored finding with this `metadata.uid`, or undefined. */
  finding(metadataUid: string): OcsfDocument | undefined;
  /** Copies of every stored finding, in import order. */
  all(): OcsfDocument[];
  reset(): void;
}

/** Thrown by `importFindings` for a body it cannot take; the admin API answers 400 with the message. */
export class OcsfImportError extends Error {
  override readonly name = 'OcsfImportError';
}

const MAX_RESULTS = 100;
const MAX_PER_CALL = 100;
const MAX_COMMENT = 512;
const SEVERITY_CAPTIONS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Informational',
  2: 'Low',
  3: 'Medium',
  4: 'High',
  5: 'Critical',
  6: 'Fatal',
  99: 'Other',
};
/** What BatchUpdateFindingsV2 writes; a provider's re-import does not overwrite them. */
const CUSTOMER_FIELDS = ['status_id', 'status', 'severity_id', 'severity', 'comment'] as const;

/** Creates the V2 store and operations. */
export function createSecurityHubV2(env: LocalCloudEnv): SecurityHubV2 {
  const findings = new Map<string, OcsfDocument>();
  /** Fields a customer set per finding, kept across re-imports. */
  const customer = new Map<string, Partial<Record<(typeof CUSTOMER_FIELDS)[number], unknown>>>();

  function getFindingsV2(body: Record<string, unknown>) {
    if (body.Scopes !== undefined) {
      throw validation('Scopes is not emulated by the local cloud: every caller sees every finding.');
    }
    const maxResults = body.MaxResults ?? MAX_RESULTS;
    if (
      typeof maxResults !== 'number' ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > MAX_RESULTS
    ) {
      throw validation(`MaxResults must be between 1 and ${MAX_RESULTS}.`);
    }
    const matches = compileOcsfFilters(body.Filters, env.now);
    const selected = sortFindings([...findings.values()].filter(matches), body.SortCriteria);
    const page = paginateByOffset(selected, body.NextToken, maxResults, () =>
      validation('The NextToken is not valid.'),
    );
    return {
      Findings: page.items.map(copy),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  function batchUpdateFindingsV2(body: Record<string, unknown>) {
    const uids = body.MetadataUids;
    const identifiers = body.FindingIdentifiers;
    const hasUids = Array.isArray(uids) && uids.length > 0;
    const hasIdentifiers = Array.isArray(identifiers) && identifiers.length > 0;
    if (hasUids === hasIdentifiers) {
      throw validation('Provide either MetadataUids or FindingIdentifiers, not both and not neither.');
    }
    const targets = (hasUids ? uids : identifiers) as unknown[];
    if (targets.length > MAX_PER_CALL) {
      throw validation(
        `${hasUids ? 'MetadataUids' : 'FindingIdentifiers'} can have at most ${MAX_PER_CALL} items.`,
      );
    }
    const apply = validateUpdate(body);
    const processed: unknown[] = [];
    const unprocessed: unknown[] = [];
    for (const [i, target] of targets.entries()) {
      const { key, reference } = hasUids ? byUid(target, i) : byIdentifier(target, i);
      const finding = key === undefined ? undefined : findings.get(key);
      if (!finding || key === undefined) {
        unprocessed.push({
          ...reference,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'The finding was not found.',
        });
        continue;
      }
      apply(key, finding);
      processed.push(reference);
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }

  function byUid(target: unknown, index: number) {
    if (typeof target !== 'string' || !/\S/.test(target)) {
      throw validation(`MetadataUids[${index}] must be a string that is not blank.`);
    }
    return { key: findings.has(target) ? target : undefined, reference: { MetadataUid: target } };
  }

  function byIdentifier(target: unknown, index: number) {
    const t = (target ?? {}) as Record<string, unknown>;
    for (const name of ['CloudAccountUid', 'FindingInfoUid', 'MetadataProductUid']) {
      if (typeof t[name] !== 'string' || !/\S/.test(t[name] as string)) {
        throw validation(`FindingIdentifiers[${index}].${name} is required.`);
      }
    }
    const identifier = {
      CloudAccountUid: t.CloudAccountUid,
      FindingInfoUid: t.FindingInfoUid,
      MetadataProductUid: t.MetadataProductUid,
    };
    let key: string | undefined;
    for (const [uid, f] of findings) {
      if (
        first(f, 'cloud.account.uid') === identifier.CloudAccountUid &&
        first(f, 'finding_info.uid') === identifier.FindingInfoUid &&
        first(f, 'metadata.product.uid') === identifier.MetadataProductUid
      ) {
        key = uid;
        break;
      }
    }
    return { key, reference: { FindingIdentifier: identifier } };
  }

  /** Checks the update fields once (a bad value fails the whole request), returns the change to apply. */
  function validateUpdate(body: Record<string, unknown>): (key: string, finding: OcsfDocument) => void {
    const { Comment: comment, StatusId: statusId, SeverityId: severityId } = body;
    if (comment === undefined && statusId === undefined && severityId === undefined) {
      throw validation('At least one of Comment, SeverityId or StatusId is required.');
    }
    if (comment !== undefined) {
      if (typeof comment !== 'string' || !/\S/.test(comment) || comment.length > MAX_COMMENT) {
        throw validation(`Comment must be 1-${MAX_COMMENT} characters and not blank.`);
      }
    }
    const enumerated = (value: unknown, name: string, captions: Readonly<Record<number, string>>) => {
      if (value !== undefined && (typeof value !== 'number' || !(value in captions))) {
        throw validation(`${name} must be one of ${Object.keys(captions).join(', ')}.`);
      }
    };
    enumerated(statusId, 'StatusId', STATUS_CAPTIONS);
    enumerated(severityId, 'SeverityId', SEVERITY_CAPTIONS);
    return (key, finding) => {
      // finding_info.modified_time(_dt) and time(_dt) stay as they are: AWS documents exactly that.
      const set: Partial<Record<(typeof CUSTOMER_FIELDS)[number], unknown>> = {};
      if (statusId !== undefined) {
        set.status_id = statusId;
        set.status = STATUS_CAPTIONS[statusId as number];
      }
      if (severityId !== undefined) {
        set.severity_id = severityId;
        set.severity = SEVERITY_CAPTIONS[severityId as number];
      }
      if (comment !== undefined) set.comment = comment;
      Object.assign(finding, set);
      customer.set(key, { ...(customer.get(key) ?? {}), ...set });
    };
  }

  function importFindings(body: unknown): { imported: number; metadataUids: string[] } {
    const list =
      body !== null && typeof body === 'object' ? (body as { findings?: unknown }).findings : undefined;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PER_CALL) {
      throw new OcsfImportError(`expected {"findings": [...]} with 1 to ${MAX_PER_CALL} OCSF findings`);
    }
    const checked = list.map((finding, index) => checkImported(finding, index));
    for (const finding of checked) {
      const uid = first(finding, 'metadata.uid') as string;
      const kept = customer.get(uid) ?? {};
      findings.delete(uid); // a re-import moves the finding to the end, as the newest
      findings.set(uid, { ...copy(finding), ...kept });
    }
    return { imported: checked.length, metadataUids: checked.map((f) => first(f, 'metadata.uid') as string) };
  }

  const operations: Readonly<Record<string, (body: Record<string, unknown>) => unknown>> = {
    GetFindingsV2: getFindingsV2,
    BatchUpdateFindingsV2: batchUpdateFindingsV2,
  };

  return {
    routes: {
      'POST /findingsv2': 'GetFindingsV2',
      'PATCH /findingsv2/batchupdatev2': 'BatchUpdateFindingsV2',
    },
    handle(operation, body) {
      const run = operations[operation];
      if (!run) throw new AwsApiError('UnknownOperationException', `No V2 operation ${operation}.`, 404);
      return run(body);
    },
    isWrite: (operation) => operation === 'BatchUpdateFindingsV2',
    importFindings,
    finding(uid) {
      const found = findings.get(uid);
      return found ? copy(found) : undefined;
    },
    all: () => [...findings.values()].map(copy),
    reset() {
      findings.clear();
      customer.clear();
    },
  };
}

/** The identity attributes every Security Hub finding has (BatchUpdateFindingsV2 identifies by them). */
function checkImported(finding: unknown, index: number): OcsfDocument {
  const at = `findings[${index}]`;
  if (finding === null || typeof finding !== 'object' || Array.isArray(finding)) {
    throw new OcsfImportError(`${at}: must be an OCSF finding object`);
  }
  const f = finding as OcsfDocument;
  if (typeof f.class_uid !== 'number' || !Number.isInteger(f.class_uid)) {
    throw new OcsfImportError(`${at}.class_uid: must be an integer (2003 for a Compliance Finding)`);
  }
  for (const path of ['metadata.uid', 'metadata.product.uid', 'finding_info.uid']) {
    const value = first(f, path);
    if (typeof value !== 'string' || !/\S/.test(value)) {
      throw new OcsfImportError(`${at}.${path}: is required (a string that is not blank)`);
    }
  }
  if (!/^\d{12}$/.test(String(first(f, 'cloud.account.uid') ?? ''))) {
    throw new OcsfImportError(`${at}.cloud.account.uid: must be a 12-digit AWS account id`);
  }
  return f;
}

function first(document: OcsfDocument, path: string): unknown {
  return valuesAt(document, path)[0];
}

function copy(document: OcsfDocument): OcsfDocument {
  return structuredClone(document);
}

/** SortCriteria on dotted paths (first value of each), numbers numerically; otherwise import order. */
function sortFindings(list: OcsfDocument[], criteria: unknown): OcsfDocument[] {
  if (criteria === undefined) return list;
  if (!Array.isArray(criteria)) throw validation('SortCriteria must be a list.');
  const rules = criteria.map((c, i) => {
    const rule = (c ?? {}) as { Field?: unknown; SortOrder?: unknown };
    if (typeof rule.Field !== 'string' || !/\S/.test(rule.Field)) {
      throw validation(`SortCriteria[${i}].Field is required.`);
    }
    if (rule.SortOrder !== undefined && rule.SortOrder !== 'asc' && rule.SortOrder !== 'desc') {
      throw validation(`SortCriteria[${i}].SortOrder must be asc or desc.`);
    }
    return { field: rule.Field, sign: rule.SortOrder === 'desc' ? -1 : 1 };
  });
  return [...list].sort((a, b) => {
    for (const { field, sign } of rules) {
      const x = first(a, field);
      const y = first(b, field);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
      return order * sign;
    }
    return 0;
  });
}
