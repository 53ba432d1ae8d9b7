/**
 * AWS Security Hub (the OCSF generation) findings: GetFindingsV2 to look findings up, BatchUpdateFindingsV2
 * to set their status with a comment. Both are bulk and keyed by `findingKey(ref)`; calls go to the
 * finding's own region, like the ASFF adapter's.
 *
 * AWS's limits, from the API reference and the service model: GetFindingsV2 takes up to 10 composite filters
 * with up to 20 filters of each type in each, and returns at most 100 findings a page (`MaxResults` 1-100,
 * `NextToken`); BatchUpdateFindingsV2 takes up to 100 `MetadataUids` (or `FindingIdentifiers`, never both),
 * one `StatusId` and one `Comment` (1-512 characters) for all of them, answers per finding in
 * `ProcessedFindings` / `UnprocessedFindings` (`ResourceNotFoundException`, `ValidationException`,
 * `InternalServerException`, `ConflictException`), and leaves `finding_info.modified_time` and `time` as
 * they were. IAM authorises both with the actions of their ASFF twins, `securityhub:GetFindings` and
 * `securityhub:BatchUpdateFindings`.
 */
import {
  BatchUpdateFindingsV2Command,
  type BatchUpdateFindingsV2CommandOutput,
  GetFindingsV2Command,
  type OcsfStringFilter,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type FindingRef, findingKey } from '../core/model.ts';
