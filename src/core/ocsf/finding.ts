/**
 * One Security Hub OCSF finding → one intake item, with the rules of ASFF findings (`../finding-intake.ts`)
 * in OCSF names (docs/reference.md: Messages, item 7):
 * - only Compliance Findings (`class_uid` 2003) of Security Hub's own product are control findings;
 * - `compliance.status_id` 3 (Fail) is acted on; Pass, Warning, Unknown or none: `ignored`;
 * - `status_id` New (1) and In Progress (2, what this product sets when it contains a user) are acted on, as
 *   are Unknown (0) and Other (99); Suppressed (3), Resolved (4) and Archived (5): `ignored`, and so is a
 *   closed finding (`activity_id` 3), OCSF's archived record;
 * - IAM.5 / IAM.19 and their CIS / FSBP twins → lacks MFA; root MFA → `manual-action-required`; any other
 *   control → `ignored`.
 * Rejection reasons name fields by their OCSF path (`detail.findings[0].cloud.account.uid`) and never quote
 * input beyond a short, sanitised token.
 */
import { IAM_USER_ID } from '../config-events.ts';
import { type FoundUser, USER_ARN } from '../finding-intake.ts';
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
} from '../intake-items.ts';
import { type IntakeItem, type Trigger, UserName } from '../model.ts';
import { classifyOcsfControl } from './controls.ts';
import {
  COMPLIANCE_FINDING_CLASS,
  COMPLIANCE_STATUS_ID,
  complianceStatusIdOf,
  describeStatusId,
  detectedAtOf,
  IAM_USER_RESOURCE_TYPES,
  isClosed,
  MAX_IDENTIFIER,
  OcsfFinding,
  OcsfResource,
  SECURITY_HUB_PRODUCT_V2,
  STATUS_ID,
  statusIdOf,
  workflowStatusOf,
} from './schema.ts';

/** Where a finding sits in its message. */
export interface OcsfFindingContext extends IntakeContext {
  /** JSON path of the finding in the body (`detail.findings[0]`), `''` for a bare finding. */
  readonly path: string;
  /** Its index in the message's `findings` array; absent for a bare finding. */
  readonly index?: number;
}

/** Turns one OCSF finding into a work item (an IAM user lacking MFA) or a terminal item. Never throws. */
export function parseOcsfFinding(raw: unknown, context: OcsfFindingContext): IntakeItem {
  const parsed = OcsfFinding.safeParse(raw);
  if (!parsed.success) {
    const { field, reason } = describeZodError(parsed.error, context.path);
    return terminal(rejected(reason, field, v2Trigger(context, metadataUidOf(raw))));
  }
  const finding = parsed.data;
  const compliance = finding.class_uid === COMPLIANCE_FINDING_CLASS;
  const control = compliance ? classifyOcsfControl(finding) : undefined;
  const findingTrigger = v2Trigger(context, finding.metadata.uid, control?.controlId);
  const subject = { accountId: finding.cloud.account.uid, region: finding.cloud.region };
  const ignore = (reason: string) => terminal(settled('ignored', reason, findingTrigger, subject));

  if (!control) {
    return ignore(
      `class_uid ${finding.class_uid} is not a Compliance Finding (${COMPLIANCE_FINDING_CLASS}), so not a control finding`,
    );
  }
  const notActionable = whyOcsfNotActionable(finding);
  if (notActionable) return ignore(notActionable);
  if (!SECURITY_HUB_PRODUCT_V2.test(finding.metadata.product.uid)) {
    return ignore(
      `finding comes from product ${show(finding.metadata.product.uid)}, not from a Security Hub control`,
    );
  }
  if (control.kind === 'other') {
    return ignore(
      control.controlId
        ? `control ${show(control.controlId)} is not an MFA control`
        : 'finding names no Security Hub control (compliance.control), so it is not an MFA control',
    );
  }
  if (control.kind === 'root-mfa') {
    const reason = `control ${control.controlId} requires MFA on the account's root user, which only a person signed in as root can enable`;
    return terminal(settled('manual-action-required', reason, findingTrigger, subject));
  }

  const user = findOcsfUser(finding, context.path);
  if ('reason' in user) return terminal(rejected(user.reason, user.field, findingTrigger, subject));
  const region = finding.cloud.region ?? user.region;
  return work({
    type: 'mfa-missing',
    accountId: finding.cloud.account.uid,
    region,
    userName: user.userName,
    userId: user.userId,
    userArn: user.userArn,
    trigger: findingTrigger,
    finding: withoutUndefined({
      generation: 'ocsf' as const,
      id: finding.metadata.uid,
      productArn: finding.metadata.product.uid,
      controlId: control.controlId,
      region,
      workflowStatus: workflowStatusOf(statusIdOf(finding)),
    }),
    scope: control.scope,
    findingIndex: context.index,
    detectedAt: detectedAtOf(finding),
  });
}

