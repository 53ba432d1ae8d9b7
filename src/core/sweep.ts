/**
 * The per-account audit sweep: the safety net for accounts without Security Hub.
 *
 * One sweep costs a bounded, constant number of IAM calls whatever the number of users: the credential
 * report (GenerateCredentialReport polls + one GetCredentialReport) lists every user with `password_enabled`
 * and `mfa_active`, and one paginated ListEntitiesForPolicy on the guard policy lists the users currently
 * contained. Per-user work is not done here: it is enqueued as task messages, and SQS and the worker's
 * concurrency spread it out, so IAM's per-account rate limits are never hit by a burst from the sweep.
 *
 * Decisions, per report row:
 * - `<root_account>` without MFA → a `manual-action-required` outcome (no API can add a root MFA device);
 *   never a task.
 * - a user lacking MFA under the scope, and matching EXEMPT_USERS → skipped, counted in `exempt`.
 * - a user lacking MFA under the scope → `mfa-missing`, contained or not. Re-sending it for a contained user
 *   is idempotent (the worker only reads: devices, tags, password) and is what moves a tracked user past its
 *   deadline to escalation in accounts where no Security Hub finding will ever arrive again.
 * - a contained user the report does not show as lacking MFA in scope (it enrolled, lost its password, or
 *   became exempt) → `verify`, so the worker re-checks it and releases the guard.
 * Users deleted since the report was generated are fine: the worker answers `user-not-found`.
 */
import { type MfaScope, matchesUserPattern } from '../config.ts';
import { DependencyError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type CredentialReportRow, lacksMfa, parseCredentialReport } from './credential-report.ts';
import {
  type FetchReportOptions,
  fetchCredentialReport,
  fetchFreshCredentialReport,
  type ReportPolling,
} from './credential-report-fetch.ts';
import {
  guardPolicyArn,
  type Outcome,
  SWEEP_SCHEMA_ID,
  type SweepSummary,
  type TaskMessage,
} from './model.ts';
import { createOutcome } from './outcomes.ts';
import type { CredentialReportPort, OutcomePublisher, TaskQueuePort } from './ports.ts';

export interface SweepInput {
  readonly accountId: string;
  readonly sweepId: string;
  /** Default: the configured MFA_SCOPE. */
  readonly scope?: MfaScope;
  /** Compute everything, enqueue nothing; the summary says `dryRun: true`. Default: the configured DRY_RUN. */
  readonly dryRun?: boolean;
  /** `false` lists the non-compliant users without enqueueing (the CLI's `--no-enqueue`). Default true. */
  readonly enqueue?: boolean;
  /** Epoch ms: the report wait never extends past it. */
  readonly deadline?: number;
  /** Never reuse a credential report generated before the sweep began (waits for IAM's next one). */
  readonly freshReport?: boolean;
  readonly region?: string;
  readonly partition?: string;
}

/** What a sweep is doing, for people watching it (the CLI shows each stage on a terminal). */
export type SweepStage =
  | { readonly stage: 'report-requested'; readonly accountId: string; readonly state: string }
  | { readonly stage: 'report-waiting'; readonly accountId: string; readonly until: Date }
  | { readonly stage: 'report-parsed'; readonly accountId: string; readonly report: ReportInfo }
  | { readonly stage: 'enqueued'; readonly accountId: string; readonly tasks: number };

/** The credential report a sweep read: IAM reuses one for up to four hours, so its age matters. */
export interface ReportInfo {
  readonly generatedAt: string;
  readonly ageSeconds: number;
  /** IAM users in the report (the root user not counted). */
  readonly users: number;
}

