/**
 * Lambda entry point of the scheduled audit sweep (EventBridge schedule): plans the accounts and enqueues one
 * `sweep-account` task per account; the remediation worker sweeps each. Built once per container; a bad
 * `SWEEP_ACCOUNTS` or missing REMEDIATION_QUEUE_URL fails the init with one line naming the variable.
 */
import { createSchedulerRuntime } from '../src/scheduler-runtime.ts';
import { createSweepScheduler, type ScheduledEvent } from '../src/sweep-scheduler.ts';

const scheduler = createSweepScheduler(createSchedulerRuntime());

export const handler = async (event: ScheduledEvent) => scheduler.run(event);
