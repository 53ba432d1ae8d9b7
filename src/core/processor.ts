/**
 * Processing one SQS record: parse it into work, run every item, park what must be kept, publish outcomes,
 * and decide whether the record is acknowledged or retried (tier 2).
 *
 * A record is retried only for retryable errors (IAM conflicts that outlived tier 1, throttling the SDK gave
 * up on, a failed publish). On its last receive (`MAX_RECEIVE_COUNT`) it publishes `failed` outcomes first,
 * then lets SQS's redrive move it to the dead-letter queue. Rejected and permanently failed bodies are parked
 * on the dead-letter queue by us and acknowledged: never retried in a loop, never lost.
 */
import { describeError, errorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { visibilityBackoffSeconds } from '../retry.ts';
import { type ClaimLookups, createClaimLookups } from './claims/lookups.ts';
import type { WorkflowDeps } from './context.ts';
import { continuationBody } from './continuation.ts';
import { parseMessage } from './intake.ts';
import { countOutcomes, isThrottle, METRICS } from './metrics/names.ts';
import type { IntakeItem, Outcome, TerminalItem, WorkItem } from './model.ts';
import { createOutcome, type OutcomeFields } from './outcomes.ts';
import type { OutcomePublisher, QueuePort } from './ports.ts';
import { applyDeferredUpdates } from './steps.ts';
import { runWorkItem } from './workflow.ts';

export interface RecordInput {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle?: string;
  /** SQS ApproximateReceiveCount. */
  readonly receiveCount: number;
  /**
   * The message this one continues (its `continues-message-id` attribute): the findings a record had no time
   * for are sent on as a new message, whose outcomes still name the original message.
   */
  readonly continues?: string;
}

/** The message attribute naming the message a continuation continues. */
export const CONTINUES_ATTRIBUTE = 'continues-message-id';

/** A `continues-message-id` value as SQS message ids look (a UUID); anything else is ignored. */
export function continuesOf(attribute: string | undefined): string | undefined {
  return attribute !== undefined && /^[\w-]{1,128}$/.test(attribute) ? attribute : undefined;
}

/** SQS's `ApproximateReceiveCount` attribute as a number (1 when absent or unreadable). */
export function receiveCountOf(attribute: string | undefined): number {
  return Number(attribute ?? '1') || 1;
}

export interface RecordResult {
  readonly messageId: string;
  /** `acknowledged`: delete the message; `retry`: leave it to come back after `visibilitySeconds`. */
  readonly status: 'acknowledged' | 'retry';
  readonly outcomes: readonly Outcome[];
  readonly visibilitySeconds?: number;
  readonly parked?: boolean;
  /** Why a record is retried: the error that stopped it, or `OutcomeNotPublished`. */
  readonly retryReason?: { readonly code: string; readonly message: string };
}

export interface ProcessorDeps extends WorkflowDeps {
  readonly publisher: OutcomePublisher;
  /** Absent where there is no queue (the `process` command): rejected bodies are then only reported. */
  readonly queue?: QueuePort;
  readonly random?: () => number;
}

/**
 * Epoch ms (wall clock) after which no work item starts; a function where it moves (the poller extends a
 * record's visibility while it works, and its deadline with it).
 */
export type Deadline = number | (() => number);

/** The deadline's value now. */
export function deadlineAt(deadline: Deadline): number {
  return typeof deadline === 'function' ? deadline() : deadline;
}

export interface RecordOptions {
  readonly allowedAccounts: readonly string[] | '*';
  /** After it no work item starts: the rest of the record goes on as a continuation, or back to SQS. */
  readonly deadline?: Deadline;
  readonly log: Logger;
  /** Items already parsed by the batch (to group by user); parsed here otherwise. */
  readonly items?: readonly IntakeItem[];
  /** The batch's claim checks, prefetched for every record; the record's own otherwise. */
  readonly lookups?: ClaimLookups;
  /**
   * Called once the record's work items have run (its IAM work is done), before its finding updates and
   * outcomes are sent: a scheduler gives the record's slot to the next record then (`dispatch/`).
   */
  readonly onWorkDone?: () => void;
}

/**
 * Processes one record end to end; never throws for a record-level problem.
 *
 * The deadline is checked before every work item, not only before the record: a Security Hub event carries
 * up to 100 findings, more than an invocation may have time for. When time runs out after some items are
 * done, the rest are sent on as a new message holding only those findings (`continues-message-id` names
 * this one) and this record is acknowledged with the outcomes of the finished ones. Finished items are
 * therefore never redone, and every continuation is strictly smaller than its parent, so a slow record
 * always converges. When time runs out before any work item is done, the whole record goes back to SQS.
 */
export async function processRecord(
  record: RecordInput,
  deps: ProcessorDeps,
  options: RecordOptions,
): Promise<RecordResult> {
  const traceId = record.continues ?? record.messageId;
  const log = options.log.child({
    messageId: record.messageId,
    receiveCount: record.receiveCount,
    ...(record.continues ? { continues: record.continues } : {}),
  });
  const items =
    options.items ??
    parseMessage(record.body, { allowedAccounts: options.allowedAccounts, messageId: traceId });
  let lookups = options.lookups;
  if (!lookups) {
    lookups = createClaimLookups(deps);
    await lookups.prefetch(items);
  }
  const deadline = options.deadline;
  const item = {
    attempts: record.receiveCount,
    messageId: traceId,
    log,
    lookups,
    deferFindingUpdates: true,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };
  let outcomes: Outcome[] = [];
  const unstarted: WorkItem[] = [];
  let retryError: unknown;
  let index = 0;
  let worked = 0;
  for (; index < items.length; index++) {
    const entry = items[index] as IntakeItem;
    if (entry.kind === 'terminal') {
      const { outcome, reason } = entry.terminal;
      outcomes.push(recordOutcome(entry.terminal, deps, record, { outcome, reason }));
      continue;
    }
    const until = deadline === undefined ? undefined : deadlineAt(deadline);
    if (unstarted.length > 0 || (until !== undefined && Date.now() >= until)) {
      unstarted.push(entry.work);
      continue;
    }
    try {
      outcomes.push(
        ...(await runWorkItem(entry.work, deps, {
          ...item,
          ...(until === undefined ? {} : { deadline: until }),
        })),
      );
      worked++;
    } catch (error) {
      retryError = error;
      break;
    }
  }
  options.onWorkDone?.();

  if (retryError !== undefined) {
    const last = record.receiveCount >= deps.config.maxReceiveCount;
    log.warn({ err: describeError(retryError), last }, last ? 'retries_exhausted' : 'record_retry');
    if (isThrottle(errorCode(retryError))) deps.metrics?.count(METRICS.throttles);
    if (!last) return retryLater(record, deps, [], describeError(retryError));
    // Last receive: tell subscribers now; SQS's redrive moves the message to the dead-letter queue next.
    for (const entry of items.slice(index)) {
      const reason =
        entry === items[index]
          ? `retries exhausted after ${record.receiveCount} receives: ${errorCode(retryError)}`
          : 'not processed: an earlier item of the same message exhausted its retries';
      const source = entry.kind === 'work' ? entry.work : entry.terminal;
      outcomes.push(
        recordOutcome(source, deps, record, { outcome: 'failed', reason, error: describeError(retryError) }),
      );
    }
    outcomes = await applyDeferredUpdates(outcomes, deps.findings);
    const published = await publish(outcomes, deps.publisher, log);
    if (published && deps.metrics) countOutcomes(outcomes, deps.metrics);
    return { messageId: record.messageId, status: 'retry', outcomes, visibilitySeconds: published ? 1 : 30 };
  }

  if (unstarted.length > 0) {
    const handedOn = worked > 0 && (await continueLater(record, traceId, unstarted, deps, log));
    if (!handedOn) {
      log.warn({ unstarted: unstarted.length }, 'deadline_reached_record_returned');
      // Not a failure: let it come back at once rather than after the queue's visibility timeout.
      return { messageId: record.messageId, status: 'retry', outcomes: [], visibilitySeconds: 0 };
    }
    log.info({ done: worked, continued: unstarted.length }, 'deadline_reached_record_continued');
  }

  // The finding updates the items decided: after the IAM work, in calls shared with other records.
  outcomes = await applyDeferredUpdates(outcomes, deps.findings);
  // Publish before parking: a record retried because its publish failed would otherwise be parked again
  // on its next receive (two copies on the dead-letter queue); a retried publish is at-least-once by design.
  if (!(await publish(outcomes, deps.publisher, log))) {
    return retryLater(record, deps, outcomes, NOT_PUBLISHED);
  }

  const parkReason = reasonToPark(outcomes);
  let parked = false;
  if (parkReason) {
    try {
      // Parking and acknowledging are two calls: a worker that dies between them parks the body again on
      // the next receive. The source message id lets the dead-letter queue's reader tell such copies apart.
      const result = deps.queue
        ? await deps.queue.park(record.body, parkReason.reason, {
            ...parkReason.attributes,
            'source-message-id': traceId,
          })
        : 'unavailable';
      parked = result !== 'unavailable';
      // Without a dead-letter queue the outcome is all that is kept: acknowledged, never looped.
      if (!parked) log.warn({ reason: parkReason.reason }, 'no_dead_letter_queue_to_park');
      else if (result === 'truncated') log.warn({ bytes: record.body.length }, 'parked_truncated_copy');
    } catch (error) {
      log.error({ err: describeError(error) }, 'park_failed');
      return retryLater(record, deps, outcomes, describeError(error));
    }
  }
  if (deps.metrics) countOutcomes(outcomes, deps.metrics);
  for (const outcome of outcomes) {
    log.info(
      { outcome: outcome.outcome, accountId: outcome.accountId, userName: outcome.userName },
      'outcome',
    );
  }
  return {
    messageId: record.messageId,
    status: 'acknowledged',
    outcomes,
    ...(parked ? { parked: true } : {}),
  };
}

const NOT_PUBLISHED = { code: 'OutcomeNotPublished', message: 'SNS did not accept the outcome' };

/**
 * Sends the findings of `unstarted` on as a new message (the record's own body, with only those findings).
 * False when that is impossible (no queue, a body whose items cannot be separated) or the send failed.
 */
async function continueLater(
  record: RecordInput,
  traceId: string,
  unstarted: readonly WorkItem[],
  deps: ProcessorDeps,
  log: Logger,
): Promise<boolean> {
  const indices = unstarted.map((work) => work.findingIndex);
  if (!deps.queue || indices.some((i) => i === undefined)) return false;
  const body = continuationBody(record.body, indices as number[]);
  if (body === undefined) return false;
  try {
    await deps.queue.requeue(body, { [CONTINUES_ATTRIBUTE]: traceId });
    return true;
  } catch (error) {
    log.warn({ err: describeError(error) }, 'continuation_not_sent');
    return false;
  }
}

function retryLater(
  record: RecordInput,
  deps: ProcessorDeps,
  outcomes: Outcome[],
  reason: { readonly code: string; readonly message: string },
): RecordResult {
  deps.metrics?.count(METRICS.tier2Retries);
  return {
    messageId: record.messageId,
    status: 'retry',
    outcomes,
    visibilitySeconds: visibilityBackoffSeconds(record.receiveCount, { random: deps.random }),
    retryReason: { code: reason.code, message: reason.message },
  };
}

async function publish(
  outcomes: readonly Outcome[],
  publisher: OutcomePublisher,
  log: Logger,
): Promise<boolean> {
  if (outcomes.length === 0) return true;
  try {
    const { failed } = await publisher.publish(outcomes);
    if (failed.length > 0) log.warn({ failed: failed.length }, 'publish_partially_failed');
    return failed.length === 0;
  } catch (error) {
    log.warn({ err: describeError(error) }, 'publish_failed');
    return false;
  }
}

/** Why a body must be kept on the dead-letter queue: its rejections, else its permanent failures. */
function reasonToPark(
  outcomes: readonly Outcome[],
): { reason: string; attributes: Record<string, string> } | undefined {
  for (const kind of ['rejected', 'failed'] as const) {
    const reasons = outcomes.filter((o) => o.outcome === kind).map((o) => o.reason ?? kind);
    if (reasons.length > 0)
      return { reason: reasons.join('; ').slice(0, 1000), attributes: { outcome: kind } };
  }
  return undefined;
}

/** An outcome the processor settles itself (no workflow ran): about the item's subject, for this record. */
function recordOutcome(
  source: TerminalItem | WorkItem,
  deps: ProcessorDeps,
  record: RecordInput,
  fields: Pick<OutcomeFields, 'outcome' | 'reason' | 'error'>,
): Outcome {
  return createOutcome({
    accountId: source.accountId,
    region: source.region,
    userName: source.userName,
    trigger: { ...source.trigger, messageId: record.continues ?? record.messageId },
    attempts: record.receiveCount,
    dryRun: deps.config.dryRun,
    occurredAt: deps.now(),
    ...fields,
  });
}
