/**
 * Runs SQS records through {@link processRecord} the way both consumers need it — the Lambda handler (one
 * invocation's batch) and the long-running poller (receive after receive, overlapping):
 *
 * - records received together are parsed together and their claims checked with AWS in bulk, once, before
 *   any of them runs (`claims/lookups.ts`: one GetFindings per 20 findings);
 * - at most `concurrency` records do their IAM work at once, and records about the same account and user
 *   run in the order they arrived, across receives too ({@link createScheduler});
 * - a record gives its slot to the next one as soon as its IAM work is done; its finding updates and its
 *   outcomes then go out in calls shared with the records that finished close to it
 *   (`shared-calls.ts`), and it is answered once its own have been accepted.
 *
 * No record can fail another: an unexpected throw fails only its own record.
 */
import { describeError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { type ClaimLookups, createClaimLookups } from '../claims/lookups.ts';
import { parseMessage } from '../intake.ts';
import type { IntakeItem } from '../model.ts';
import {
  type Deadline,
  deadlineAt,
  type ProcessorDeps,
  processRecord,
  type RecordInput,
  type RecordResult,
} from '../processor.ts';
import { createScheduler } from './scheduler.ts';
import { createSharedFindings, createSharedPublisher } from './shared-calls.ts';

export interface DispatcherOptions {
  /** Records doing their IAM work at once. */
  readonly concurrency: number;
  readonly log: Logger;
  /** How long an outcome or finding update waits for others to share its call; see `shared-calls.ts`. */
  readonly lingerMs?: number;
  /**
   * Called whenever a record gives its slot back (its IAM work done; its shared calls may still be pending):
   * the poller receives more then, rather than once the record is acknowledged, up to a linger later.
   */
  readonly onSlotFree?: () => void;
}

/** What became of one record. */
export type RecordRun =
  | { readonly status: 'done'; readonly result: RecordResult }
  /** Handed back untouched: its deadline passed before its turn came. */
  | { readonly status: 'not-started'; readonly reason: 'deadline' }
  /** It could not be processed (a bug, or the allowed accounts could not be resolved): left to SQS. */
  | { readonly status: 'crashed' };

export interface SubmitOptions {
  /** The record's deadline (see `RecordOptions.deadline`): a record whose deadline has passed does not start. */
  readonly deadlineOf?: (record: RecordInput) => Deadline | undefined;
}

export interface Dispatcher {
  /** Queues records received together; one promise per record, in order, settled when it is done. */
  submit(records: readonly RecordInput[], options?: SubmitOptions): Promise<RecordRun>[];
  /** Records doing their IAM work now. */
  readonly running: number;
  /** Records submitted and not started yet. */
  readonly waiting: number;
  /** Sends every pending shared call now. */
  flush(): void;
}

/** The accounts findings may come from: `'self'` resolves to the worker's own account, once. */
export async function resolveAllowedAccounts(deps: ProcessorDeps): Promise<readonly string[] | '*'> {
  const allowed = deps.config.allowedAccounts;
  return allowed === 'self' ? [await deps.accounts.selfAccountId()] : allowed;
}

/** The users (or sweeps) a record concerns, as `account/user` keys: records sharing one run in order. */
export function recordKeys(items: readonly IntakeItem[]): string[] {
  return items.flatMap((item) => {
    if (item.kind !== 'work') return [];
    const { work } = item;
    return [`${work.accountId}/${work.userName ?? work.userId ?? `sweep:${work.sweepId}`}`];
  });
}

export function createDispatcher(deps: ProcessorDeps, options: DispatcherOptions): Dispatcher {
  const { log } = options;
  const scheduler = createScheduler({
    concurrency: options.concurrency,
    onIdle: () => {
      publisher.flush();
      findings.flush();
    },
  });
  const idle = () => scheduler.running === 0;
  const shared = { idle, ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }) };
  const publisher = createSharedPublisher(deps.publisher, shared);
  const findings = createSharedFindings(deps.findings, shared);
  const recordDeps: ProcessorDeps = { ...deps, publisher, findings };
  /** Submissions are scheduled one after the other, so that arrival order is kept across them. */
  let order: Promise<void> = Promise.resolve();

  const runRecord = async (
    record: RecordInput,
    context: {
      allowedAccounts: readonly string[] | '*';
      items: readonly IntakeItem[];
      lookups: ClaimLookups;
      release: () => void;
    },
    submit: SubmitOptions,
  ): Promise<RecordRun> => {
    const deadline = submit.deadlineOf?.(record);
    if (deadline !== undefined && Date.now() >= deadlineAt(deadline)) {
      log.warn({ messageId: record.messageId }, 'deadline_reached_record_not_started');
      return { status: 'not-started', reason: 'deadline' };
    }
    try {
      const result = await processRecord(record, recordDeps, {
        allowedAccounts: context.allowedAccounts,
        log,
        items: context.items,
        lookups: context.lookups,
        onWorkDone: () => {
          context.release();
          options.onSlotFree?.();
        },
        ...(deadline === undefined ? {} : { deadline }),
      });
      return { status: 'done', result };
    } catch (error) {
      log.error({ messageId: record.messageId, err: describeError(error) }, 'record_crashed');
      return { status: 'crashed' };
    }
  };

  return {
    get running() {
      return scheduler.running;
    },
    get waiting() {
      return scheduler.waiting;
    },
    flush() {
      publisher.flush();
      findings.flush();
    },
    submit(records, submit = {}) {
      const runs = records.map(() => {
        let settle!: (run: RecordRun) => void;
        const promise = new Promise<RecordRun>((resolve) => {
          settle = resolve;
        });
        return { promise, settle };
      });
      order = order.then(async () => {
        let allowedAccounts: readonly string[] | '*';
        try {
          allowedAccounts = await resolveAllowedAccounts(deps);
        } catch (error) {
          log.error({ err: describeError(error) }, 'cannot_resolve_allowed_accounts');
          for (const run of runs) run.settle({ status: 'crashed' });
          return;
        }
        const parsed = records.map((r) =>
          parseMessage(r.body, { allowedAccounts, messageId: r.continues ?? r.messageId }),
        );
        // Every record's claims are checked with AWS before any of them runs: one bulk read for them all,
        // through the shared port, so that the reads of receives landing together share GetFindings calls.
        const lookups = createClaimLookups(recordDeps);
        const prefetched = lookups.prefetch(parsed.flat());
        records.forEach((record, index) => {
          const items = parsed[index] ?? [];
          const run = runs[index] as (typeof runs)[number];
          scheduler
            .run(
              recordKeys(items),
              (slot) => runRecord(record, { allowedAccounts, items, lookups, release: slot.release }, submit),
              prefetched,
            )
            .then(run.settle, (error: unknown) => {
              log.error({ messageId: record.messageId, err: describeError(error) }, 'record_crashed');
              run.settle({ status: 'crashed' });
            });
        });
      });
      return runs.map((run) => run.promise);
    },
  };
}
