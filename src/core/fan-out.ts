/**
 * The fan-out of a scheduled sweep: decide the accounts, then enqueue one `sweep-account` task per account.
 * Nothing sweeps a whole organisation inside one invocation: SQS and the worker's concurrency spread the
 * per-account sweeps out, and each runs in its account through the assumed member role. IAM rate limits are
 * per account, so sweeps of different accounts do not compete with each other.
 */
import { randomBytes } from 'node:crypto';
import type { Config, MfaScope } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { TaskMessage } from './model.ts';
import type { OrganizationPort, TaskQueuePort } from './ports.ts';
import type { SweepTarget } from './sweep-target.ts';

/** An account the plan leaves out, and why. */
export interface SkippedAccount {
  readonly accountId: string;
  readonly reason: string;
}

export interface SweepPlan {
  readonly accounts: string[];
  readonly skipped: SkippedAccount[];
}

export interface PlanDeps {
  readonly selfAccountId: () => Promise<string>;
  /** Needed for the `organization` target only. */
  readonly organizations?: OrganizationPort;
  readonly log?: Logger;
}

/**
 * Decides the accounts to sweep: the target's accounts that ALLOWED_ACCOUNTS allows (`self` = the worker's
 * own account, `*` = any). Accounts not allowed are skipped and logged, never swept: the worker would reject
 * their tasks anyway.
 */
export async function planSweep(
  target: SweepTarget,
  allowedAccounts: Config['allowedAccounts'],
  deps: PlanDeps,
): Promise<SweepPlan> {
  let wanted: readonly string[];
  if (target.kind === 'self') {
    wanted = [await deps.selfAccountId()];
  } else if (target.kind === 'accounts') {
    wanted = target.accounts;
  } else {
    if (!deps.organizations) throw new TypeError('planSweep: the organization target needs Organizations');
    wanted = (await deps.organizations.listActiveAccounts()).map((account) => account.id);
  }
  const allowed =
    allowedAccounts === '*'
      ? undefined
      : new Set(allowedAccounts === 'self' ? [await deps.selfAccountId()] : allowedAccounts);
  const accounts: string[] = [];
  const skipped: SkippedAccount[] = [];
  for (const accountId of new Set(wanted)) {
    if (allowed && !allowed.has(accountId)) {
      skipped.push({ accountId, reason: 'not in ALLOWED_ACCOUNTS' });
    } else {
      accounts.push(accountId);
    }
  }
  if (skipped.length > 0) {
    deps.log?.warn({ skipped: skipped.map((s) => s.accountId) }, 'sweep_accounts_not_allowed');
  }
  return { accounts, skipped };
}

/** A sweep id: sortable by time, unique enough across schedules (`sweep-20261123T100000Z-1a2b3c`). */
export function createSweepId(
  now: Date,
  random: () => string = () => randomBytes(3).toString('hex'),
): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `sweep-${stamp}-${random()}`;
}

/** Enqueues one `sweep-account` task per account. */
export async function enqueueSweepTasks(
  input: { readonly accounts: readonly string[]; readonly sweepId: string; readonly scope?: MfaScope },
  tasks: TaskQueuePort,
): Promise<{ sent: number; failed: number }> {
  const messages: TaskMessage[] = input.accounts.map((accountId) => ({
    type: 'sweep-account',
    accountId,
    sweepId: input.sweepId,
    ...(input.scope ? { scope: input.scope } : {}),
  }));
  if (messages.length === 0) return { sent: 0, failed: 0 };
  return tasks.sendBatch(messages);
}