export interface SweepDeps {
  readonly reports: CredentialReportPort;
  /** Told each stage as it happens. */
  readonly onStage?: (stage: SweepStage) => void;
  /** Required when the sweep enqueues (not dry run, `enqueue` not false). */
  readonly tasks?: TaskQueuePort;
  /** Receives the summary (`publishSweepSummary`); absent = not published. */
  readonly publisher?: OutcomePublisher;
  readonly now: () => Date;
  readonly log: Logger;
  readonly config: {
    readonly scope: MfaScope;
    readonly exemptUsers: readonly string[];
    readonly dryRun: boolean;
  };
  readonly polling?: Partial<ReportPolling>;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A user the sweep found lacking MFA under the scope (not exempt). */
export interface NonCompliantUser {
  readonly userName: string;
  readonly arn: string;
  readonly passwordEnabled: boolean;
  readonly activeAccessKeys: number;
  /** Whether the guard policy is attached (the user is already under remediation). */
  readonly contained: boolean;
}

export interface SweepResult {
  readonly summary: SweepSummary;
  /** The tasks decided (sent unless dry run or `enqueue: false`). */
  readonly tasks: TaskMessage[];
  readonly nonCompliantUsers: NonCompliantUser[];
  /** The root user's `manual-action-required` outcome, if root lacks MFA. Published by the caller. */
  readonly outcomes: Outcome[];
  /** The credential report the sweep read. */
  readonly report: ReportInfo;
}

/**
 * Sweeps one account. Publishes the summary (when a publisher is given) after enqueueing; the returned
 * outcomes are the caller's to publish (the worker publishes them as the `sweep-account` item's outcomes).
 * Throws a retryable `DependencyError` (code `EnqueueIncomplete`) when tasks still failed to enqueue after
 * the queue adapter's bounded retries, so the whole sweep is retried: every task is idempotent.
 */
export async function runAccountSweep(input: SweepInput, deps: SweepDeps): Promise<SweepResult> {
  const started = deps.now();
  const scope = input.scope ?? deps.config.scope;
  const dryRun = input.dryRun ?? deps.config.dryRun;
  const send = !dryRun && input.enqueue !== false;
  const log = deps.log.child({ accountId: input.accountId, sweepId: input.sweepId });
  if (send && !deps.tasks) throw new TypeError('runAccountSweep: enqueueing needs a task queue');

  const stage = deps.onStage ?? (() => {});
  const accountId = input.accountId;
  const reportOptions = {
    ...fetchOptions(input, deps),
    onState: (state: string) => stage({ stage: 'report-requested', accountId, state }),
    onWait: (until: Date) => stage({ stage: 'report-waiting', accountId, until }),
  };
  const report = input.freshReport
    ? await fetchFreshCredentialReport(deps.reports, reportOptions)
    : await fetchCredentialReport(deps.reports, reportOptions);
  const rows = parseCredentialReport(report.content);
  const reportInfo: ReportInfo = {
    generatedAt: report.generatedAt.toISOString(),
    ageSeconds: Math.max(0, Math.round((deps.now().getTime() - report.generatedAt.getTime()) / 1000)),
    users: rows.filter((r) => !r.isRoot).length,
  };
  stage({ stage: 'report-parsed', accountId, report: reportInfo });
  const guarded = new Set(
    await deps.reports.listGuardedUsers(guardPolicyArn(input.accountId, input.partition)),
  );

  const detectedAt = report.generatedAt.toISOString();
  const tasks: TaskMessage[] = [];
  const nonCompliantUsers: NonCompliantUser[] = [];
  let usersScanned = 0;
  let exempt = 0;
  let root: CredentialReportRow | undefined;
  for (const row of rows) {
    if (row.isRoot) {
      root = row;
      continue;
    }
    usersScanned++;
    const contained = guarded.has(row.user);
    const missing = lacksMfa(row, scope);
    const isExempt = missing && matchesUserPattern(row.user, deps.config.exemptUsers);
    if (isExempt) exempt++;
    if (missing && !isExempt) {
      nonCompliantUsers.push({
        userName: row.user,
        arn: row.arn,
        passwordEnabled: row.passwordEnabled === true,
        activeAccessKeys: row.activeAccessKeys,
        contained,
      });
      tasks.push({
        type: 'mfa-missing',
        accountId: input.accountId,
        userName: row.user,
        source: 'sweep',
        sweepId: input.sweepId,
        detectedAt,
      });
    } else if (contained) {
      tasks.push({ type: 'verify', accountId: input.accountId, userName: row.user });
    }
  }

  let enqueued = 0;
  if (send && tasks.length > 0 && deps.tasks) {
    const { sent, failed } = await deps.tasks.sendBatch(tasks);
    enqueued = sent;
    stage({ stage: 'enqueued', accountId, tasks: sent });
    if (failed > 0) {
      log.error({ sent, failed }, 'sweep_enqueue_incomplete');
      throw new DependencyError(
        `sweep of ${input.accountId}: ${failed} of ${tasks.length} tasks not enqueued`,
        {
          service: 'sqs',
          operation: 'SendMessageBatch',
          code: 'EnqueueIncomplete',
          retryable: true,
        },
      );
    }
  }

  const rootWithoutMfa = root !== undefined && !root.mfaActive;
  const finished = deps.now();
  const summary: SweepSummary = {
    schema: SWEEP_SCHEMA_ID,
    sweepId: input.sweepId,
    accountId: input.accountId,
    ...(input.region ? { region: input.region } : {}),
    usersScanned,
    nonCompliant: nonCompliantUsers.length,
    enqueued,
    rootWithoutMfa,
    exempt,
    durationMs: Math.max(0, finished.getTime() - started.getTime()),
    dryRun,
    occurredAt: finished.toISOString(),
  };
  if (deps.publisher?.publishSweepSummary) await deps.publisher.publishSweepSummary(summary);
  log.info(
    {
      usersScanned,
      nonCompliant: summary.nonCompliant,
      exempt,
      enqueued,
      rootWithoutMfa,
      guarded: guarded.size,
    },
    'sweep_account_done',
  );

  const outcomes = rootWithoutMfa
    ? [
        createOutcome({
          outcome: 'manual-action-required',
          accountId: input.accountId,
          region: input.region,
          userArn: root?.arn || undefined,
          trigger: { source: 'sweep', sweepId: input.sweepId },
          attempts: 1,
          dryRun,
          occurredAt: finished,
          reason: "the account's root user has no MFA device; only a person signed in as root can enable one",
        }),
      ]
    : [];
  return { summary, tasks, nonCompliantUsers, outcomes, report: reportInfo };
}

function fetchOptions(input: SweepInput, deps: SweepDeps): FetchReportOptions {
  return {
    now: () => deps.now().getTime(),
    log: deps.log,
    ...(deps.polling ? { polling: deps.polling } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(input.deadline === undefined ? {} : { deadline: input.deadline }),
  };
}
