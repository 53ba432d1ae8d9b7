/**
 * One Security Hub finding (ASFF) → one intake item.
 *
 * Workflow statuses, and why they are treated as they are:
 * - `NEW`: act.
 * - `NOTIFIED`: act. This product sets NOTIFIED itself when it contains a user, and Security Hub re-imports
 *   the finding (with the same status) every time the periodic check runs, so a re-import must converge on
 *   the same outcome rather than be skipped: the workflow is idempotent and reports what it finds.
 * - `SUPPRESSED`: someone decided the finding does not matter; ignore it, even for a custom action.
 * - `RESOLVED` while `Compliance.Status` is still FAILED: Security Hub itself moves a RESOLVED control finding
 *   back to NEW when its check fails again, so an imported RESOLVED+FAILED finding is one that a person (or
 *   this product, after remediating) resolved before Config re-evaluated it. Acting on it would undo a fresh
 *   remediation with stale data, so it is ignored; a custom action, which is an operator asking explicitly,
 *   processes it anyway (the workflow re-checks the user's real MFA state first).
 */
import * as z from 'zod';
import { ASFF_LIMITS, AsffFinding, AsffResource } from './asff.ts';
import { IAM_USER_ID } from './config-events.ts';
import { classifyControl } from './controls.ts';
import {
  describeZodError,
  formatPath,
  type IntakeContext,
  rejected,
  settled,
  show,
  terminal,
  withoutUndefined,
  work,
} from './intake-items.ts';
import { type IntakeItem, type Trigger, UserName } from './model.ts';

/** Where a finding sits in its message, and how it arrived. */
export interface FindingContext extends IntakeContext {
  /** JSON path of the finding in the body (`detail.findings[2]`), `''` for a bare finding. */
  readonly path: string;
  /** True for a Security Hub custom action: an operator asked for this finding explicitly. */
  readonly forced: boolean;
  /** Its index in the message's `findings` array; absent for a bare finding. */
  readonly index?: number;
}

/**
 * Security Hub's own control findings carry this product ARN. Findings imported by other products
 * (`BatchImportFindings`) could claim any GeneratorId, so only Security Hub's are read as control findings.
 */
export const SECURITY_HUB_PRODUCT = /^arn:aws[\w-]*:securityhub:[\w-]+::product\/aws\/securityhub$/;

/** `arn:aws:iam::123456789012:user/alice`, or with a path: `arn:aws:iam::123456789012:user/dept/alice`. */
export const USER_ARN = /^arn:aws[\w-]*:iam::(\d{12}):user\/(?:[^/]+\/)*([^/]+)$/;

const IsoTime = z.iso.datetime({ offset: true });

/** Turns one finding into a work item (an IAM user lacking MFA) or a terminal item. Never throws. */
export function parseFinding(raw: unknown, context: FindingContext): IntakeItem {
  const parsed = AsffFinding.safeParse(raw);
  if (!parsed.success) {
    const { field, reason } = describeZodError(parsed.error, context.path);
    const id = typeof raw === 'object' && raw !== null ? (raw as { Id?: unknown }).Id : undefined;
    // Only an Id of a length ASFF allows is repeated in the outcome: a longer one is the reason itself.
    const shown = typeof id === 'string' && id.length <= ASFF_LIMITS.id ? id : undefined;
    return terminal(rejected(reason, field, trigger(context, shown)));
  }
  const finding = parsed.data;
  const control = classifyControl(finding);
  const findingTrigger = trigger(context, finding.Id, control.controlId);
  const subject = { accountId: finding.AwsAccountId, region: finding.Region };

  const notActionable = whyNotActionable(finding, context.forced);
  if (notActionable) return terminal(settled('ignored', notActionable, findingTrigger, subject));
  if (!SECURITY_HUB_PRODUCT.test(finding.ProductArn)) {
    const reason = `finding comes from product ${show(finding.ProductArn)}, not from a Security Hub control`;
    return terminal(settled('ignored', reason, findingTrigger, subject));
  }
  if (control.kind === 'other') {
    const reason = control.controlId
      ? `control ${show(control.controlId)} is not an MFA control`
      : 'finding names no Security Hub control, so it is not an MFA control';
    return terminal(settled('ignored', reason, findingTrigger, subject));
  }
  if (control.kind === 'root-mfa') {
    const reason = `control ${control.controlId} requires MFA on the account's root user, which only a person signed in as root can enable`;
    return terminal(settled('manual-action-required', reason, findingTrigger, subject));
  }

  const user = findIamUser(finding, context.path);
  if ('reason' in user) return terminal(rejected(user.reason, user.field, findingTrigger, subject));
  const region = finding.Region ?? user.region;
  return work({
    type: 'mfa-missing',
    accountId: finding.AwsAccountId,
    region,
    userName: user.userName,
    userId: user.userId,
    userArn: user.userArn,
    trigger: findingTrigger,
    finding: withoutUndefined({
      generation: 'asff' as const,
      id: finding.Id,
      productArn: finding.ProductArn,
      controlId: control.controlId,
      region,
      workflowStatus: finding.Workflow?.Status,
    }),
    scope: control.scope,
    forced: context.forced ? true : undefined,
    findingIndex: context.index,
    detectedAt: [finding.FirstObservedAt, finding.CreatedAt].find((t) => IsoTime.safeParse(t).success),
  });
}

