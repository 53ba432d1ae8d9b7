/**
 * Every IAM permission the worker holds, in one place. `scripts/render-policies.ts` renders these documents
 * into `deploy/*.json`; `serverless.yml` (the central worker's role) and `deploy/member-account-role.yml`
 * (`MfaRemediationMemberRole` in each member account) embed the rendered files, so both roles carry exactly
 * the same per-account permissions and a review of this file is a review of what the product may do.
 *
 * Values are CloudFormation: `Fn::Sub` with pseudo parameters (`AWS::Partition`, `AWS::AccountId`) so one
 * document works in every account and partition, and `Ref` to the template parameters both templates declare
 * under the same names (`EscrowKmsKeyArn`, `MemberRoleName`).
 *
 * Rules this file keeps (and `test/unit/worker-permissions.test.ts` checks against the IAM service reference):
 * - no wildcard actions; every action is one the code calls (an SDK `…Batch` call authorises as its
 *   singular action: SendMessageBatch → sqs:SendMessage, PublishBatch → sns:Publish);
 * - `"Resource": "*"` only for actions that have no resource type in IAM (ListUsers, credential report, …);
 * - conditions where IAM offers them: `iam:PolicyARN` keeps Attach/DetachUserPolicy to the guard policy,
 *   `aws:TagKeys` keeps tagging to our own `mfa-remediation:` keys, `kms:ViaService` keeps the escrow key
 *   to Secrets Manager;
 * - escalation permissions are separate documents, attached only when `ESCALATION` asks for them.
 */
import { NAMES, TAGS } from '../core/model.ts';

/** A CloudFormation string value: literal, `Fn::Sub` or `Ref`. */
export type CfnString = string | { readonly 'Fn::Sub': string } | { readonly Ref: string };
type CfnValue = CfnString | { readonly 'Fn::GetAtt': readonly [string, string] };

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: CfnValue | readonly CfnValue[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, CfnValue | readonly CfnValue[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** Names of the template parameters the documents refer to; both templates declare them. */
export const TEMPLATE_PARAMETERS = {
  escrowKmsKeyArn: 'EscrowKmsKeyArn',
  memberRoleName: 'MemberRoleName',
} as const;

/** Logical IDs of the central stack's resources (serverless.yml) that the central document refers to. */
export const CENTRAL_RESOURCES = {
  remediationQueue: 'RemediationQueue',
  deadLetterQueue: 'DeadLetterQueue',
  outcomeTopic: 'OutcomeTopic',
  remediateLogGroup: 'RemediateLogGroup',
  sweepLogGroup: 'SweepLogGroup',
} as const;

const sub = (template: string) => ({ 'Fn::Sub': template }) as const;
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] }) as const;
const ref = (name: string) => ({ Ref: name }) as const;
const document = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
const IAM = 'arn:${AWS::Partition}:iam::${AWS::AccountId}';
/** Every user in the account the role lives in (IAM has no narrower, stable handle on "a user lacking MFA"). */
const USERS = sub(`${IAM}:user/*`);
export const GUARD_POLICY_ARN = sub(`${IAM}:policy${NAMES.guardPolicyPath}${NAMES.guardPolicyName}`);
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
const SECURITY_HUB = sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default');
/** The hub of Security Hub's OCSF generation (`HubV2Arn`); its id is AWS's, hence the `*`. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
const SECURITY_HUB_V2 = sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hubv2/*');
/** Virtual MFA devices the product creates: path `/mfa-remediation/`; the path is part of the device ARN. */
const OWN_DEVICES = sub(`${IAM}:mfa${NAMES.devicePath}*`);
/** Prefix of `escrowSecretName()`; Secrets Manager appends a random suffix to secret ARNs, hence the `*`. */
export const ESCROW_SECRET_PREFIX = 'mfa-remediation/';
const ESCROW_SECRETS = sub(
  `arn:\${AWS::Partition}:secretsmanager:*:\${AWS::AccountId}:secret:${ESCROW_SECRET_PREFIX}*`,
);

/**
 * Per-account permissions: what the worker does to IAM users (and escrow) in the account the role lives in.
 * Held by the central worker's role (for its own account) and by `MfaRemediationMemberRole` in every member.
 */
export const ACCOUNT_POLICY: PolicyDocument = document(
  {
    Sid: 'ReadUserState',
    Effect: 'Allow',
    Action: ['iam:GetLoginProfile', 'iam:ListAttachedUserPolicies', 'iam:ListMFADevices', 'iam:ListUserTags'],
    Resource: USERS,
  },
  {
    // These four actions have no resource type in IAM: "*" is the only Resource IAM accepts for them.
    Sid: 'ReadAccountWide',
    Effect: 'Allow',
    Action: [
      'iam:GenerateCredentialReport',
      'iam:GetCredentialReport',
      'iam:ListUsers',
      'iam:ListVirtualMFADevices',
    ],
    Resource: '*',
  },
  {
    Sid: 'AttachDetachGuardPolicyOnly',
    Effect: 'Allow',
    Action: ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'],
    Resource: USERS,
    Condition: { ArnEquals: { 'iam:PolicyARN': GUARD_POLICY_ARN } },
  },
  {
    Sid: 'ListGuardPolicyAttachments',
    Effect: 'Allow',
    Action: ['iam:ListEntitiesForPolicy'],
    Resource: GUARD_POLICY_ARN,
  },
  {
    // ForAllValues alone is vacuously true for a request without tag keys; the Null check closes that gap.
    Sid: 'TagOwnKeysOnly',
    Effect: 'Allow',
    Action: ['iam:TagUser', 'iam:UntagUser'],
    Resource: USERS,
    Condition: {
      'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAGS.prefix}*`] },
      Null: { 'aws:TagKeys': 'false' },
    },
  },
  {
    Sid: 'EnrolAndResyncMfa',
    Effect: 'Allow',
    Action: ['iam:EnableMFADevice', 'iam:ResyncMFADevice'],
    Resource: USERS,
  },
  {
    Sid: 'ManageOwnVirtualMfaDevices',
    Effect: 'Allow',
    Action: ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice'],
    Resource: OWN_DEVICES,
  },
  {
    // Write-only escrow: the worker stores seeds of custodially enrolled users, and deletes the seed of an
    // enrolment it rolls back, but cannot read a seed back.
    Sid: 'EscrowSeedsWriteOnly',
    Effect: 'Allow',
    Action: [
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:DescribeSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ],
    Resource: ESCROW_SECRETS,
  },
);

