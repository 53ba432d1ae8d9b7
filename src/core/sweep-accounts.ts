/**
 * Sweeping several accounts from one process (the CLI's `sweep`): each account's sweep runs in that account
 * (member accounts through the assumed role), a bounded number at once. IAM's limits are per account, so
 * concurrency across accounts does not multiply the load on any one account's IAM.
 */
import pLimit from 'p-limit';
import { describeError } from '../errors.ts';
import type { AccountAccess, OutcomePublisher, TaskQueuePort } from './ports.ts';
import { runAccountSweep, type SweepDeps, type SweepInput, type SweepResult } from './sweep.ts';

/** One account's result: its sweep, or the error that stopped it. */
export type AccountSweepResult =
  | ({ readonly accountId: string; readonly status: 'ok' } & SweepResult)
  | {
      readonly accountId: string;
      readonly status: 'failed';
      readonly error: { code: string; message: string; retryable: boolean };
    };

export interface SweepAccountsDeps extends Omit<SweepDeps, 'reports' | 'tasks' | 'publisher'> {
  readonly accounts: AccountAccess;
  readonly tasks?: TaskQueuePort;
  /** Receives each summary and the root outcomes. */
  readonly publisher?: OutcomePublisher;
  /** Called as each account finishes. */
  readonly onAccountDone?: (result: AccountSweepResult) => void;
}

/**
 * Sweeps every account, `concurrency` at once; one account's failure never stops the others. Results are in
 * the order of `accountIds`.
 */
export async function sweepAccounts(
  accountIds: readonly string[],
  input: Omit<SweepInput, 'accountId'> & { readonly concurrency: number },
  deps: SweepAccountsDeps,
): Promise<AccountSweepResult[]> {
  if (!Number.isInteger(input.concurrency) || input.concurrency < 1) {
    throw new TypeError('concurrency must be a positive integer');
  }
  const limit = pLimit(input.concurrency);
  const { concurrency: _concurrency, ...sweepInput } = input;
  const one = async (accountId: string): Promise<AccountSweepResult> => {
    try {
      const ports = await deps.accounts.forAccount(accountId);
      if (!ports.reports) throw new Error(`credential reports are not available for ${accountId}`);
      const result = await runAccountSweep(
        { ...sweepInput, accountId },
        {
          ...deps,
          reports: ports.reports,
          ...(deps.tasks ? { tasks: deps.tasks } : {}),
          ...(deps.publisher ? { publisher: deps.publisher } : {}),
        },
      );
      if (deps.publisher && result.outcomes.length > 0) {
        const { failed } = await deps.publisher.publish(result.outcomes);
        if (failed.length > 0)
          deps.log.warn({ accountId, failed: failed.length }, 'sweep_outcome_publish_failed');
      }
      return { accountId, status: 'ok', ...result };
    } catch (error) {
      deps.log.error({ accountId, err: describeError(error) }, 'sweep_account_failed');
      return { accountId, status: 'failed', error: describeError(error) };
    }
  };
  return Promise.all(
    accountIds.map((accountId) =>
      limit(async () => {
        const result = await one(accountId);
        deps.onAccountDone?.(result);
        return result;
      }),
    ),
  );
}
