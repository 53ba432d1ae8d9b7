/**
 * The product's data model: the tasks the worker executes and the outcomes it publishes. These zod schemas
 * are the single source of truth: intake validates with them, the code's types are inferred from them, and
 * the JSON Schema files in `schemas/` are generated from them (docs/reference.md: Schemas).
 */
import * as z from 'zod';
import { PATTERNS } from './patterns.ts';

/** IAM's own patterns (CreateUser, EnableMFADevice), so we reject what IAM would reject before calling it. */
export { PATTERNS };

export const AccountId = z.string().regex(PATTERNS.accountId, 'must be a 12-digit AWS account id');
export const UserName = z
  .string()
  .regex(PATTERNS.userName, 'must be 1-64 characters of letters, digits and _+=,.@-');
export const SerialNumber = z
  .string()
  .regex(PATTERNS.serialNumber, 'must be 9-256 characters of letters, digits and _+=/:,.@-');
export const AuthenticationCode = z.string().regex(PATTERNS.authenticationCode, 'must be exactly six digits');
const IsoTime = z.iso.datetime({ offset: true });

export const MfaMissingTask = z.strictObject({
  type: z.literal('mfa-missing'),
  accountId: AccountId,
  userName: UserName,
  source: z.enum(['sweep', 'manual']),
  sweepId: z.string().min(1).max(128).optional(),
  detectedAt: IsoTime.optional(),
});

export const VerifyTask = z.strictObject({
  type: z.literal('verify'),
  accountId: AccountId,
  userName: UserName,
});

const codesShape = {
  accountId: AccountId,
  userName: UserName,
  serialNumber: SerialNumber,
  code1: AuthenticationCode,
  code2: AuthenticationCode,
  requestId: z.string().min(1).max(128).optional(),
};

export const EnrollmentCodesTask = z.strictObject({ type: z.literal('enrollment-codes'), ...codesShape });
export const ResyncCodesTask = z.strictObject({ type: z.literal('resync-codes'), ...codesShape });

export const SweepAccountTask = z.strictObject({
  type: z.literal('sweep-account'),
  accountId: AccountId,
  sweepId: z.string().min(1).max(128),
  scope: z.enum(['console-users', 'all-users']).optional(),
});

/** The product's own task messages (docs/reference.md: Messages). */
export const TaskMessage = z.discriminatedUnion('type', [
  MfaMissingTask,
  VerifyTask,
  EnrollmentCodesTask,
  ResyncCodesTask,
  SweepAccountTask,
]);
export type TaskMessage = z.infer<typeof TaskMessage>;
export type TaskType = TaskMessage['type'];

export const OUTCOMES = [
  'remediated',
  'already-compliant',
  'enrollment-required',
  'escalated',
  'exempt',
  'not-applicable',
  'user-not-found',
  'manual-action-required',
  'invalid-code',
  'ignored',
  'rejected',
  'failed',
] as const;
export const OutcomeName = z.enum(OUTCOMES);
export type OutcomeName = z.infer<typeof OutcomeName>;

export const ACTIONS = [
  'attach-guard-policy',
  'detach-guard-policy',
  'tag-user',
  'untag-user',
  'update-finding',
  'create-virtual-mfa-device',
  'enable-mfa-device',
  'resync-mfa-device',
  'escrow-seed',
  'delete-login-profile',
  'deactivate-access-keys',
  'notify-user',
] as const;
export const ActionName = z.enum(ACTIONS);
export type ActionName = z.infer<typeof ActionName>;

export const ActionRecord = z.strictObject({
  action: ActionName,
  result: z.enum(['applied', 'already-applied', 'skipped', 'failed']),
  reason: z.string().optional(),
});
export type ActionRecord = z.infer<typeof ActionRecord>;

export const TRIGGER_SOURCES = [
  'security-hub',
  'security-hub-v2',
  'config',
  'sweep',
  'manual',
  'enrollment',
  'unknown',
] as const;

export const Trigger = z.strictObject({
  source: z.enum(TRIGGER_SOURCES),
  findingId: z.string().optional(),
  controlId: z.string().optional(),
  configRuleName: z.string().optional(),
  sweepId: z.string().optional(),
  requestId: z.string().optional(),
  messageId: z.string().optional(),
});
export type Trigger = z.infer<typeof Trigger>;

export const OUTCOME_SCHEMA_ID = 'mfa-remediation/outcome@1';
export const SWEEP_SCHEMA_ID = 'mfa-remediation/sweep@1';

/** One outcome message (docs/reference.md: Outcomes). Absent optional fields are left out, never null. */
export const Outcome = z.strictObject({
  schema: z.literal(OUTCOME_SCHEMA_ID),
  outcome: OutcomeName,
  accountId: AccountId.optional(),
  region: z.string().optional(),
  userName: z.string().optional(),
  userArn: z.string().optional(),
  trigger: Trigger,
  actions: z.array(ActionRecord),
  deadline: IsoTime.optional(),
  /** `exempt` outcomes of a dated `mfa-remediation:exempt` tag: remediation resumes after this time. */
  exemptUntil: IsoTime.optional(),
  attempts: z.number().int().min(1),
  dryRun: z.boolean(),
  reason: z.string().optional(),
  error: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
  occurredAt: IsoTime,
});
export type Outcome = z.infer<typeof Outcome>;

