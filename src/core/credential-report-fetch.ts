/**
 * Obtaining a fresh credential report: GenerateCredentialReport, poll with exponential backoff until it is
 * COMPLETE, then GetCredentialReport.
 *
 * AWS behaviour this relies on:
 * - GenerateCredentialReport starts a new report only if the last one is older than four hours; otherwise it
 *   answers COMPLETE at once and GetCredentialReport returns the cached one. A sweep of a recently swept
 *   account therefore costs two IAM calls.
 * - Generation is asynchronous and takes seconds to minutes for large accounts: GenerateCredentialReport
 *   answers STARTED, then INPROGRESS on each call, then COMPLETE. GetCredentialReport during generation
 *   fails with ReportInProgress.
 * - GetCredentialReport fails with ReportNotPresent (never generated) or ReportExpired (older than four
 *   hours): generating again is the cure.
 * - IAM's request rate limits are per account and cannot be raised, so polls back off exponentially and the
 *   total wait is bounded; the number of calls depends on the generation time, never on the user count.
 */
import { DependencyError, errorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CredentialReport, CredentialReportPort, CredentialReportState } from './ports.ts';

/** Backoff of the report polls. */
export interface ReportPolling {
  /** First wait in ms. Default 500. */
  readonly initialDelayMs: number;
  /** Growth of each wait. Default 2. */
  readonly factor: number;
  /** Largest single wait in ms. Default 8000. */
  readonly maxDelayMs: number;
  /** Total time spent waiting before giving up. Default 60 000. */
  readonly maxWaitMs: number;
  /** Regenerations after ReportNotPresent / ReportExpired before giving up. Default 3. */
  readonly maxRegenerations: number;
}

export const DEFAULT_REPORT_POLLING: ReportPolling = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 8_000,
  maxWaitMs: 60_000,
  maxRegenerations: 3,
};

export interface FetchReportOptions {
  readonly polling?: Partial<ReportPolling>;
  /** Epoch ms: no wait extends past this (the invocation's deadline). */
  readonly deadline?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Logger;
  /** Told each state GenerateCredentialReport answers (progress for people). */
  readonly onState?: (state: CredentialReportState) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Generates (if needed) and fetches the account's credential report. Gives up with a retryable
 * `DependencyError` (code `ReportInProgress`) when the report is not ready within the bounded wait or before
 * the deadline: generation goes on at AWS, so the retried sweep usually finds it COMPLETE.
 */
export async function fetchCredentialReport(
  reports: CredentialReportPort,
  options: FetchReportOptions = {},
): Promise<CredentialReport> {
  const polling = { ...DEFAULT_REPORT_POLLING, ...options.polling };
  if (polling.initialDelayMs <= 0 || polling.factor < 1 || polling.maxWaitMs < 0) {
    throw new TypeError('report polling needs initialDelayMs > 0, factor >= 1 and maxWaitMs >= 0');
  }
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  let delay = polling.initialDelayMs;
  // The bound counts the time slept, not the clock, so a stopped clock (tests) cannot make it endless.
  let waited = 0;
  let polls = 0;
  let regenerations = 0;

  const wait = async (state: string): Promise<void> => {
    const beforeDeadline =
      options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - now();
    const remaining = Math.min(polling.maxWaitMs - waited, beforeDeadline);
    if (remaining <= 0) {
      throw new DependencyError(
        `credential report still ${state} after waiting ${waited} ms (${polls} polls); retry later`,
        { service: 'iam', operation: 'GetCredentialReport', code: 'ReportInProgress', retryable: true },
      );
    }
    const ms = Math.min(delay, remaining);
    await sleep(ms);
    waited += ms;
    delay = Math.min(delay * polling.factor, polling.maxDelayMs);
  };

  const generate = async () => {
    const next = await reports.generate();
    options.onState?.(next);
    return next;
  };
  let state: CredentialReportState = await generate();
  for (;;) {
    polls++;
    if (state !== 'COMPLETE') {
      await wait(state);
      state = await generate();
      continue;
    }
    try {
      return await reports.get();
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ReportInProgress') {
        // COMPLETE from Generate but not yet readable: IAM is eventually consistent here too.
        await wait('in progress');
        continue;
      }
      if (
        (code === 'ReportExpired' || code === 'ReportNotPresent') &&
        regenerations < polling.maxRegenerations
      ) {
        regenerations++;
        options.log?.info({ code, regenerations }, 'credential_report_regenerate');
        state = await generate();
        continue;
      }
      throw error;
    }
  }
}

/** IAM generates a new credential report at most this often; until then it returns the last one. */
export const REPORT_REFRESH_MS = 4 * 60 * 60 * 1000;

/**
 * A credential report generated after this call began: when IAM answers with a report younger than four
 * hours (which it will not regenerate yet), waits until IAM accepts a new generation — asking again at least
 * every minute, and telling `onWait` until when — then fetches the new report. Unbounded by design: it is
 * what an operator asks for with `sweep --fresh-report`.
 */
export async function fetchFreshCredentialReport(
  reports: CredentialReportPort,
  options: FetchReportOptions & { readonly onWait?: (until: Date) => void } = {},
): Promise<CredentialReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  // A report IAM started generating for this call (STARTED / INPROGRESS) is already a fresh one.
  let generated = false;
  const tracking: FetchReportOptions = {
    ...options,
    onState: (state) => {
      if (state !== 'COMPLETE') generated = true;
      options.onState?.(state);
    },
  };
  const first = await fetchCredentialReport(reports, tracking);
  if (generated) return first;
  let report = first;
  while (report.generatedAt.getTime() <= first.generatedAt.getTime()) {
    const until = first.generatedAt.getTime() + REPORT_REFRESH_MS;
    options.onWait?.(new Date(until));
    await sleep(Math.max(1000, Math.min(60_000, until - now() + 1000)));
    report = await fetchCredentialReport(reports, options);
  }
  return report;
}
