/**
 * Steps shared by the remediation and enrolment flows: releasing the guard, updating the finding, and building
 * an item's outcome.
 */
import { errorCode } from '../errors.ts';
import { verifyFinding } from './claims/finding.ts';
import { createClaimLookups } from './claims/lookups.ts';
import type { ActionLog, DeferredFindingChange, ItemContext, WorkflowDeps } from './context.ts';
import { type ActionRecord, guardPolicyArn, type Outcome, TAGS, type WorkItem } from './model.ts';
import { createOutcome, type OutcomeFields } from './outcomes.ts';
import { type FindingsPort, type FindingUpdateResult, findingKey, type IamPort } from './ports.ts';

/**
 * The tags the product writes to track a user, all removed on release. The custodial lease is among them: a run
 * killed after EnableMFADevice leaves it on a now-compliant user, and the next delivery cleans it up.
 */
export const REMEDIATION_TAG_KEYS = [
  TAGS.state,
  TAGS.since,
  TAGS.deadline,
  TAGS.enrolling,
  // The last notification's time goes with them: a later containment is a new campaign, announced again.
  TAGS.notified,
] as const;

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
  /** Set when the user was resolved from IAM's unique id (what IAM answered, not what a message said). */
  readonly userId?: string;
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
 * Sets the finding's workflow status with a note — only once Security Hub itself has confirmed that the finding
 * is the MFA control finding of this very user (see `claims/finding.ts`): a message may name any finding's
 * `Id`, and the worker's role may update every finding of the organisation. A finding that does not verify is
 * left alone and the action says why. Best effort otherwise: the IAM end state is what matters, and Security
 * Hub re-imports the finding daily, so a failure here is recorded on the action, not retried.
 */
export async function updateFinding(
  work: WorkItem,
  subject: Subject,
  deps: WorkflowDeps,
  item: ItemContext,
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
  const lookups = item.lookups ?? createClaimLookups(deps);
  const answer = await lookups.findingFacts(finding);
  if ('unavailable' in answer) {
    actions.record(
      'update-finding',
      'skipped',
      `not updated: Security Hub could not confirm the finding (${answer.unavailable})`,
    );
    return;
  }
  const verdict = verifyFinding(finding, answer.facts, subject);
  if (!verdict.verified) {
    item.log.warn({ findingId: finding.id.slice(0, 512), reason: verdict.reason }, 'finding_claim_refused');
    actions.record('update-finding', 'skipped', `not updated: ${verdict.reason}`);
    return;
  }
  // What Security Hub holds now, not what the message said: a re-delivery finds its own earlier update.
  // The note counts too: an escalation keeps NOTIFIED but has news for whoever reads the finding.
  if (verdict.facts.workflowStatus === status && (verdict.facts.note ?? '') === note.slice(0, 512)) {
    actions.record('update-finding', 'already-applied');
    return;
  }
  const change = { ref: finding, status, note };
  if (item.deferFindingUpdates) {
    actions.defer('update-finding', change);
    return;
  }
  let result: FindingUpdateResult | undefined;
  try {
    result = (await deps.findings.update([change])).get(findingKey(finding));
  } catch (error) {
    result = { failed: `${errorCode(error)}: ${(error as Error).message}` };
  }
  const action = findingAction(result);
  actions.record(action.action, action.result, action.reason);
}

/**
 * The notes the worker sets on findings. A finding already names its user, so notes name none: findings
 * that need the same change then share one BatchUpdateFindings call (one status and one note a call). A
 * deadline is given as its UTC day, which users contained the same day share; the exact time is on the
 * user's `mfa-remediation:deadline` tag and in the outcome.
 */
export const FINDING_NOTES = {
  compliant: 'MFA is enabled for this IAM user (checked by mfa-remediation).',
  custodial: 'MFA enabled for this IAM user by custodial enrolment (mfa-remediation).',
  contained: (deadline: Date, guard: string) =>
    `This IAM user must enable MFA by ${utcDay(deadline)} (UTC; the exact time is on its ${TAGS.deadline} tag); contained with ${guard} until then.`,
  notContained: (deadline: Date) =>
    `This IAM user must enable MFA by ${utcDay(deadline)} (UTC; the exact time is on its ${TAGS.deadline} tag); not contained: it has no console password and CONTAIN_PROGRAMMATIC_USERS is off.`,
  escalated: (deadline: Date, escalation: string) =>
    `This IAM user missed its MFA deadline of ${utcDay(deadline)} (UTC); escalation ${escalation} applied.`,
} as const;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The `update-finding` action of what Security Hub answered for a change. */
function findingAction(result: FindingUpdateResult | undefined): ActionRecord {
  if (result === 'applied') return { action: 'update-finding', result: 'applied' };
  if (result === 'not-found')
    return { action: 'update-finding', result: 'skipped', reason: 'finding not found in Security Hub' };
  return {
    action: 'update-finding',
    result: 'failed',
    reason: (result?.failed ?? 'no answer for the finding').slice(0, 200),
  };
}

/** The finding changes outcomes were built with and that are not made yet, by outcome. */
const deferredOf = new WeakMap<Outcome, readonly DeferredFindingChange[]>();

/**
 * Makes the finding updates the outcomes' items left for later (see `ItemContext.deferFindingUpdates`), in
 * one call to the port (which shares calls across records), and returns the outcomes with each pending
 * `update-finding` action replaced by what Security Hub answered. Best effort, as when made at once: a
 * failure is recorded on the action, never thrown.
 */
export async function applyDeferredUpdates(
  outcomes: readonly Outcome[],
  findings: FindingsPort,
): Promise<Outcome[]> {
  const changes = outcomes.flatMap((outcome) => (deferredOf.get(outcome) ?? []).map((d) => d.change));
  if (changes.length === 0) return [...outcomes];
  let results: ReadonlyMap<string, FindingUpdateResult>;
  try {
    results = await findings.update(changes);
  } catch (error) {
    const failed = { failed: `${errorCode(error)}: ${(error as Error).message}` };
    results = new Map(changes.map((change) => [findingKey(change.ref), failed]));
  }
  return outcomes.map((outcome) => {
    const deferred = deferredOf.get(outcome);
    if (!deferred) return outcome;
    const actions = [...outcome.actions];
    for (const { change, index } of deferred)
      actions[index] = findingAction(results.get(findingKey(change.ref)));
    return { ...outcome, actions };
  });
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
  const outcome = createOutcome({
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
  if (actions && actions.deferred.length > 0) deferredOf.set(outcome, [...actions.deferred]);
  return outcome;
}
