/**
 * Security Hub findings of the OCSF generation (the new Security Hub): GetFindingsV2 to learn what a finding
 * really is, BatchUpdateFindingsV2 to set its status with a comment. It is the `ocsf` part of the one
 * {@link FindingsPort} (`createFindingsAdapter(clientFor, { ocsf })` in `securityhub.ts`): bulk, keyed by
 * `findingKey`, and deciding nothing — `core/claims/finding.ts` verifies what `describe` returns before any
 * `update` is asked for. Calls go to the Region the reference names, like the ASFF adapter's.
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
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { FindingRef } from '../core/model.ts';
import { ocsfFindingFacts } from '../core/ocsf/facts.ts';
import { statusIdFor } from '../core/ocsf/schema.ts';
import {
  type FindingChange,
  type FindingFacts,
  type FindingsPort,
  type FindingUpdateResult,
  findingKey,
} from '../core/ports.ts';
import { errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

/** AWS's limits on the two calls (see the module comment). */
export const SECURITY_HUB_V2_LIMITS = {
  filtersPerType: 20,
  maxResults: 100,
  findingsPerUpdate: 100,
  commentLength: 512,
} as const;

/** Pages of one lookup before giving up: 20 uids match at most 20 findings, so more means something is wrong. */
const MAX_PAGES = 10;

/** Creates the OCSF findings port; `clientFor(region)` returns a Security Hub client for that Region. */
export function createSecurityHubV2Adapter(
  clientFor: (region: string | undefined) => SecurityHubClient,
): FindingsPort {
  return {
    async describe(refs) {
      const found = new Map<string, FindingFacts>();
      for (const [region, group] of groupBy(unique(refs), (ref) => ref.region ?? '')) {
        for (const chunk of chunks(group, SECURITY_HUB_V2_LIMITS.filtersPerType)) {
          for (const [key, facts] of await lookUp(clientFor(region || undefined), chunk))
            found.set(key, facts);
        }
      }
      return found;
    },

    async update(changes) {
      const results = new Map<string, FindingUpdateResult>();
      const ocsf = changes.filter((change) => change.ref.generation === 'ocsf');
      for (const change of changes) {
        if (change.ref.generation !== 'ocsf')
          results.set(findingKey(change.ref), { failed: 'BatchUpdateFindingsV2 updates OCSF findings only' });
      }
      // Changes that share a Region, a status and a note share calls, 100 uids at a time.
      const groups = groupBy(ocsf, (c) => JSON.stringify([c.ref.region ?? '', c.status, c.note]));
      for (const group of groups.values()) {
        const [{ ref, status, note }] = group as [FindingChange, ...FindingChange[]];
        for (const chunk of chunks(
          unique(group.map((c) => c.ref)),
          SECURITY_HUB_V2_LIMITS.findingsPerUpdate,
        )) {
          for (const [key, result] of await updateChunk(clientFor(ref.region), chunk, status, note))
            results.set(key, result);
        }
      }
      return results;
    },
  };
}

/**
 * One GetFindingsV2 lookup for up to 20 findings by `metadata.uid`, as the ASFF adapter asks by `Id`: what
 * Security Hub holds under those uids, whatever the message said about their account, control or user, so
 * that verification judges Security Hub's whole record (and says why a finding is refused).
 */
async function lookUp(
  client: SecurityHubClient,
  refs: readonly FindingRef[],
): Promise<Map<string, FindingFacts>> {
  const Filters = {
    CompositeFilters: [
      {
        Operator: 'OR' as const,
        StringFilters: refs.map((ref) => ({
          FieldName: 'metadata.uid' as const,
          Filter: { Value: ref.id, Comparison: 'EQUALS' as const },
        })),
      },
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
      // A uid under another product is another finding: only the one the reference names counts.
      if (!facts || !wanted.has(findingKey(facts))) continue;
      const key = findingKey(facts);
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
  // Keys by uid: two references may name one uid under different products (only one can have verified).
  const keysOf = new Map<string, string[]>();
  for (const ref of refs) keysOf.set(ref.id, [...(keysOf.get(ref.id) ?? []), findingKey(ref)]);
  const results = new Map<string, FindingUpdateResult>();
  const answer = (uid: string | undefined, result: FindingUpdateResult) => {
    for (const key of (uid === undefined ? undefined : keysOf.get(uid)) ?? []) results.set(key, result);
  };
  let response: BatchUpdateFindingsV2CommandOutput;
  try {
    response = await call('securityhub', 'BatchUpdateFindingsV2', () =>
      client.send(
        new BatchUpdateFindingsV2Command({
          // metadata.uid is globally unique, and is what GetFindingsV2 confirmed before this call.
          MetadataUids: [...keysOf.keys()],
          StatusId: statusIdFor(status),
          Comment: commentOf(note),
        }),
      ),
    );
  } catch (error) {
    // One failed call must not lose the answer for other chunks: each of its findings reports the error.
    const failed = `${errorCode(error)}: ${(error as Error).message}`;
    for (const uid of keysOf.keys()) answer(uid, { failed });
    return results;
  }
  for (const processed of response.ProcessedFindings ?? []) answer(processed.MetadataUid, 'applied');
  for (const { MetadataUid, ErrorCode, ErrorMessage } of response.UnprocessedFindings ?? []) {
    answer(
      MetadataUid,
      ErrorCode === 'ResourceNotFoundException'
        ? 'not-found'
        : { failed: `${ErrorCode ?? 'Unprocessed'}: ${ErrorMessage ?? ''}`.trim() },
    );
  }
  // Security Hub answers for every uid; one it left out was not updated.
  for (const ref of refs) {
    if (!results.has(findingKey(ref)))
      results.set(findingKey(ref), { failed: 'no answer from Security Hub' });
  }
  return results;
}

/** BatchUpdateFindingsV2's `Comment`: 1-512 characters with something other than whitespace. */
function commentOf(note: string): string {
  const text = note.trim().slice(0, SECURITY_HUB_V2_LIMITS.commentLength);
  return text === '' ? 'Updated by mfa-remediation.' : text;
}

function unique(refs: readonly FindingRef[]): FindingRef[] {
  const seen = new Map<string, FindingRef>();
  for (const ref of refs) if (ref.generation === 'ocsf') seen.set(findingKey(ref), ref);
  return [...seen.values()];
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
