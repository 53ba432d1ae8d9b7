/**
 * The worker's handling of a `sweep-account` task: run {@link runAccountSweep} in the task's account, through
 * the assumed member role for member accounts, enqueueing onto the remediation queue. The sweep summary is
 * published by the sweep; the item's outcomes are the root `manual-action-required` outcome, if any.
 *
 * Errors follow the workflow's rule: retryable ones (a report still generating at the deadline, throttling,
 * tasks that could not be enqueued) are thrown so SQS redelivers the task; permanent ones (AccessDenied on
 * AssumeRole, a malformed report) become a `failed` outcome.
 */
import { describeError, errorCode, isRetryable } from '../errors.ts';
import type { ItemContext, WorkflowDeps } from './context.ts';
import type { Outcome, WorkItem } from './model.ts';
import type { TaskQueuePort } from './ports.ts';
import { outcomeFor } from './steps.ts';
import { runAccountSweep, type SweepDeps } from './sweep.ts';

export interface SweepTaskDeps
  extends Pick<WorkflowDeps, 'config' | 'accounts' | 'now' | 'log' | 'publisher'> {
  /** The remediation queue; undefined when REMEDIATION_QUEUE_URL is not set (then only dry runs work). */
  readonly tasks: TaskQueuePort | undefined;
  readonly polling?: SweepDeps['polling'];
  readonly sleep?: SweepDeps['sleep'];
}

/** Creates the `sweepAccount` hook of {@link WorkflowDeps}. */
export function createSweepAccountRunner(
  deps: SweepTaskDeps,
): (work: WorkItem, item: ItemContext) => Promise<Outcome[]> {
  return async (work, item) => {
    const sweepId = work.sweepId ?? work.trigger.sweepId ?? 'unknown';
    const fail = (reason: string, error?: unknown): Outcome[] => [
      outcomeFor(work, undefined, deps, item, undefined, {
        outcome: 'failed',
        reason,
        ...(error === undefined ? {} : { error: describeError(error) }),
      }),
    ];
    if (!deps.tasks && !deps.config.dryRun) {
      return fail('REMEDIATION_QUEUE_URL is not set: a sweep has nowhere to enqueue its tasks');
    }
    try {
      const ports = await deps.accounts.forAccount(work.accountId);
      if (!ports.reports) return fail('credential reports are not available for this account');
      const result = await runAccountSweep(
        {
          accountId: work.accountId,
          sweepId,
          ...(work.scope ? { scope: work.scope } : {}),
          ...(item.deadline === undefined ? {} : { deadline: item.deadline }),
          ...(work.region ? { region: work.region } : {}),
        },
        {
          reports: ports.reports,
          ...(deps.tasks ? { tasks: deps.tasks } : {}),
          ...(deps.publisher ? { publisher: deps.publisher } : {}),
          now: deps.now,
          log: item.log,
          config: deps.config,
          ...(deps.polling ? { polling: deps.polling } : {}),
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
        },
      );
      return result.outcomes.map((outcome) => ({
        ...outcome,
        trigger: { ...outcome.trigger, ...(item.messageId ? { messageId: item.messageId } : {}) },
        attempts: item.attempts,
      }));
    } catch (error) {
      if (isRetryable(error)) throw error;
      item.log.error({ err: describeError(error), accountId: work.accountId }, 'sweep_failed');
      return fail(`sweep failed, not retried: ${errorCode(error)}`, error);
    }
  };
}