/** The per-account summary a sweep publishes. */
export const SweepSummary = z.strictObject({
  schema: z.literal(SWEEP_SCHEMA_ID),
  sweepId: z.string(),
  accountId: AccountId,
  region: z.string().optional(),
  usersScanned: z.number().int().min(0),
  nonCompliant: z.number().int().min(0),
  enqueued: z.number().int().min(0),
  rootWithoutMfa: z.boolean(),
  /** Users in scope without MFA that EXEMPT_USERS exempts: skipped, not counted in `nonCompliant`. */
  exempt: z.number().int().min(0).optional(),
  durationMs: z.number().min(0),
  dryRun: z.boolean().optional(),
  occurredAt: IsoTime.optional(),
});
export type SweepSummary = z.infer<typeof SweepSummary>;

/** Tags kept on IAM users (docs/reference.md: State on the IAM user): the only state the product keeps. */
export const TAGS = {
  prefix: 'mfa-remediation:',
  state: 'mfa-remediation:state',
  since: 'mfa-remediation:since',
  deadline: 'mfa-remediation:deadline',
  exempt: 'mfa-remediation:exempt',
  custodial: 'mfa-remediation:custodial',
  /** Time of the last person notification (docs/reference.md: Person notifications): a reminder goes once. */
  notified: 'mfa-remediation:notified',
  /** Custodial enrolment's lease (see custodial.ts); listed in docs/reference.md: State on the IAM user. */
  enrolling: 'mfa-remediation:enrolling',
} as const;

export const NAMES = {
  guardPolicyName: 'MfaRemediationGuard',
  guardPolicyPath: '/mfa-remediation/',
  devicePath: '/mfa-remediation/',
  memberRoleName: 'MfaRemediationMemberRole',
} as const;

export function guardPolicyArn(accountId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:policy${NAMES.guardPolicyPath}${NAMES.guardPolicyName}`;
}

export function escrowSecretName(accountId: string, userName: string): string {
  return `mfa-remediation/${accountId}/${userName}`;
}

/**
 * The two generations of Security Hub findings: `asff` (Security Hub CSPM, the AWS Security Finding Format)
 * and `ocsf` (Security Hub, the Open Cybersecurity Schema Framework). Each is read and updated with its own
 * API; the adapter behind `FindingsPort` picks the one a reference names.
 */
export type FindingGeneration = 'asff' | 'ocsf';

/**
 * The Security Hub finding a work item names, as the message claimed it. Nothing here is trusted: before the
 * worker updates the finding, Security Hub itself is asked what the finding is (docs/reference.md: Claims and
 * verification).
 */
export interface FindingRef {
  readonly generation: FindingGeneration;
  /** ASFF `Id`; OCSF `metadata.uid`. */
  readonly id: string;
  /**
   * The product that reported the finding: ASFF `ProductArn`, which with `id` is the identity Security Hub
   * stores findings under; OCSF `metadata.product.uid`.
   */
  readonly productArn: string;
  /** The control the message named (classified by intake); a claim. */
  readonly controlId?: string;
  /** The Region whose Security Hub holds the finding (the finding's own, or an aggregation Region). */
  readonly region?: string;
  /** The workflow status the message said the finding had; a claim. */
  readonly workflowStatus?: string;
}

/**
 * A normalised unit of work produced by intake, whatever the message shape. Exactly one of `userName` or
 * `userId` is set for user work: Config events carry only the user ID (`AIDA…`), resolved by the workflow.
 */
export interface WorkItem {
  readonly type: TaskType;
  readonly accountId: string;
  readonly region?: string;
  readonly userName?: string;
  readonly userId?: string;
  /** The user's ARN when the trigger names it (a finding's resource id); lets outcomes report it exactly. */
  readonly userArn?: string;
  readonly trigger: Trigger;
  readonly finding?: FindingRef;
  /** Where the finding sits in its message's `findings` array: lets the unfinished part of a record go on. */
  readonly findingIndex?: number;
  /** Config `COMPLIANT`, a custom action, … : how the trigger qualifies the request. */
  readonly compliance?: 'COMPLIANT' | 'NON_COMPLIANT';
  /** A custom action asks for processing even when the finding's workflow is already NOTIFIED. */
  readonly forced?: boolean;
  readonly serialNumber?: string;
  readonly code1?: string;
  readonly code2?: string;
  readonly sweepId?: string;
  readonly scope?: 'console-users' | 'all-users';
  readonly detectedAt?: string;
}

/** A message, or one finding in it, that needs no IAM work: its outcome is known at intake. */
export interface TerminalItem {
  readonly outcome: 'ignored' | 'manual-action-required' | 'rejected';
  readonly reason: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly userName?: string;
  readonly trigger: Trigger;
  /** For `rejected`: the JSON path or field that was wrong, e.g. `detail.findings[0].AwsAccountId`. */
  readonly field?: string;
}

export type IntakeItem =
  | { readonly kind: 'work'; readonly work: WorkItem }
  | { readonly kind: 'terminal'; readonly terminal: TerminalItem };
