/**
 * Processing an SQS batch with partial failures (Lambda `ReportBatchItemFailures`), through the dispatcher
 * (`dispatch/dispatcher.ts`): the claims of every record are checked with AWS in bulk before any record runs;
 * records about the same account and user run in arrival order, all others concurrently up to a bound that
 * protects IAM's account-wide rate limits; the batch's finding updates and outcomes share calls. No record
 * can fail the batch: an unexpected throw fails only its own record, and a record that cannot start before
 * the deadline is handed back to SQS untouched.
 */
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createDispatcher } from './dispatch/dispatcher.ts';
import type { ProcessorDeps, RecordInput, RecordResult } from './processor.ts';

export { resolveAllowedAccounts } from './dispatch/dispatcher.ts';

/** Records processed at once when the caller does not say (the Lambda handler, `mfa-remediation process`). */
export const DEFAULT_BATCH_CONCURRENCY = 8;

export interface BatchOptions {
  /** Records processed at once. Default {@link DEFAULT_BATCH_CONCURRENCY}. */
  readonly concurrency?: number;
  /** Epoch ms after which no record starts (the invocation deadline minus a safety margin). */
  readonly deadline?: number;
  readonly log: Logger;
}

export interface BatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly results: RecordResult[];
}

export async function processBatch(
  records: readonly RecordInput[],
  deps: ProcessorDeps,
  options: BatchOptions,
): Promise<BatchResult> {
  const results: RecordResult[] = [];
  const failures: { itemIdentifier: string }[] = [];
  const dispatcher = createDispatcher(deps, {
    concurrency: options.concurrency ?? DEFAULT_BATCH_CONCURRENCY,
    log: options.log,
  });
  const { deadline } = options;
  const runs = dispatcher.submit(records, deadline === undefined ? {} : { deadlineOf: () => deadline });
  await Promise.all(
    records.map(async (record, index) => {
      const run = await runs[index];
      if (run?.status !== 'done') {
        failures.push({ itemIdentifier: record.messageId });
        return;
      }
      const { result } = run;
      results.push(result);
      if (result.status !== 'retry') return;
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
    }),
  );
  return { batchItemFailures: failures, results };
}
