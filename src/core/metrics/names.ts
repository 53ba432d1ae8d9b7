/**
 * The product's CloudWatch metrics (docs/reference.md: Metrics): names, units and what counts. The emitter
 * (emf.ts), the stack's alarms and its dashboard (serverless.yml, src/policies/dashboard.ts) all use these
 * names, and a test checks that they agree.
 */
import type { Outcome } from '../model.ts';
import type { MetricsPort } from '../ports.ts';

export const METRICS_NAMESPACE = 'MfaRemediation';
/** The one dimension of `Outcomes`. */
export const OUTCOME_DIMENSION = 'outcome';

export const METRICS = {
  /** Count, by `outcome`: every outcome the worker published. */
  outcomes: 'Outcomes',
  /** Count: IAM conflicts retried in-process (tier 1). */
  tier1Retries: 'Tier1Retries',
  /** Count: records handed back to SQS to be retried later (tier 2). */
  tier2Retries: 'Tier2Retries',
  /** Count: records retried because AWS still throttled after the SDK's own retries. */
  throttles: 'Throttles',
  /**
   * Count: IAM requests AWS answered with throttling, each attempt the SDK made (most succeed on its retry).
   * AWS publishes no IAM rate limit; this is how close a deployment's concurrency runs to it.
   */
  iamThrottles: 'IamThrottles',
  /** Count: person notifications SES accepted. */
  notificationsSent: 'NotificationsSent',
  /** Count: person notifications that failed (the outcome still stands: action `notify-user` `failed`). */
  notificationFailures: 'NotificationFailures',
  /** Seconds: first detection (the `mfa-remediation:since` tag) to remediation — the MTTR. */
  timeToRemediate: 'TimeToRemediate',
} as const;

export const METRIC_UNITS: Readonly<Record<(typeof METRICS)[keyof typeof METRICS], 'Count' | 'Seconds'>> = {
  Outcomes: 'Count',
  Tier1Retries: 'Count',
  Tier2Retries: 'Count',
  Throttles: 'Count',
  IamThrottles: 'Count',
  NotificationsSent: 'Count',
  NotificationFailures: 'Count',
  TimeToRemediate: 'Seconds',
};

/** Throttling error codes as our errors carry them (AWS's names without the SDK's `Exception` suffix). */
const THROTTLE =
  /^(Throttling|TooManyRequests|RequestLimitExceeded|RequestThrottled|SlowDown|ProvisionedThroughputExceeded)(Exception)?$/;

export function isThrottle(code: string): boolean {
  return THROTTLE.test(code);
}

/** Counts a record's published outcomes by outcome, and its notifications by result. */
export function countOutcomes(outcomes: readonly Outcome[], metrics: MetricsPort): void {
  for (const outcome of outcomes) {
    metrics.count(METRICS.outcomes, 1, { outcome: outcome.outcome });
    for (const action of outcome.actions) {
      if (action.action !== 'notify-user') continue;
      if (action.result === 'applied') metrics.count(METRICS.notificationsSent);
      if (action.result === 'failed') metrics.count(METRICS.notificationFailures);
    }
  }
}
