/**
 * Wiring of the scheduled sweep: an EventBridge schedule invokes `handlers/sweep.ts`, which plans the
 * accounts (`SWEEP_ACCOUNTS`, filtered by ALLOWED_ACCOUNTS) and enqueues one `sweep-account` task per account
 * onto the remediation queue. It sweeps nothing itself: the remediation worker runs each account's sweep.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { createOrganizationsAdapter } from './aws/organizations.ts';
import type { Env } from './config.ts';
import { createSweepId, enqueueSweepTasks, planSweep, type SkippedAccount } from './core/fan-out.ts';
import type { OrganizationPort } from './core/ports.ts';
import { loadSweepTarget, type SweepTarget } from './core/sweep-target.ts';
import { ConfigError, DependencyError } from './errors.ts';
import type { Runtime } from './runtime.ts';

/** What the scheduler uses of a runtime: the full one, or the lean one of `scheduler-runtime.ts`. */
export type SchedulerRuntime = Pick<Runtime, 'config' | 'log' | 'clientOptions' | 'tasks'> & {
  readonly accounts: Pick<Runtime['accounts'], 'selfAccountId'>;
};

/** What the scheduled handler returns (and logs). */
export interface ScheduledSweepResult {
  readonly sweepId: string;
  readonly accounts: number;
  readonly enqueued: number;
  readonly skipped: readonly SkippedAccount[];
}

/** The parts of an EventBridge scheduled event the handler reads. */
export interface ScheduledEvent {
  readonly id?: string;
  readonly time?: string;
}

export interface SweepScheduler {
  readonly target: SweepTarget;
  run(event?: ScheduledEvent): Promise<ScheduledSweepResult>;
}

/**
 * Builds the scheduler once per container. Throws {@link ConfigError} for a bad `SWEEP_ACCOUNTS`, or when
 * REMEDIATION_QUEUE_URL is unset (the fan-out has nowhere to put its tasks).
 */
export function createSweepScheduler(
  runtime: SchedulerRuntime,
  options: { env?: Env; organizations?: OrganizationPort } = {},
): SweepScheduler {
  const target = loadSweepTarget(options.env ?? process.env);
  const tasks = runtime.tasks;
  if (!tasks) throw new ConfigError('REMEDIATION_QUEUE_URL', 'is required for scheduled sweeps');
  const organizations =
    options.organizations ??
    (target.kind === 'organization'
      ? createOrganizationsAdapter(new OrganizationsClient(runtime.clientOptions))
      : undefined);
  return {
    target,
    async run(event) {
      const time = event?.time ? new Date(event.time) : new Date();
      const sweepId = createSweepId(Number.isNaN(time.getTime()) ? new Date() : time);
      const plan = await planSweep(target, runtime.config.allowedAccounts, {
        selfAccountId: () => runtime.accounts.selfAccountId(),
        ...(organizations ? { organizations } : {}),
        log: runtime.log,
      });
      const { sent, failed } = await enqueueSweepTasks(
        { accounts: plan.accounts, sweepId, scope: runtime.config.scope },
        tasks,
      );
      const result = { sweepId, accounts: plan.accounts.length, enqueued: sent, skipped: plan.skipped };
      runtime.log.info({ ...result, failed, eventId: event?.id }, 'sweep_scheduled');
      if (failed > 0) {
        // Fail the invocation: EventBridge retries it, and re-enqueued sweep tasks are idempotent.
        throw new DependencyError(`${failed} of ${plan.accounts.length} sweep-account tasks not enqueued`, {
          service: 'sqs',
          operation: 'SendMessageBatch',
          code: 'EnqueueIncomplete',
          retryable: true,
        });
      }
      return result;
    },
  };
}