import { MFA_CONTROL_VALUES } from '../core/ocsf/controls.ts';
import { ocsfFindingFacts } from '../core/ocsf/facts.ts';
import { statusIdFor } from '../core/ocsf/schema.ts';
import type { FindingChange, FindingFacts, FindingsBatchPort, FindingUpdateResult } from '../core/ports.ts';
import { errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

/** AWS's limits on the two calls (see the module comment). */
export const SECURITY_HUB_V2_LIMITS = {
  filtersPerType: 20,
  maxResults: 100,
  findingsPerUpdate: 100,
  commentLength: 512,
} as const;

/** Pages of one lookup before giving up: 20 ids match at most 20 findings, so more means something is wrong. */
const MAX_PAGES = 10;

/** Creates the adapter; `clientFor(region)` returns a Security Hub client for that region. */
export function createSecurityHubV2Adapter(
  clientFor: (region: string | undefined) => SecurityHubClient,
): FindingsBatchPort {
  return {
    async describe(refs) {
      const facts = new Map<string, FindingFacts>();
      for (const [region, group] of byRegion(unique(refs))) {
        for (const chunk of chunks(group, SECURITY_HUB_V2_LIMITS.filtersPerType)) {
          const found = await lookUp(clientFor(region), chunk);
          for (const [key, value] of found) facts.set(key, value);
        }
      }
      return facts;
    },

    async update(changes) {
      const results = new Map<string, FindingUpdateResult>();
      const groups = new Map<string, FindingChange[]>();
      for (const change of changes) {
        if (change.ref.generation !== 'ocsf') {
          results.set(findingKey(change.ref), {
            result: 'failed',
            code: 'NotAnOcsfFinding',
            message: 'BatchUpdateFindingsV2 updates OCSF findings only',
          });
          continue;
        }
        const groupKey = JSON.stringify([change.ref.region ?? '', change.status, change.note]);
        groups.set(groupKey, [...(groups.get(groupKey) ?? []), change]);
      }
      for (const group of groups.values()) {
        const first = group[0] as FindingChange;
        for (const chunk of chunks(
          unique(group.map((c) => c.ref)),
          SECURITY_HUB_V2_LIMITS.findingsPerUpdate,
        )) {
          const answered = await updateChunk(clientFor(first.ref.region), chunk, first.status, first.note);
          for (const [key, value] of answered) results.set(key, value);
        }
      }
      return results;
    },
  };
}

/**
 * One GetFindingsV2 lookup for up to 20 findings, ANDing four composite filters: the findings' uids, their
 * accounts, the MFA controls and the users' resources. Security Hub's answer can then only contain findings
 * that match the message in every respect; verification still checks each one (finding-claims.ts).
 */
async function lookUp(
  client: SecurityHubClient,
  refs: readonly FindingRef[],
): Promise<Map<string, FindingFacts>> {
  const anyOf = (field: OcsfStringFilter['FieldName'], values: readonly string[]) => ({
    Operator: 'OR' as const,
    StringFilters: [...new Set(values)].map((value) => ({
      FieldName: field,
      Filter: { Value: value, Comparison: 'EQUALS' as const },
    })),
  });
  const accounts = refs.map((r) => r.accountId);
  const resources = refs.map((r) => r.resourceId);
  const Filters = {
    CompositeOperator: 'AND' as const,
    CompositeFilters: [
      anyOf(
        'metadata.uid',
        refs.map((r) => r.id),
      ),
      anyOf('compliance.control', MFA_CONTROL_VALUES),
      ...(accounts.every(isString) ? [anyOf('cloud.account.uid', accounts)] : []),
      ...(resources.every(isString) ? [anyOf('resources.uid', resources)] : []),
    ],
  };
  const wanted = new Set(refs.map(findingKey));
  const found = new Map<string, FindingFacts | null>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await call('securityhub', 'GetFindingsV2', () =>
      client.send(
        new GetFindingsV2Command({
          Filters,
          MaxResults: SECURITY_HUB_V2_LIMITS.maxResults,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const document of page.Findings ?? []) {
      const facts = ocsfFindingFacts(document);
      if (!facts) continue;
      const key = findingKey({ generation: 'ocsf', id: facts.id, productArn: facts.productArn });
      if (!wanted.has(key)) continue;
      // Two findings under one uid: Security Hub cannot say which the message meant, so neither counts.
      found.set(key, found.has(key) ? null : facts);
    }
    token = page.NextToken || undefined;
  } while (token && ++pages < MAX_PAGES);
  return new Map([...found].filter((entry): entry is [string, FindingFacts] => entry[1] !== null));
}

async function updateChunk(
  client: SecurityHubClient,
  refs: readonly FindingRef[],
  status: 'NOTIFIED' | 'RESOLVED',
  note: string,
): Promise<Map<string, FindingUpdateResult>> {
  const keyOf = new Map(refs.map((ref) => [ref.id, findingKey(ref)]));
  const results = new Map<string, FindingUpdateResult>();
  let response: BatchUpdateFindingsV2CommandOutput;
  try {
    response = await call('securityhub', 'BatchUpdateFindingsV2', () =>
      client.send(
        new BatchUpdateFindingsV2Command({
          // metadata.uid is globally unique and is what GetFindingsV2 just confirmed.
          MetadataUids: refs.map((ref) => ref.id),
          StatusId: statusIdFor(status),
          Comment: commentOf(note),
        }),
      ),
    );
  } catch (error) {
    // One failed call must not lose the answer for other chunks: each of its findings reports the error.
    const message = error instanceof Error ? error.message.slice(0, 200) : String(error);
    for (const key of keyOf.values()) results.set(key, { result: 'failed', code: errorCode(error), message });
    return results;
  }
  for (const processed of response.ProcessedFindings ?? []) {
    const key = processed.MetadataUid === undefined ? undefined : keyOf.get(processed.MetadataUid);
    if (key) results.set(key, { result: 'applied' });
  }
  for (const unprocessed of response.UnprocessedFindings ?? []) {
    const key = unprocessed.MetadataUid === undefined ? undefined : keyOf.get(unprocessed.MetadataUid);
    if (!key) continue;
    results.set(
      key,
      unprocessed.ErrorCode === 'ResourceNotFoundException'
        ? { result: 'not-found' }
        : {
            result: 'failed',
            code: unprocessed.ErrorCode ?? 'Unknown',
            message: (unprocessed.ErrorMessage ?? '').slice(0, 200),
          },
    );
  }
  for (const key of keyOf.values()) {
    if (!results.has(key)) {
      results.set(key, {
        result: 'failed',
        code: 'NotInResponse',
        message: 'Security Hub reported the finding neither processed nor unprocessed',
      });
    }
  }
  return results;
}

/** BatchUpdateFindingsV2's `Comment`: 1-512 characters with something other than whitespace. */
function commentOf(note: string): string {
  const text = note.trim().slice(0, SECURITY_HUB_V2_LIMITS.commentLength);
  return text === '' ? 'Updated by mfa-remediation.' : text;
}

function isString(value: string | undefined): value is string {
  return typeof value === 'string';
}

function unique(refs: readonly FindingRef[]): FindingRef[] {
  const seen = new Map<string, FindingRef>();
  for (const ref of refs) if (ref.generation === 'ocsf') seen.set(findingKey(ref), ref);
  return [...seen.values()];
}

function byRegion(refs: readonly FindingRef[]): Map<string | undefined, FindingRef[]> {
  const groups = new Map<string | undefined, FindingRef[]>();
  for (const ref of refs) groups.set(ref.region, [...(groups.get(ref.region) ?? []), ref]);
  return groups;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
