/**
 * Processing an SQS batch with partial failures (Lambda `ReportBatchItemFailures`). Before any record runs,
 * the claims of every record are checked with AWS in bulk (`claims/lookups.ts`). Records about the same
 * account and user run in arrival order, so a containment never overtakes the release that followed it; all
 * other records run concurrently up to a bound that protects IAM's account-wide rate limits. No record can
 * fail the batch: an unexpected throw fails only its own record, and a record that cannot start before the
 * deadline is handed back to SQS untouched.
 */
import pLimit from 'p-limit';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createClaimLookups } from './claims/lookups.ts';
import { parseMessage } from './intake.ts';
import type { IntakeItem } from './model.ts';
import { type ProcessorDeps, processRecord, type RecordInput, type RecordResult } from './processor.ts';

export interface BatchOptions {
  /** Records processed at once. Default 8. */
  readonly concurrency?: number;
  /** Epoch ms after which no record starts (the invocation deadline minus a safety margin). */
  readonly deadline?: number;
  readonly log: Logger;
}

export interface BatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly results: RecordResult[];
}

/** The accounts findings may come from: `'self'` resolves to the worker's own account, once. */
export async function resolveAllowedAccounts(deps: ProcessorDeps): Promise<readonly string[] | '*'> {
  const allowed = deps.config.allowedAccounts;
  return allowed === 'self' ? [await deps.accounts.selfAccountId()] : allowed;
}

/** The key of the user (or sweep) a work item concerns: `account/user`. */
function itemKey(item: IntakeItem): string | undefined {
  if (item.kind !== 'work') return undefined;
  const { work } = item;
  return `${work.accountId}/${work.userName ?? work.userId ?? `sweep:${work.sweepId}`}`;
}

/**
 * Orders records by the users they concern: records that share any user (a custom-action event carries several
 * findings, so two events can both name a user without it coming first in either) form one queue,
 * processed in arrival order; records with no user in common run concurrently.
 */
export function groupByUser(
  records: readonly RecordInput[],
  parsed: ReadonlyMap<string, readonly IntakeItem[]>,
): RecordInput[][] {
  // Union-find over records, joined through the users they name.
  const parent = records.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const firstRecordOf = new Map<string, number>();
  for (const [index, record] of records.entries()) {
    for (const item of parsed.get(record.messageId) ?? []) {
      const key = itemKey(item);
      if (key === undefined) continue;
      const other = firstRecordOf.get(key);
      if (other === undefined) firstRecordOf.set(key, index);
      else parent[root(index)] = root(other);
    }
  }
  const groups = new Map<number, RecordInput[]>();
  for (const [index, record] of records.entries()) {
    const group = groups.get(root(index));
    if (group) group.push(record);
    else groups.set(root(index), [record]);
  }
  return [...groups.values()];
}

export async function processBatch(
  records: readonly RecordInput[],
  deps: ProcessorDeps,
  options: BatchOptions,
): Promise<BatchResult> {
  // Deadlines are wall-clock (Lambda remaining time), independent of the injectable business clock.
  const now = () => Date.now();
  const results: RecordResult[] = [];
  const failures: { itemIdentifier: string }[] = [];
  let allowedAccounts: readonly string[] | '*';
  try {
    allowedAccounts = await resolveAllowedAccounts(deps);
  } catch (error) {
    options.log.error({ err: describeError(error) }, 'cannot_resolve_allowed_accounts');
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })), results };
  }
  const parsed = new Map(
    records.map(
      (r) =>
        [
          r.messageId,
          parseMessage(r.body, { allowedAccounts, messageId: r.continues ?? r.messageId }),
        ] as const,
    ),
  );
  // Every record's claims are checked with AWS before any record runs: one bulk read for the whole batch.
  const lookups = createClaimLookups(deps);
  await lookups.prefetch([...parsed.values()].flat());
  const limit = pLimit(options.concurrency ?? 8);

  const runOne = async (record: RecordInput): Promise<void> => {
    if (options.deadline !== undefined && now() >= options.deadline) {
      options.log.warn({ messageId: record.messageId }, 'deadline_reached_record_not_started');
      failures.push({ itemIdentifier: record.messageId });
      return;
    }
    let result: RecordResult;
    try {
      result = await processRecord(record, deps, {
        allowedAccounts,
        log: options.log,
        items: parsed.get(record.messageId) ?? [],
        lookups,
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      });
    } catch (error) {
      options.log.error({ messageId: record.messageId, err: describeError(error) }, 'record_crashed');
      failures.push({ itemIdentifier: record.messageId });
      return;
    }
    results.push(result);
    if (result.status === 'retry') {
      failures.push({ itemIdentifier: record.messageId });
      if (deps.queue && record.receiptHandle && result.visibilitySeconds !== undefined) {
        try {
          await deps.queue.changeVisibility(record.receiptHandle, result.visibilitySeconds);
        } catch (error) {
          options.log.warn(
            { messageId: record.messageId, err: describeError(error) },
            'change_visibility_failed',
          );
        }
      }
    }
  };

  await Promise.all(
    groupByUser(records, parsed).map((group) =>
      limit(async () => {
        for (const record of group) await runOne(record);
      }),
    ),
  );
  return { batchItemFailures: failures, results };
}