/** Why a finding asks for nothing, or `undefined` when it is actionable. See the module comment. */
export function whyNotActionable(finding: AsffFinding, forced: boolean): string | undefined {
  if (finding.RecordState === 'ARCHIVED') {
    return 'finding is archived (RecordState ARCHIVED): its resource is gone or no longer evaluated';
  }
  const workflow = finding.Workflow?.Status;
  if (workflow === 'SUPPRESSED') return 'finding is suppressed (Workflow.Status SUPPRESSED)';
  const compliance = finding.Compliance?.Status;
  if (compliance === undefined)
    return 'finding has no Compliance.Status; only FAILED control findings are acted on';
  if (compliance !== 'FAILED') return `Compliance.Status is ${show(compliance)}, not FAILED`;
  if (workflow === 'RESOLVED' && !forced) {
    return 'Workflow.Status is RESOLVED although the check still fails: resolved before the control re-evaluated; Security Hub reopens it as NEW if it fails again';
  }
  return undefined;
}

/** The user a finding's resources name (ASFF or OCSF), or why they name none consistently. */
export type FoundUser =
  | { userName?: string; userId?: string; userArn?: string; region?: string }
  | { reason: string; field: string };

/** The first `AwsIamUser` resource: its name (Details, else the ARN's last segment), ARN and region. */
function findIamUser(finding: AsffFinding, path: string): FoundUser {
  const resources = finding.Resources ?? [];
  const index = resources.findIndex(
    (r) => typeof r === 'object' && r !== null && (r as { Type?: unknown }).Type === 'AwsIamUser',
  );
  if (index < 0) {
    const field = formatPath(['Resources'], path);
    return {
      field,
      reason: `${field}: no resource of Type AwsIamUser; an MFA finding must name the IAM user`,
    };
  }
  const resourcePath = formatPath(['Resources', index], path);
  const resource = AsffResource.safeParse(resources[index]);
  if (!resource.success) return describeZodError(resource.error, resourcePath);

  const { Id: id, Region: region } = resource.data;
  const arn = USER_ARN.exec(id);
  const detailName = resource.data.Details?.AwsIamUser?.UserName;
  if (detailName === undefined && !arn) {
    if (IAM_USER_ID.test(id)) return withoutUndefined({ userId: id, region });
    const field = `${resourcePath}.Id`;
    return { field, reason: `${field}: must be an IAM user ARN (arn:aws:iam::<account>:user/<name>)` };
  }
  const userName = detailName ?? (arn?.[2] as string);
  const nameField =
    detailName === undefined ? `${resourcePath}.Id` : `${resourcePath}.Details.AwsIamUser.UserName`;
  const valid = UserName.safeParse(userName);
  if (!valid.success) return describeZodError(valid.error, nameField);
  if (arn && arn[1] !== finding.AwsAccountId) {
    const field = `${resourcePath}.Id`;
    return { field, reason: `${field}: the user's account ${arn[1]} is not the finding's AwsAccountId` };
  }
  if (arn && detailName !== undefined && arn[2] !== detailName) {
    const field = `${resourcePath}.Details.AwsIamUser.UserName`;
    return { field, reason: `${field}: does not match the user name at the end of ${resourcePath}.Id` };
  }
  return withoutUndefined({ userName, userArn: arn ? id : undefined, region });
}

function trigger(context: FindingContext, findingId?: string, controlId?: string): Trigger {
  return withoutUndefined({ source: 'security-hub', findingId, controlId, messageId: context.messageId });
}
