/**
 * The enrolment workflow for a user reported as lacking MFA (docs/reference.md: Messages, Outcomes, State on the IAM user). IAM is the only source
 * of truth: whatever the trigger said, the user's devices, password and tags are read again, and every step
 * is idempotent so re-deliveries, duplicate findings and concurrent workers converge on the same end state.
 *
 * Invariant that keeps reads cheap: containment tags are written BEFORE the guard is attached and removed
 * AFTER it is detached, so a user without remediation tags never carries our guard. An already-compliant
 * user with no remediation tags therefore costs exactly two IAM calls (ListMFADevices, ListUserTags).
 */
import { describeError, errorCode, isRetryable, MfaRemediationError } from '../errors.ts';
import { createClaimLookups } from './claims/lookups.ts';
import { ActionLog, type ItemContext, type WorkflowDeps } from './context.ts';
import { isCustodialUser, runCustodialEnrolment } from './custodial.ts';
import { runEnrolmentCodes } from './enrolment.ts';
import { exemptionOf, expiryNote } from './exemption.ts';
import { guardPolicyArn, NAMES, type Outcome, TAGS, type WorkItem } from './model.ts';
import { notifyContained, notifyEscalated, notifyReleased, skipNotification } from './notify/notifier.ts';
import type { IamPort } from './ports.ts';
import {
  FINDING_NOTES,
  isTracked,
  type OutcomeDetails,
  outcomeFor,
  release,
  type Subject,
  updateFinding,
} from './steps.ts';

/**
 * Runs one work item to its outcome(s). Retryable errors (IAM conflicts that outlived tier 1, throttling the
 * SDK gave up on) are thrown so the record is retried through SQS; permanent ones become a `failed` outcome.
 */
export async function runWorkItem(
  work: WorkItem,
  deps: WorkflowDeps,
  context: ItemContext,
): Promise<Outcome[]> {
  // An item run on its own (not by a batch) checks its claims with lookups of its own.
  const item: ItemContext = context.lookups ? context : { ...context, lookups: createClaimLookups(deps) };
  if (work.type === 'sweep-account') {
    if (!deps.sweepAccount) {
      return [terminal(work, deps, item, 'failed', 'sweep-account tasks are not handled by this worker')];
    }
    return deps.sweepAccount(work, item);
  }
  const actions = new ActionLog(item);
  let subject: Subject | undefined;
  try {
    const ports = await deps.accounts.forAccount(work.accountId);
    const resolved = await resolveUser(work, item);
    if (!resolved) {
      return [terminal(work, deps, item, 'user-not-found', `no IAM user has the id ${work.userId}`)];
    }
    subject = resolved;
    if (work.type === 'enrollment-codes' || work.type === 'resync-codes') {
      return [await runEnrolmentCodes(work, subject, ports.iam, deps, item, actions)];
    }
    return [await remediate(work, subject, ports.iam, deps, item, actions)];
  } catch (error) {
    if (errorCode(error) === 'NoSuchEntity' && actions.actions.length === 0) {
      return [
        outcomeFor(work, subject, deps, item, actions, {
          outcome: 'user-not-found',
          reason: 'the IAM user does not exist',
        }),
      ];
    }
    // Unexpected errors (bugs, unwrapped network failures) go back to SQS too: bounded by MAX_RECEIVE_COUNT,
    // then the dead-letter queue. Only errors known to be permanent end here as `failed`.
    if (isRetryable(error) || !(error instanceof MfaRemediationError)) throw error;
    item.log.error({ err: describeError(error), type: work.type }, 'permanent_error');
    return [
      outcomeFor(work, subject, deps, item, actions, {
        outcome: 'failed',
        reason:
          error instanceof GuardPolicyUnavailable
            ? error.message
            : `permanent error, not retried: ${errorCode(error)}`,
        error: describeError(error),
      }),
    ];
  }
}

async function resolveUser(work: WorkItem, item: ItemContext): Promise<Subject | undefined> {
  if (work.userName !== undefined) {
    return {
      accountId: work.accountId,
      userName: work.userName,
      ...(work.userArn ? { userArn: work.userArn } : {}),
    };
  }
  if (work.userId === undefined || !item.lookups) throw new TypeError('work item names no user');
  const found = await item.lookups.resolveUserId(work.accountId, work.userId);
  return (
    found && { accountId: work.accountId, userName: found.userName, userArn: found.arn, userId: found.userId }
  );
}