/** Why an OCSF finding asks for nothing, or `undefined` when it is actionable. See the module comment. */
export function whyOcsfNotActionable(finding: OcsfFinding): string | undefined {
  if (isClosed(finding)) {
    return 'finding is closed (activity Close or status Archived): its resource is gone or no longer evaluated';
  }
  const status = statusIdOf(finding);
  if (status === STATUS_ID.suppressed) return 'finding is suppressed (status_id 3, Suppressed)';
  const result = complianceStatusIdOf(finding);
  if (result === undefined) {
    return 'finding has no compliance.status_id; only failed (3, Fail) control findings are acted on';
  }
  if (result !== COMPLIANCE_STATUS_ID.fail) {
    return `compliance.status_id is ${describeStatusId(result, 'compliance')}, not 3 (Fail)`;
  }
  if (status === STATUS_ID.resolved) {
    return 'status_id is 4 (Resolved) although the check still fails: resolved before the control re-evaluated; Security Hub reopens it if it fails again';
  }
  return undefined;
}

/**
 * The first IAM user resource (`type` AwsIamUser or AWS::IAM::User): its name (`name`, else the ARN's last
 * segment), ARN (`uid`, else `uid_alt`) and region. The ARN's account, `owner.account.uid` and the name must
 * agree with the finding, or the finding contradicts itself and is rejected.
 */
function findOcsfUser(finding: OcsfFinding, path: string): FoundUser {
  const resources = finding.resources ?? [];
  const index = resources.findIndex((r) => {
    const type = typeof r === 'object' && r !== null ? (r as { type?: unknown }).type : undefined;
    return typeof type === 'string' && IAM_USER_RESOURCE_TYPES.has(type);
  });
  if (index < 0) {
    const field = formatPath(['resources'], path);
    return {
      field,
      reason: `${field}: no resource of type AwsIamUser or AWS::IAM::User; an MFA finding must name the IAM user`,
    };
  }
  const at = formatPath(['resources', index], path);
  const parsed = OcsfResource.safeParse(resources[index]);
  if (!parsed.success) return describeZodError(parsed.error, at);
  const resource = parsed.data;
  const account = finding.cloud.account.uid;

  const arnField = resource.uid !== undefined && USER_ARN.test(resource.uid) ? 'uid' : 'uid_alt';
  const arnValue = arnField === 'uid' ? resource.uid : resource.uid_alt;
  const arn = arnValue === undefined ? null : USER_ARN.exec(arnValue);
  const owner = resource.owner?.account?.uid;
  if (owner !== undefined && owner !== account) {
    const field = `${at}.owner.account.uid`;
    return { field, reason: `${field}: the resource's owner account is not the finding's cloud.account.uid` };
  }
  if (!arn && resource.name === undefined) {
    if (resource.uid !== undefined && IAM_USER_ID.test(resource.uid)) {
      return withoutUndefined({ userId: resource.uid, region: resource.region });
    }
    const field = `${at}.uid`;
    return { field, reason: `${field}: must be an IAM user ARN (arn:aws:iam::<account>:user/<name>)` };
  }
  const userName = resource.name ?? (arn?.[2] as string);
  const nameField = resource.name === undefined ? `${at}.${arnField}` : `${at}.name`;
  const valid = UserName.safeParse(userName);
  if (!valid.success) return describeZodError(valid.error, nameField);
  if (arn && arn[1] !== account) {
    const field = `${at}.${arnField}`;
    return { field, reason: `${field}: the user's account ${arn[1]} is not the finding's cloud.account.uid` };
  }
  if (arn && resource.name !== undefined && arn[2] !== resource.name) {
    const field = `${at}.name`;
    return { field, reason: `${field}: does not match the user name at the end of ${at}.${arnField}` };
  }
  return withoutUndefined({
    userName,
    userArn: arn ? arnValue : undefined,
    region: resource.region,
  });
}

function metadataUidOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const metadata = (raw as { metadata?: unknown }).metadata;
  const uid =
    typeof metadata === 'object' && metadata !== null ? (metadata as { uid?: unknown }).uid : undefined;
  return typeof uid === 'string' && uid.length <= MAX_IDENTIFIER ? uid : undefined;
}

function v2Trigger(context: IntakeContext, findingId?: string, controlId?: string): Trigger {
  return withoutUndefined({ source: 'security-hub-v2', findingId, controlId, messageId: context.messageId });
}
