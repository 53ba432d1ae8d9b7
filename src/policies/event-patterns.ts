/**
 * EventBridge patterns that route findings to the remediation queue. Rendered by `scripts/render-policies.ts`
 * into `deploy/*.json`, which `serverless.yml` embeds; the worker validates every message again (docs/reference.md: Messages),
 * so these patterns only keep unrelated traffic (and cost) off the queue.
 */

/**
 * Security Hub control findings that mean "this IAM user lacks MFA" (docs/reference.md: Messages): consolidated control
 * findings carry `Compliance.SecurityControlId`; accounts without consolidated findings are recognised by
 * the standard-specific `GeneratorId`.
 */
export const MFA_CONTROL_IDS = ['IAM.5', 'IAM.19'] as const;

export const MFA_GENERATOR_IDS = [
  'security-control/IAM.5',
  'security-control/IAM.19',
  'aws-foundational-security-best-practices/v/1.0.0/IAM.5',
  'aws-foundational-security-best-practices/v/1.0.0/IAM.19',
  'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.2',
  'cis-aws-foundations-benchmark/v/1.4.0/1.10',
  'cis-aws-foundations-benchmark/v/3.0.0/1.10',
  'cis-aws-foundations-benchmark/v/5.0.0/1.9',
] as const;

/**
 * "Security Hub Findings - Imported" for a failed, active MFA control whose workflow is NEW (first seen) or
 * NOTIFIED (Security Hub re-evaluates periodically; a re-import of a NOTIFIED finding is how the worker gets
 * to check the deadline and escalate, or to release a user who has since enrolled).
 *
 * Matching inside `findings[]` is per field, not per finding: one event with several findings may match on
 * fields of different findings. The worker decides per finding, so that only costs an `ignored` outcome.
 */
export const SECURITY_HUB_FINDINGS_PATTERN = {
  source: ['aws.securityhub'],
  'detail-type': ['Security Hub Findings - Imported'],
  detail: {
    findings: {
      Compliance: { Status: ['FAILED'] },
      RecordState: ['ACTIVE'],
      Workflow: { Status: ['NEW', 'NOTIFIED'] },
      $or: [
        { Compliance: { SecurityControlId: [...MFA_CONTROL_IDS] } },
        { GeneratorId: [...MFA_GENERATOR_IDS] },
      ],
    },
  },
} as const;

/**
 * Where a standard-specific control finding's id names its control: the GeneratorId's path (CIS v1.2.0's
 * `ruleset/…/rule/` spelled as its finding ids spell it), between `subscription/` and `/finding/`.
 */
const STANDARD_FINDING_UIDS = MFA_GENERATOR_IDS.filter((id) => !id.startsWith('security-control/')).map(
  (id) => ({
    wildcard: `*:subscription/${id.replace(/^arn:aws:securityhub:::ruleset\//, '').replace('/rule/', '/')}/finding/*`,
  }),
);

/**
 * "Findings Imported V2" of AWS Security Hub (the OCSF generation; docs/reference.md: Messages, item 7): an
 * OCSF Compliance Finding (`class_uid` 2003) of a failed (`compliance.status_id` 3), open (`activity_id` not 3,
 * Close) MFA control whose status is New (1) or In Progress (2, what the worker sets; a re-sent In Progress
 * finding is how the worker checks the deadline or releases), the same controls as the ASFF pattern:
 * `compliance.control` for consolidated control findings, the finding's uid for standard-specific ones.
 */
export const SECURITY_HUB_V2_FINDINGS_PATTERN = {
  source: ['aws.securityhub'],
  'detail-type': ['Findings Imported V2'],
  detail: {
    findings: {
      class_uid: [2003],
      compliance: { status_id: [3] },
      status_id: [1, 2],
      activity_id: [{ 'anything-but': [3] }],
      $or: [
        { compliance: { control: [...MFA_CONTROL_IDS] } },
        { finding_info: { uid: STANDARD_FINDING_UIDS } },
      ],
    },
  },
} as const;

/**
 * "Security Hub Findings - Custom Action" of the stack's own custom action (`resources` is the action target's
 * ARN, filled in by the stack): an operator selects findings in the Security Hub CSPM console and chooses
 * the action. Whatever findings were selected, the worker decides per finding (an unrelated control is
 * `ignored`), and verifies each with Security Hub before changing anything (docs/reference.md: Claims and
 * verification). Custom actions exist only in Security Hub CSPM; the OCSF generation has none.
 */
export const SECURITY_HUB_CUSTOM_ACTION_PATTERN = {
  source: ['aws.securityhub'],
  'detail-type': ['Security Hub Findings - Custom Action'],
  resources: [{ Ref: 'SecurityHubCustomAction' }],
} as const;

/**
 * AWS Config managed rules on IAM user MFA, whatever prefix Security Hub or a conformance pack gave them:
 * `iam-user-mfa-enabled` (IAM.19) and `mfa-enabled-for-iam-console-access` (IAM.5).
 */
export const MFA_CONFIG_RULE_NAMES = ['iam-user-mfa-enabled', 'mfa-enabled-for-iam-console-access'] as const;

/** "Config Rules Compliance Change" for IAM users: NON_COMPLIANT contains, COMPLIANT verifies and releases. */
export const CONFIG_COMPLIANCE_PATTERN = {
  source: ['aws.config'],
  'detail-type': ['Config Rules Compliance Change'],
  detail: {
    messageType: ['ComplianceChangeNotification'],
    resourceType: ['AWS::IAM::User'],
    configRuleName: MFA_CONFIG_RULE_NAMES.map((name) => ({ wildcard: `*${name}*` })),
    newEvaluationResult: { complianceType: ['NON_COMPLIANT', 'COMPLIANT'] },
  },
} as const;
