/**
 * AWS Config "Config Rules Compliance Change" → one intake item.
 *
 * Config names IAM users by their unique ID (`AIDA…`), not by name: `detail.resourceId` is the ID and the
 * workflow resolves it (a user deleted and re-created under the same name gets a new ID, so the ID is the
 * safer key anyway). `NON_COMPLIANT` starts remediation; `COMPLIANT` asks the workflow to verify and release.
 * `NOT_APPLICABLE` is what Config reports when the user is deleted or leaves the rule's scope, and
 * `INSUFFICIENT_DATA` when it could not evaluate: neither asks for anything.
 *
 * The rule name is not filtered: customers name their own rules, and the workflow re-checks the user's real
 * MFA state before changing anything. It only selects the scope when the rule is one of the two managed MFA
 * rules (also as deployed by Security Hub, `securityhub-<rule>-<suffix>`, or by conformance packs).
 *
 * Besides the EventBridge event, the same payload arrives bare (with `messageType:
 * "ComplianceChangeNotification"`) when a Config delivery channel's SNS topic is subscribed to the queue.
 */
import * as z from 'zod';
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
import { AccountId, type IntakeItem, type Trigger } from './model.ts';

/**
 * An IAM user's unique ID: `AIDA` then upper-case letters and digits (21 characters today). IAM documents
 * unique IDs as 16 to 128 characters, so the length is not pinned.
 */
export const IAM_USER_ID = /^AIDA[A-Z0-9]{12,124}$/;

/**
 * AWS Config's own limits (PutConfigRule, ResourceIdentifier): rule names 1-128 characters, rule ARNs at most
 * 256, resource types at most 256 and resource ids at most 768. Regions have no documented limit; 64 is far
 * more than any Region code. Fields copied into outcomes are bounded so that one message cannot make an
 * outcome too large to publish.
 */
export const CONFIG_LIMITS = {
  ruleName: 128,
  ruleArn: 256,
  resourceType: 256,
  resourceId: 768,
  region: 64,
} as const;
const bounded = (max: number) => z.string().max(max, `must be at most ${max} characters`);

const Qualifier = z.looseObject({
  configRuleName: bounded(CONFIG_LIMITS.ruleName).optional(),
  resourceType: bounded(CONFIG_LIMITS.resourceType).optional(),
  resourceId: bounded(CONFIG_LIMITS.resourceId).optional(),
});

/** The `detail` of a Config compliance change (the fields intake reads). */
export const ConfigComplianceDetail = z.looseObject({
  resourceType: bounded(CONFIG_LIMITS.resourceType).optional(),
  resourceId: bounded(CONFIG_LIMITS.resourceId).optional(),
  awsAccountId: z.string().optional(),
  awsRegion: bounded(CONFIG_LIMITS.region).optional(),
  configRuleName: bounded(CONFIG_LIMITS.ruleName).min(1),
  configRuleARN: bounded(CONFIG_LIMITS.ruleArn).optional(),
  messageType: z.string().optional(),
  newEvaluationResult: z.looseObject({
    evaluationResultIdentifier: z
      .looseObject({
        evaluationResultQualifier: Qualifier.optional(),
        orderingTimestamp: z.string().optional(),
      })
      .optional(),
    complianceType: z.string(),
    resultRecordedTime: z.string().optional(),
  }),
});
export type ConfigComplianceDetail = z.infer<typeof ConfigComplianceDetail>;

/** Where the detail sits, and the envelope's account and region (used when the detail omits them). */
export interface ConfigContext extends IntakeContext {
  /** JSON path of the detail (`detail`), `''` for a bare Config notification. */
  readonly path: string;
  readonly account?: string | undefined;
  readonly region?: string | undefined;
}

const COMPLIANCE_TYPES = ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'];
const IsoTime = z.iso.datetime({ offset: true });

/** The MFA scope a Config rule checks, when its name says so. */
export function scopeOfConfigRule(ruleName: string): 'console-users' | 'all-users' | undefined {
  if (ruleName.includes('mfa-enabled-for-iam-console-access')) return 'console-users';
  if (ruleName.includes('iam-user-mfa-enabled')) return 'all-users';
  return undefined;
}

/** Turns a Config compliance change into a work item or a terminal item. Never throws. */
export function parseConfigDetail(raw: unknown, context: ConfigContext): IntakeItem {
  const at = (...segments: string[]) => formatPath(segments, context.path);
  const parsed = ConfigComplianceDetail.safeParse(raw);
  if (!parsed.success) {
    const { field, reason } = describeZodError(parsed.error, context.path);
    return terminal(rejected(reason, field, trigger(context)));
  }
  const detail = parsed.data;
  const qualifier = detail.newEvaluationResult.evaluationResultIdentifier?.evaluationResultQualifier;
  const configTrigger = trigger(context, detail.configRuleName);

  const account = AccountId.safeParse(detail.awsAccountId ?? context.account);
  if (!account.success) {
    const field = at('awsAccountId');
    return terminal(rejected(`${field}: must be a 12-digit AWS account id`, field, configTrigger));
  }
  const subject = { accountId: account.data, region: detail.awsRegion ?? context.region };
  const resourceType = detail.resourceType ?? qualifier?.resourceType;
  if (resourceType !== 'AWS::IAM::User') {
    const reason = `resource type ${show(resourceType ?? 'absent')} is not AWS::IAM::User`;
    return terminal(settled('ignored', reason, configTrigger, subject));
  }
  const complianceType = detail.newEvaluationResult.complianceType;
  if (!COMPLIANCE_TYPES.includes(complianceType)) {
    const field = at('newEvaluationResult', 'complianceType');
    const reason = `${field}: must be one of ${COMPLIANCE_TYPES.join(', ')}`;
    return terminal(rejected(reason, field, configTrigger, subject));
  }
  if (complianceType !== 'COMPLIANT' && complianceType !== 'NON_COMPLIANT') {
    const reason = `compliance type ${complianceType} asks for nothing`;
    return terminal(settled('ignored', reason, configTrigger, subject));
  }
  const userId = detail.resourceId ?? qualifier?.resourceId;
  if (userId === undefined || !IAM_USER_ID.test(userId)) {
    const field = at('resourceId');
    const reason = `${field}: must be an IAM user's unique id (AIDA followed by upper-case letters and digits)`;
    return terminal(rejected(reason, field, configTrigger, subject));
  }
  const recorded = detail.newEvaluationResult.resultRecordedTime;
  return work({
    type: complianceType === 'NON_COMPLIANT' ? 'mfa-missing' : 'verify',
    accountId: subject.accountId,
    region: subject.region,
    userId,
    compliance: complianceType,
    scope: scopeOfConfigRule(detail.configRuleName),
    trigger: configTrigger,
    detectedAt:
      complianceType === 'NON_COMPLIANT' && IsoTime.safeParse(recorded).success ? recorded : undefined,
  });
}

function trigger(context: ConfigContext, configRuleName?: string): Trigger {
  return withoutUndefined({ source: 'config', configRuleName, messageId: context.messageId });
}
