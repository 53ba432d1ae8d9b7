/**
 * Steps shared by the remediation and enrolment flows: releasing the guard, updating the finding, and building
 * an item's outcome.
 */
import { errorCode } from '../errors.ts';
import type { ActionLog, ItemContext, WorkflowDeps } from './context.ts';
import { withoutUndefined } from './intake-items.ts';
import { guardPolicyArn, type Outcome, TAGS, type WorkItem } from './model.ts';
import { createOutcome, type OutcomeFields } from './outcomes.ts';
import type { IamPort } from './ports.ts';

/** The tags that track a user under remediation (the exemption and custodial markers are the operator's). */
/**
 * The tags the product writes to track a user, all removed on release. The custodial lease is among them: a run
 * killed after EnableMFADevice leaves it on a now-compliant user, and the next delivery cleans it up.
 */
export const REMEDIATION_TAG_KEYS = [TAGS.state, TAGS.since, TAGS.deadline, TAGS.enrolling] as const;

/** Whether the user carries any of our tracking tags (and so, by the invariant, possibly our guard). */
export function isTracked(tags: Readonly<Record<string, string>>): boolean {
  return REMEDIATION_TAG_KEYS.some((key) => key in tags);
}

/** What a step decides about an outcome; the rest comes from the work item and its context. */
export type OutcomeDetails = Omit<OutcomeFields, 'trigger' | 'attempts' | 'dryRun' | 'occurredAt'>;

/** Everything known about the user an item concerns, for building its outcome. */
export interface Subject {
  readonly accountId: string;
  readonly userName: string;
  readonly userArn?: string;
}

/** Removes the guard and our tracking tags: detach first, untag last (see the invariant above). */
export async function release(
  subject: Subject,
  tags: Readonly<Record<string, string>>,
  iam: IamPort,
  deps: WorkflowDeps,
  actions: ActionLog,
): Promise<void> {
  const policyArn = guardPolicyArn(subject.accountId);
  if (deps.config.dryRun) {
    actions.record('detach-guard-policy', 'skipped', 'dry run');
    actions.record('untag-user', 'skipped', 'dry run');
    return;
  }
  await actions.apply('detach-guard-policy', 'DetachUserPolicy', async () =>
    (await iam.detachUserPolicy(subject.userName, policyArn)) === 'not-attached'
      ? 'already-applied'
      : 'applied',
  );
  const keys = REMEDIATION_TAG_KEYS.filter((key) => key in tags);
  if (keys.length === 0) actions.record('untag-user', 'already-applied');
  else await actions.apply('untag-user', 'UntagUser', () => iam.untagUser(subject.userName, keys));
}

/**
 * Sets the finding's workflow status with a note. Best effort: the IAM end state is what matters, and
 * Security Hub re-imports the finding daily, so a failure here is recorded on the action, not retried.
 */
export async function updateFinding(
  work: WorkItem,
  deps: WorkflowDeps,
  actions: ActionLog,
  status: 'NOTIFIED' | 'RESOLVED',
  note: string,
): Promise<void> {
  const finding = work.finding;
  if (!finding || !deps.config.securityHubUpdates) return;
  if (deps.config.dryRun) {
    actions.record('update-finding', 'skipped', 'dry run');
    return;
  }
  if (finding.workflowStatus === status) {
    actions.record('update-finding', 'already-applied');
    return;
  }
  try {
    const claim = {
      accountId: work.accountId,
      userName: work.userName,
      userId: work.userId,
      userArn: work.userArn,
    };
    const result = await deps.findings.updateWorkflow(finding, status, note, withoutUndefined(claim));
    if (result === 'not-found')
      actions.record('update-finding', 'skipped', 'finding not found in Security Hub');
    else if (typeof result === 'object') actions.record('update-finding', 'skipped', result.skipped);
    else actions.record('update-finding', result === 'already-applied' ? 'already-applied' : 'applied');
  } catch (error) {
    actions.record(
      'update-finding',
      'failed',
      `${errorCode(error)}: ${(error as Error).message}`.slice(0, 200),
    );
  }
}

/** Builds the outcome of a work item from its subject, trigger and recorded actions. */
export function outcomeFor(
  work: WorkItem,
  subject: Subject | undefined,
  deps: Pick<WorkflowDeps, 'config' | 'now'>,
  item: Pick<ItemContext, 'attempts' | 'messageId'>,
  actions: ActionLog | undefined,
  fields: OutcomeDetails,
): Outcome {
  return createOutcome({
    accountId: work.accountId,
    region: work.region ?? work.finding?.region,
    userName: subject?.userName ?? work.userName,
    userArn: subject?.userArn ?? work.userArn,
    trigger: { ...work.trigger, ...(item.messageId ? { messageId: item.messageId } : {}) },
    attempts: item.attempts,
    dryRun: deps.config.dryRun,
    occurredAt: deps.now(),
    actions: actions?.actions ?? [],
    ...fields,
  });
}
