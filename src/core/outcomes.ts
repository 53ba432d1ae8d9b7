/**
 * Building outcome messages (docs/reference.md: Outcomes) and their SNS presentation: filterable message attributes and a
 * short human Subject. Outcomes are built only from fields we choose, never by spreading input, so that no
 * authentication code or seed can slip into one.
 */
import {
  type ActionRecord,
  OUTCOME_SCHEMA_ID,
  type Outcome,
  type OutcomeName,
  type Trigger,
} from './model.ts';

export interface OutcomeFields {
  outcome: OutcomeName;
  trigger: Trigger;
  attempts: number;
  dryRun: boolean;
  occurredAt: Date;
  accountId?: string | undefined;
  region?: string | undefined;
  userName?: string | undefined;
  userArn?: string | undefined;
  actions?: readonly ActionRecord[];
  deadline?: Date | string | undefined;
  exemptUntil?: Date | undefined;
  reason?: string | undefined;
  error?: { code: string; message: string; retryable: boolean } | undefined;
}

/** Creates an outcome, leaving absent optional fields out (never null). */
export function createOutcome(fields: OutcomeFields): Outcome {
  const outcome: Outcome = {
    schema: OUTCOME_SCHEMA_ID,
    outcome: fields.outcome,
    trigger: stripUndefined(fields.trigger),
    actions: (fields.actions ?? []).map((action) => stripUndefined({ ...action })),
    attempts: Math.max(1, fields.attempts),
    dryRun: fields.dryRun,
    occurredAt: fields.occurredAt.toISOString(),
  };
  if (fields.accountId !== undefined) outcome.accountId = fields.accountId;
  if (fields.region !== undefined) outcome.region = fields.region;
  if (fields.userName !== undefined) outcome.userName = fields.userName;
  if (fields.userArn !== undefined) outcome.userArn = fields.userArn;
  if (fields.deadline !== undefined) {
    outcome.deadline = typeof fields.deadline === 'string' ? fields.deadline : fields.deadline.toISOString();
  }
  if (fields.exemptUntil !== undefined) outcome.exemptUntil = fields.exemptUntil.toISOString();
  if (fields.reason !== undefined) outcome.reason = fields.reason;
  if (fields.error !== undefined) outcome.error = fields.error;
  return outcome;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** SNS message attributes on every outcome, all `String`, so subscribers can filter. */
export function outcomeAttributes(outcome: Outcome): Record<string, string> {
  const attributes: Record<string, string> = { outcome: outcome.outcome, schema: outcome.schema };
  if (outcome.accountId) attributes.accountId = outcome.accountId;
  if (outcome.userName) attributes.userName = outcome.userName;
  return attributes;
}

const SUBJECTS: Record<OutcomeName, string> = {
  remediated: 'now has MFA; guard released',
  'already-compliant': 'already has MFA',
  'enrollment-required': 'must enrol an MFA device',
  escalated: 'missed the MFA deadline; escalation applied',
  exempt: 'is exempt from MFA remediation',
  'not-applicable': 'MFA control does not apply',
  'user-not-found': 'no longer exists',
  'manual-action-required': 'needs manual action',
  'invalid-code': 'submitted MFA codes were rejected',
  ignored: 'ignored',
  rejected: 'message rejected',
  failed: 'remediation failed',
};

/**
 * A short human sentence for the SNS Subject (≤ 100 characters, no line breaks, as SNS requires), e.g.
 * `MFA: bob (111111111111) must enrol an MFA device`.
 */
export function outcomeSubject(outcome: Outcome): string {
  const who = outcome.userName
    ? `${outcome.userName}${outcome.accountId ? ` (${outcome.accountId})` : ''}`
    : (outcome.accountId ?? '');
  const subject = `MFA: ${who ? `${who} ` : ''}${SUBJECTS[outcome.outcome]}`.replace(/[\r\n]+/g, ' ');
  return subject.length <= 100 ? subject : `${subject.slice(0, 99)}…`;
}
