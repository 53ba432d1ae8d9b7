/**
 * The per-item execution context of the workflow: dependencies, the retry policy bound to the invocation's
 * deadline, and the list of actions taken so far (which becomes the outcome's `actions`).
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { withConflictRetry } from '../retry.ts';
import type { ClaimLookups } from './claims/lookups.ts';
import { METRICS } from './metrics/names.ts';
import type { ActionName, ActionRecord, Outcome, WorkItem } from './model.ts';
import type { MessageTemplates } from './notify/templates.ts';
import type {
  AccountAccess,
  FindingChange,
  FindingsPort,
  IamUserIdentity,
  MailerPort,
  MetricsPort,
  OutcomePublisher,
} from './ports.ts';

/** Long-lived dependencies, built once per container. */
export interface WorkflowDeps {
  readonly config: Config;
  readonly accounts: AccountAccess;
  readonly findings: FindingsPort;
  readonly now: () => Date;
  readonly log: Logger;
  /** Caches Config user-ID → user resolutions, per account (`account/userId`); checked on every use. */
  readonly userIdCache?: Map<string, IamUserIdentity>;
  /** Runs a per-account sweep; absent where sweeps are not wired. */
  readonly sweepAccount?: (work: WorkItem, item: ItemContext) => Promise<Outcome[]>;
  /** Publishes sweep summaries; used by `sweepAccount`. */
  readonly publisher?: OutcomePublisher;
  /** Sends person notifications; absent (or NOTIFY_FROM unset) = notifications off. */
  readonly mailer?: MailerPort;
  /** The notification templates (built-in, or NOTIFY_TEMPLATE_DIR's); the built-in ones when absent. */
  readonly templates?: MessageTemplates;
  /** Counts for the EMF metrics (docs/reference.md: Metrics); absent = not measured. */
  readonly metrics?: MetricsPort;
  /**
   * The clock IAM checks TOTP codes against, for codes the worker derives itself (custodial enrolment):
   * real time in production; a test's cloud clock when that one is moved. Default `Date.now`.
   */
  readonly totpNow?: () => number;
}

/** Facts about the delivery an item arrived in. */
export interface ItemContext {
  /** SQS ApproximateReceiveCount (1 on the first delivery). */
  readonly attempts: number;
  readonly messageId?: string;
  /** Epoch ms: no IAM attempt starts after this (the Lambda deadline minus a safety margin). */
  readonly deadline?: number;
  readonly log: Logger;
  /** Counts tier-1 retries (docs/reference.md: Metrics). */
  readonly metrics?: MetricsPort;
  /** The batch's checks of claims (finding facts, user ids), fetched in bulk; one of its own otherwise. */
  readonly lookups?: ClaimLookups;
  /**
   * `operator`: a person at a terminal asked for this with their own credentials (`mfa-remediation enroll`),
   * so IAM alone decides what they may do, as it would for the AWS CLI. `self`: the same, and that person is
   * the IAM user being enrolled — typically contained and signed in without MFA, so the guard lets them enrol
   * and nothing more: releasing the guard and tags is left to the worker (docs/reference.md: Command line).
   * Absent for everything that arrives as a message, whose claims are checked before the worker's own role
   * acts on them.
   */
  readonly authority?: 'operator' | 'self';
  /**
   * Set by the record processor: verified finding updates are left on the item's {@link ActionLog} and made
   * after the record's IAM work, in calls shared with other records (`applyDeferredUpdates` in `steps.ts`).
   * Absent (an item run on its own, e.g. `mfa-remediation enroll`): made at once.
   */
  readonly deferFindingUpdates?: boolean;
}

/** A verified finding change left for later, and the index of its placeholder action. */
export interface DeferredFindingChange {
  readonly change: FindingChange;
  readonly index: number;
}

/** Records the actions of one work item and runs its writes under tier-1 retry. */
export class ActionLog {
  readonly actions: ActionRecord[] = [];
  /** Finding updates decided and not made yet (see {@link ItemContext.deferFindingUpdates}). */
  readonly deferred: DeferredFindingChange[] = [];
  readonly #item: ItemContext;

  constructor(item: ItemContext) {
    this.#item = item;
  }

  record(action: ActionName, result: ActionRecord['result'], reason?: string): void {
    this.actions.push(reason === undefined ? { action, result } : { action, result, reason });
  }

  /** Records `action` as pending: its result is filled in when the change has been made. */
  defer(action: ActionName, change: FindingChange): void {
    this.deferred.push({ change, index: this.actions.length });
    this.record(action, 'skipped', 'pending');
  }

  /** Runs an IAM write that may conflict under p-retry, bounded by the item's deadline. */
  retry<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withConflictRetry(() => fn(), {
      ...(this.#item.deadline === undefined ? {} : { deadline: this.#item.deadline }),
      onRetry: ({ attempt, error, retriesLeft }) => {
        this.#item.metrics?.count(METRICS.tier1Retries);
        this.#item.log.warn(
          { operation, attempt, retriesLeft, code: (error as { name?: string }).name },
          'iam_conflict_retry',
        );
      },
    });
  }

  /** Runs a write, recording `applied` — or `already-applied` when the write resolves to that string. */
  async apply(action: ActionName, operation: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      const result = await this.retry(operation, fn);
      this.record(action, result === 'already-applied' ? 'already-applied' : 'applied');
    } catch (error) {
      this.record(action, 'failed', (error as Error).message?.slice(0, 200));
      throw error;
    }
  }
}