async function remediate(
  work: WorkItem,
  subject: Subject,
  iam: IamPort,
  deps: WorkflowDeps,
  item: ItemContext,
  actions: ActionLog,
): Promise<Outcome> {
  const { config } = deps;
  const now = deps.now();
  const devices = await iam.listMfaDevices(subject.userName);
  const tags = await iam.listUserTags(subject.userName);
  const tracked = isTracked(tags);
  const done = (fields: OutcomeDetails) => outcomeFor(work, subject, deps, item, actions, fields);

  if (devices.length > 0) {
    if (tracked) await release(subject, tags, iam, deps, actions);
    if (tracked) await notifyReleased({ subject, tags }, deps, item, actions);
    await updateFinding(work, subject, deps, item, actions, 'RESOLVED', FINDING_NOTES.compliant);
    return done({
      outcome: tracked ? 'remediated' : 'already-compliant',
      reason: tracked
        ? `MFA device present (${devices.length}); guard and tags released`
        : `MFA device present (${devices.length})`,
    });
  }

  const exemption = exemptionOf(subject.userName, tags, config.exemptUsers, now);
  if (exemption.exempt) {
    if (tracked) await release(subject, tags, iam, deps, actions);
    return done({ outcome: 'exempt', reason: exemption.reason, exemptUntil: exemption.until });
  }

  const consoleScope = config.scope === 'console-users' || work.scope === 'console-users';
  const hasPassword = await iam.hasLoginProfile(subject.userName);
  // An escalated user lost its password to us: it is still a console user under remediation.
  const consoleUser = hasPassword || tags[TAGS.state] === 'escalated';
  if (consoleScope && !consoleUser) {
    if (tracked) await release(subject, tags, iam, deps, actions);
    return done({
      outcome: 'not-applicable',
      reason: 'no console password; the console-users scope (IAM.5) does not apply',
    });
  }

  const graceMs = config.gracePeriodHours * 3_600_000;
  const since = tags[TAGS.since] ?? remediationStart(work.detectedAt, now, graceMs).toISOString();
  const deadline = validDate(tags[TAGS.deadline]) ?? new Date(Date.parse(since) + graceMs);
  const pastDeadline = tags[TAGS.deadline] !== undefined && now.getTime() >= deadline.getTime();
  const escalate = pastDeadline && config.escalation !== 'none';
  const reason = `no MFA device; ${hasPassword ? 'console password present' : consoleUser ? 'console password removed by escalation' : 'no console password (access keys only)'}${expiryNote(exemption)}`;

  if (isCustodialUser(subject.userName, tags, config)) {
    return runCustodialEnrolment({ work, subject, iam, deps, item, actions, tags, reason, deadline });
  }

  if (config.mode === 'notify' || config.dryRun) {
    const why = config.dryRun ? 'dry run' : 'notify mode';
    actions.record('tag-user', 'skipped', why);
    actions.record('attach-guard-policy', 'skipped', why);
    // Every step the escalation would take, as enforce mode would list them.
    if (escalate) actions.record('delete-login-profile', 'skipped', why);
    if (escalate && config.escalation === 'disable-console-and-keys')
      actions.record('deactivate-access-keys', 'skipped', why);
    if (work.finding && config.securityHubUpdates) actions.record('update-finding', 'skipped', why);
    skipNotification(actions, deps);
    return done({ outcome: 'enrollment-required', deadline, reason });
  }

  const state = escalate || tags[TAGS.state] === 'escalated' ? 'escalated' : 'enrollment-required';
  const wanted = { [TAGS.state]: state, [TAGS.since]: since, [TAGS.deadline]: deadline.toISOString() };
  const tagChanges = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => tags[key] !== value));
  if (Object.keys(tagChanges).length === 0) {
    actions.record('tag-user', 'already-applied');
  } else {
    await actions.apply('tag-user', 'TagUser', () => iam.tagUser(subject.userName, tagChanges));
  }

  if (!consoleUser && !config.containProgrammaticUsers) {
    actions.record(
      'attach-guard-policy',
      'skipped',
      'no console password: containing would break its access keys (set CONTAIN_PROGRAMMATIC_USERS=true)',
    );
  } else {
    const policyArn = guardPolicyArn(subject.accountId);
    // A fresh read, not the state on entry: another consumer of the same finding may have just attached it.
    const attached = await iam.isPolicyAttached(subject.userName, policyArn);
    if (attached) actions.record('attach-guard-policy', 'already-applied');
    else {
      try {
        await actions.apply('attach-guard-policy', 'AttachUserPolicy', () =>
          iam.attachUserPolicy(subject.userName, policyArn),
        );
      } catch (error) {
        throw GuardPolicyUnavailable.from(error, policyArn, subject.accountId);
      }
    }
  }

  if (escalate) {
    await applyEscalation(subject, { hasPassword, consoleUser }, iam, deps, actions);
    await notifyEscalated({ subject, tags, since, deadline }, iam, deps, item, actions);
    await updateFinding(
      work,
      subject,
      deps,
      item,
      actions,
      'NOTIFIED',
      FINDING_NOTES.escalated(deadline, config.escalation),
    );
    return done({
      outcome: 'escalated',
      deadline,
      reason: `${reason}; deadline passed; ${config.escalation}`,
    });
  }
  const contained = consoleUser || config.containProgrammaticUsers;
  await notifyContained({ subject, tags, since, deadline, contained }, iam, deps, item, actions);
  await updateFinding(
    work,
    subject,
    deps,
    item,
    actions,
    'NOTIFIED',
    contained
      ? FINDING_NOTES.contained(deadline, NAMES.guardPolicyName)
      : FINDING_NOTES.notContained(deadline),
  );
  return done({ outcome: 'enrollment-required', deadline, reason });
}