/** `ESCALATION=disable-console` and `disable-console-and-keys`: remove the console password. */
export const ESCALATION_CONSOLE_POLICY: PolicyDocument = document({
  Sid: 'EscalationDisableConsole',
  Effect: 'Allow',
  Action: ['iam:DeleteLoginProfile'],
  Resource: USERS,
});

/** `ESCALATION=disable-console-and-keys`: also deactivate (never delete) access keys. */
export const ESCALATION_KEYS_POLICY: PolicyDocument = document({
  Sid: 'EscalationDeactivateAccessKeys',
  Effect: 'Allow',
  Action: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
  Resource: USERS,
});

/**
 * `ESCROW_KMS_KEY_ID` set: Secrets Manager encrypts escrowed seeds under that key on the worker's behalf.
 * Without it, Secrets Manager uses its AWS managed key and no KMS permission is needed.
 */
export const ESCROW_KMS_POLICY: PolicyDocument = document({
  Sid: 'EscrowKeyThroughSecretsManagerOnly',
  Effect: 'Allow',
  Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
  Resource: ref(TEMPLATE_PARAMETERS.escrowKmsKeyArn),
  Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
});

/**
 * Central-only permissions: the worker's own queue, topic, logs, Security Hub, Organizations, and the
 * hop into member accounts. Refers to the central stack's resources by logical ID.
 */
export const CENTRAL_POLICY: PolicyDocument = document(
  {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [
      getAtt(CENTRAL_RESOURCES.remediateLogGroup, 'Arn'),
      getAtt(CENTRAL_RESOURCES.sweepLogGroup, 'Arn'),
    ],
  },
  {
    // The event source mapping polls with the function's role; ChangeMessageVisibility is the slow retry tier.
    Sid: 'ConsumeRemediationQueue',
    Effect: 'Allow',
    Action: [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ],
    Resource: getAtt(CENTRAL_RESOURCES.remediationQueue, 'Arn'),
  },
  {
    // Sweeps enqueue tasks; rejected bodies are parked on the dead-letter queue.
    Sid: 'EnqueueTasksAndParkRejected',
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: [
      getAtt(CENTRAL_RESOURCES.remediationQueue, 'Arn'),
      getAtt(CENTRAL_RESOURCES.deadLetterQueue, 'Arn'),
    ],
  },
  {
    Sid: 'PublishOutcomes',
    Effect: 'Allow',
    Action: ['sns:Publish'],
    Resource: ref(CENTRAL_RESOURCES.outcomeTopic),
  },
  {
    // Findings of member accounts are updated through the administrator account's hub.
    Sid: 'UpdateFindings',
    Effect: 'Allow',
    Action: ['securityhub:BatchUpdateFindings'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default'),
  },
  {
    // Security Hub's OCSF findings (docs/reference.md: Messages, item 7). AWS authorises GetFindingsV2 as
    // securityhub:GetFindings and BatchUpdateFindingsV2 as securityhub:BatchUpdateFindings (there are no V2
    // actions); the hub of the OCSF generation is the `hubv2` resource. GetFindingsV2 checks a finding
    // before any update.
    Sid: 'ReadFindingsV2',
    Effect: 'Allow',
    Action: ['securityhub:GetFindings'],
    Resource: [SECURITY_HUB, SECURITY_HUB_V2],
  },
  {
    // Only what the workflow sets: StatusId 2 (In Progress) or 4 (Resolved) and a comment, never a severity
    // (the securityhub:OCSFSyntaxPath/<field> keys BatchUpdateFindingsV2 documents).
    Sid: 'UpdateFindingsV2StatusOnly',
    Effect: 'Allow',
    Action: ['securityhub:BatchUpdateFindings'],
    Resource: [SECURITY_HUB, SECURITY_HUB_V2],
    Condition: {
      StringEquals: { 'securityhub:OCSFSyntaxPath/StatusId': ['2', '4'] },
      Null: { 'securityhub:OCSFSyntaxPath/SeverityId': 'true' },
    },
  },
  {
    Sid: 'AssumeMemberRoleOnly',
    Effect: 'Allow',
    Action: ['sts:AssumeRole'],
    Resource: sub(`arn:\${AWS::Partition}:iam::*:role/\${${TEMPLATE_PARAMETERS.memberRoleName}}`),
  },
  {
    // organizations:ListAccounts has no resource type; the sweep lists accounts to fan out.
    Sid: 'ListOrganizationAccounts',
    Effect: 'Allow',
    Action: ['organizations:ListAccounts'],
    Resource: '*',
  },
);
