/**
 * Security Hub findings of the ASFF generation (Security Hub CSPM): GetFindings to learn what a finding really
 * is, and BatchUpdateFindings (the API meant for responders, which unlike BatchImportFindings never fights the
 * finding provider over fields) to set its workflow status. Calls go to the Region the reference names: the
 * finding's own, or the aggregation Region that holds every linked Region's findings.
 *
 * Other generations are handed to the adapter given for them (`ocsf`): {@link FindingsPort} is one port
 * whatever the generation, and what is ASFF about it stays in this file.
 */
import {
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type ControlFields, classifyControl } from '../core/controls.ts';
import type { FindingGeneration } from '../core/model.ts';
import {
  type FindingChange,
  type FindingFacts,
  type FindingsPort,
  type FindingUpdateResult,
  findingKey,
} from '../core/ports.ts';
import { errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

/** GetFindings: "For each attribute, you can provide up to 20 filter values" (AwsSecurityFindingFilters). */
export const MAX_FILTER_VALUES = 20;
/** GetFindings: MaxResults is at most 100. */
const MAX_RESULTS = 100;
/** BatchUpdateFindings: at most 100 finding identifiers a call. */
export const MAX_UPDATE_IDENTIFIERS = 100;
/** BatchUpdateFindings: Note.Text is at most 512 characters. */
export const MAX_NOTE = 512;

export interface FindingsAdapterOptions {
  /**
   * The port for OCSF findings (Security Hub's V2 API: `createSecurityHubV2Adapter` in `securityhub-v2.ts`);
   * without it they are unknown and not updated.
   */
  readonly ocsf?: FindingsPort;
}

/**
 * The one {@link FindingsPort} of the worker: each reference goes to its generation's adapter, and a batch
 * that names findings of both is looked up in both at once.
 */
export function createFindingsAdapter(
  clientFor: (region: string | undefined) => SecurityHubClient,
  options: FindingsAdapterOptions = {},
): FindingsPort {
  const asff = createAsffFindings(clientFor);
  const portFor = (generation: FindingGeneration): FindingsPort | undefined =>
    generation === 'asff' ? asff : options.ocsf;
  return {
    async describe(refs) {
      const answers = await Promise.all(
        [...groupBy(refs, (ref) => ref.generation)].map(
          ([generation, group]) => portFor(generation as FindingGeneration)?.describe(group) ?? new Map(),
        ),
      );
      const found = new Map<string, FindingFacts>();
      for (const answer of answers) for (const [key, facts] of answer) found.set(key, facts);
      return found;
    },
    async update(changes) {
      const results = new Map<string, FindingUpdateResult>();
      for (const [generation, group] of groupBy(changes, (change) => change.ref.generation)) {
        const port = portFor(generation as FindingGeneration);
        if (!port) {
          for (const { ref } of group)
            results.set(findingKey(ref), { failed: `${generation} findings are not supported` });
          continue;
        }
        for (const [key, result] of await port.update(group)) results.set(key, result);
      }
      return results;
    },
  };
}

function createAsffFindings(clientFor: (region: string | undefined) => SecurityHubClient): FindingsPort {
  return {
    async describe(refs) {
      const wanted = new Set(refs.map(findingKey));
      const found = new Map<string, FindingFacts>();
      for (const [region, group] of groupBy(refs, (ref) => ref.region ?? '')) {
        const client = clientFor(region || undefined);
        const ids = [...new Set(group.map((ref) => ref.id))];
        for (let start = 0; start < ids.length; start += MAX_FILTER_VALUES) {
          const filter = ids.slice(start, start + MAX_FILTER_VALUES).map((Value) => ({
            Value,
            Comparison: 'EQUALS' as const,
          }));
          let nextToken: string | undefined;
          do {
            const page = await call('securityhub', 'GetFindings', () =>
              client.send(
                new GetFindingsCommand({
                  Filters: { Id: filter },
                  MaxResults: MAX_RESULTS,
                  ...(nextToken ? { NextToken: nextToken } : {}),
                }),
              ),
            );
            for (const finding of page.Findings ?? []) {
              const facts = factsOf(finding);
              // Another product's finding under the same Id is another finding: only the named one counts.
              if (facts && wanted.has(findingKey(facts))) found.set(findingKey(facts), facts);
            }
            nextToken = page.NextToken || undefined;
          } while (nextToken);
        }
      }
      return found;
    },

    async update(changes) {
      const results = new Map<string, FindingUpdateResult>();
      // Changes that share a Region, a status and a note share calls, 100 identifiers at a time.
      const groups = groupBy(changes, (c) => JSON.stringify([c.ref.region ?? '', c.status, c.note]));
      for (const group of groups.values()) {
        const [{ ref, status, note }] = group as [FindingChange, ...FindingChange[]];
        const client = clientFor(ref.region);
        const refs = [...new Map(group.map((c) => [findingKey(c.ref), c.ref] as const)).values()];
        for (let start = 0; start < refs.length; start += MAX_UPDATE_IDENTIFIERS) {
          const chunk = refs.slice(start, start + MAX_UPDATE_IDENTIFIERS);
          try {
            const response = await call('securityhub', 'BatchUpdateFindings', () =>
              client.send(
                new BatchUpdateFindingsCommand({
                  FindingIdentifiers: chunk.map((r) => ({ Id: r.id, ProductArn: r.productArn })),
                  Workflow: { Status: status },
                  Note: { Text: note.slice(0, MAX_NOTE), UpdatedBy: 'mfa-remediation' },
                }),
              ),
            );
            for (const processed of response.ProcessedFindings ?? []) {
              results.set(asffKey(processed.Id, processed.ProductArn), 'applied');
            }
            for (const { FindingIdentifier: id, ErrorCode, ErrorMessage } of response.UnprocessedFindings ??
              []) {
              results.set(
                asffKey(id?.Id, id?.ProductArn),
                ErrorCode === 'FindingNotFound'
                  ? 'not-found'
                  : { failed: `${ErrorCode ?? 'Unprocessed'}: ${ErrorMessage ?? ''}`.trim() },
              );
            }
          } catch (error) {
            const failed = `${errorCode(error)}: ${(error as Error).message}`;
            for (const r of chunk) results.set(findingKey(r), { failed });
          }
          // Security Hub answers for every identifier; one it left out was not updated.
          for (const r of chunk) {
            if (!results.has(findingKey(r)))
              results.set(findingKey(r), { failed: 'no answer from Security Hub' });
          }
        }
      }
      return results;
    },
  };
}

function asffKey(id: string | undefined, productArn: string | undefined): string {
  return findingKey({ generation: 'asff', id: id ?? '', productArn: productArn ?? '' });
}

/** What an ASFF finding says about itself, in the generation-agnostic shape verification reads. */
export function factsOf(finding: AwsSecurityFinding): FindingFacts | undefined {
  const { Id: id, ProductArn: productArn, AwsAccountId: accountId } = finding;
  if (!id || !productArn || !accountId) return undefined;
  const { controlId } = classifyControl(finding as ControlFields);
  return {
    generation: 'asff',
    id,
    productArn,
    accountId,
    ...(controlId === undefined ? {} : { controlId }),
    resourceIds: (finding.Resources ?? []).flatMap((r) => (typeof r.Id === 'string' ? [r.Id] : [])),
    ...(finding.RecordState ? { recordState: finding.RecordState } : {}),
    ...(finding.Workflow?.Status ? { workflowStatus: finding.Workflow.Status } : {}),
    ...(finding.Note?.Text ? { note: finding.Note.Text } : {}),
  };
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