async function applyEscalation(
  subject: Subject,
  { hasPassword, consoleUser }: { hasPassword: boolean; consoleUser: boolean },
  iam: IamPort,
  deps: WorkflowDeps,
  actions: ActionLog,
): Promise<void> {
  if (hasPassword) {
    await actions.apply('delete-login-profile', 'DeleteLoginProfile', async () =>
      (await iam.deleteLoginProfile(subject.userName)) === 'absent' ? 'already-applied' : 'applied',
    );
  } else {
    actions.record('delete-login-profile', 'already-applied');
  }
  if (deps.config.escalation !== 'disable-console-and-keys') return;
  if (!consoleUser && !deps.config.containProgrammaticUsers) {
    actions.record(
      'deactivate-access-keys',
      'skipped',
      'programmatic-only user and CONTAIN_PROGRAMMATIC_USERS is false',
    );
    return;
  }
  const active = (await iam.listAccessKeys(subject.userName)).filter((key) => key.status === 'Active');
  if (active.length === 0) {
    actions.record('deactivate-access-keys', 'already-applied');
    return;
  }
  await actions.apply('deactivate-access-keys', 'UpdateAccessKey', async () => {
    for (const key of active) await iam.deactivateAccessKey(subject.userName, key.accessKeyId);
  });
}

/**
 * The guard policy cannot be attached: IAM answers NoSuchEntity when the policy does not exist in the account
 * (the stack, or `deploy/member-account-role.yml` in a member account, was not deployed there) and
 * AccessDenied when the role may not attach it. Permanent until someone deploys: the outcome says what.
 */
export class GuardPolicyUnavailable extends MfaRemediationError {
  static from(error: unknown, policyArn: string, accountId: string): unknown {
    const code = errorCode(error);
    if (code === 'NoSuchEntity') {
      return new GuardPolicyUnavailable(
        `guard policy ${policyArn} does not exist in account ${accountId} (AttachUserPolicy: NoSuchEntity): deploy it (the stack, or deploy/member-account-role.yml in member accounts), then redrive`,
        { code, cause: error },
      );
    }
    if (code === 'AccessDenied') {
      return new GuardPolicyUnavailable(
        `the worker may not attach guard policy ${policyArn} in account ${accountId} (AttachUserPolicy: AccessDenied): deploy the member role from deploy/member-account-role.yml and the policy, then redrive`,
        { code, cause: error },
      );
    }
    return error;
  }
}

/** The least notice a first containment gives before its deadline: a day, or the whole grace if shorter. */
export const MIN_NOTICE_MS = 24 * 3_600_000;

/**
 * When the grace period of a user seen for the first time starts. Two consumers of the same finding (an
 * aggregator and a member account both send it; two invocations receive duplicates) must write the same
 * `since` and `deadline` and state the same deadline, so the start comes from the finding, not from the
 * clock of whoever runs: its first-observed time (or the task's `detectedAt`). Only without one does the
 * first `since` tag written decide (later deliveries read it back).
 *
 * Two bounds keep a message from steering it: a detection in the future is taken as now (clock skew, or a
 * claim that would put the deadline off indefinitely); a detection so old that the deadline would come in
 * less than {@link MIN_NOTICE_MS} (a finding from before the product was deployed, or a forged one) starts
 * late enough to leave that much notice, counted from the start of the current hour so that consumers
 * running at the same moment still agree.
 */
export function remediationStart(detectedAt: string | undefined, now: Date, graceMs: number): Date {
  const detected = detectedAt === undefined ? Number.NaN : Date.parse(detectedAt);
  if (Number.isNaN(detected)) return now;
  const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  const earliest = hour - Math.max(0, graceMs - Math.min(MIN_NOTICE_MS, graceMs));
  return new Date(Math.min(now.getTime(), Math.max(detected, earliest)));
}

function validDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function terminal(
  work: WorkItem,
  deps: WorkflowDeps,
  item: ItemContext,
  outcome: 'failed' | 'user-not-found',
  reason: string,
): Outcome {
  return outcomeFor(work, undefined, deps, item, undefined, { outcome, reason });
}
