/**
 * Exit status from outcomes, shared by every command that produces them (docs/reference.md: Exit status):
 * 1 when any outcome is `failed`, `rejected` or `invalid-code`, when an outcome could not be published, or
 * when a record was left for retry; otherwise 0.
 */
import type { Outcome, OutcomeName } from '../core/model.ts';
import { EXIT } from './help.ts';

/** Outcomes that mean the work asked for was not done. */
export const FAILING_OUTCOMES: readonly OutcomeName[] = ['failed', 'rejected', 'invalid-code'];

/** How many of the counted outcomes are failing ones. */
export function failedOutcomeCount(counts: Partial<Record<OutcomeName, number>>): number {
  return FAILING_OUTCOMES.reduce((sum, outcome) => sum + (counts[outcome] ?? 0), 0);
}

/** The exit status of a command that produced `outcomes`. */
export function exitStatusFor(
  outcomes: readonly Pick<Outcome, 'outcome'>[],
  problems: { readonly unpublished?: number; readonly leftForRetry?: number } = {},
): number {
  const failing = outcomes.some((o) => FAILING_OUTCOMES.includes(o.outcome));
  return failing || (problems.unpublished ?? 0) > 0 || (problems.leftForRetry ?? 0) > 0
    ? EXIT.workFailed
    : EXIT.ok;
}
