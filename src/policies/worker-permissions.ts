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
/** A CloudFormation value in a policy: a string, an attribute, or one of two values by a stack condition. */
export type CfnValue =
  | CfnString
  | { readonly 'Fn::GetAtt': readonly [string, string] }
  | { readonly 'Fn::If': readonly [string, CfnValue | readonly CfnValue[], CfnValue | readonly CfnValue[]] }
  | { readonly 'Fn::Split': readonly [string, CfnValue] }
  | { readonly 'Fn::Select': readonly [number, CfnValue] }
  | { readonly 'Fn::Join': readonly [string, readonly CfnValue[]] };

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  /** Resource policies (queue and key policies) name who the statement is about. */
  readonly Principal?: '*' | { readonly Service: string } | { readonly AWS: CfnValue };
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
  /** Central stack only: the NOTIFY_FROM address (empty = notifications off, no SES permission). */
  notifyFrom: 'NotifyFrom',
} as const;

/** Template parameters and conditions of the central stack (serverless.yml) only. */
export const CENTRAL_PARAMETERS = {
  /** Comma-separated role or user ARNs, besides the stack's own, that may send to the queue. */
  submitterPrincipals: 'SubmitterPrincipals',
  /** A KMS key ARN for the queues and the topic; empty = the stack's own key (`MessageKey`). */
  kmsKeyArn: 'KmsKeyArn',
} as const;
export const CENTRAL_CONDITIONS = {
  hasSubmitters: 'HasSubmitters',
  hasKmsKey: 'HasKmsKey',
  configRuleEnabled: 'ConfigRuleEnabled',
  securityHubV2RuleEnabled: 'SecurityHubV2RuleEnabled',
  customActionEnabled: 'CustomActionEnabled',
} as const;

/** Logical IDs of the central stack's resources (serverless.yml) that the central document refers to. */
export const CENTRAL_RESOURCES = {
  remediationQueue: 'RemediationQueue',
  deadLetterQueue: 'DeadLetterQueue',
  outcomeTopic: 'OutcomeTopic',
  remediateLogGroup: 'RemediateLogGroup',
  sweepLogGroup: 'SweepLogGroup',
  workerRole: 'WorkerRole',
  sweepRole: 'SweepRole',
  messageKey: 'MessageKey',
  securityHubFindingsRule: 'SecurityHubFindingsRule',
  securityHubV2FindingsRule: 'SecurityHubV2FindingsRule',
  configComplianceRule: 'ConfigComplianceRule',
  securityHubCustomActionRule: 'SecurityHubCustomActionRule',
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
/**
 * The worker account's hubs, in every Region: Security Hub CSPM's `hub/default` and the new Security Hub's
 * `hubv2/<id>` (`HubV2Arn`; its id is AWS's, hence the `*`).
 */
const SECURITY_HUBS = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
  sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
  sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hubv2/*'),
];
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
    // GetUser checks that a cached Config user id still belongs to the user of that name.
    Sid: 'ReadUserState',
    Effect: 'Allow',
    Action: [
      'iam:GetLoginProfile',
      'iam:GetUser',
      'iam:ListAttachedUserPolicies',
      'iam:ListMFADevices',
      'iam:ListUserTags',
    ],
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

/** The key that encrypts the queues and the topic: the one given (`KmsKeyArn`), else the stack's own. */
export const MESSAGE_KEY_ARN: CfnValue = {
  'Fn::If': [
    CENTRAL_CONDITIONS.hasKmsKey,
    ref(CENTRAL_PARAMETERS.kmsKeyArn),
    getAtt(CENTRAL_RESOURCES.messageKey, 'Arn'),
  ],
};

/**
 * Central-only permissions of the remediation worker: its own queue, topic, logs, Security Hub, and the key
 * the queues and topic are encrypted with. Refers to the central stack's resources by logical ID.
 */
export const CENTRAL_POLICY: PolicyDocument = document(
  {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: getAtt(CENTRAL_RESOURCES.remediateLogGroup, 'Arn'),
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
    // Account sweeps enqueue tasks, and the unfinished part of a record goes back on the queue; rejected
    // bodies are parked on the dead-letter queue, whose size limit is read first (GetQueueAttributes).
    Sid: 'EnqueueTasksAndParkRejected',
    Effect: 'Allow',
    Action: ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
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
    // Findings of member accounts are read and updated through the administrator account's hub. A finding is
    // read to verify what a message claims about it before it is updated: GetFindings (ASFF) and
    // GetFindingsV2 (OCSF) are both authorised as securityhub:GetFindings, there is no V2 action. The service
    // reference lists `hub` and `hubv2` as resource types of both actions without saying which a call is
    // checked against, so every statement here names both; the conditions below keep the generations apart.
    Sid: 'VerifyFindings',
    Effect: 'Allow',
    Action: ['securityhub:GetFindings'],
    Resource: SECURITY_HUBS,
  },
  {
    // BatchUpdateFindings (ASFF): only what the workflow sets, Workflow.Status NOTIFIED or RESOLVED (never
    // SUPPRESSED: a suppressed MFA finding is one nobody looks at), with a note, and never a severity. A V2
    // call has no ASFF field, so this statement never allows one.
    Sid: 'UpdateFindingsToNotifiedOrResolvedOnly',
    Effect: 'Allow',
    Action: ['securityhub:BatchUpdateFindings'],
    Resource: SECURITY_HUBS,
    Condition: {
      StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['NOTIFIED', 'RESOLVED'] },
      Null: {
        'securityhub:ASFFSyntaxPath/Severity.Label': 'true',
        'securityhub:ASFFSyntaxPath/Severity.Normalized': 'true',
      },
    },
  },
  {
    // BatchUpdateFindingsV2 (OCSF), authorised as securityhub:BatchUpdateFindings: StatusId 2 (In Progress)
    // or 4 (Resolved) with a comment, never a SeverityId — all the call can set besides the comment
    // (securityhub:OCSFSyntaxPath/<field>, as BatchUpdateFindingsV2 documents).
    Sid: 'UpdateFindingsV2ToInProgressOrResolvedOnly',
    Effect: 'Allow',
    Action: ['securityhub:BatchUpdateFindings'],
    Resource: SECURITY_HUBS,
    Condition: {
      StringEquals: { 'securityhub:OCSFSyntaxPath/StatusId': ['2', '4'] },
      Null: { 'securityhub:OCSFSyntaxPath/SeverityId': 'true' },
    },
  },
  messageKeyStatement(['kms:Decrypt', 'kms:GenerateDataKey'], ['sqs', 'sns']),
);

/**
 * `NOTIFY_FROM` set (central stack only): send person notifications, and only from that address. SES
 * authorises SendEmail against the sending identity — the address itself, or its domain when the domain is
 * the verified identity — so both identity ARNs are named, and `ses:FromAddress` pins the From address within
 * them. In the SES sandbox, AWS also checks the (verified) recipients' identities; that is not granted here:
 * a deployment that notifies people needs SES production access anyway.
 */
export const NOTIFY_POLICY: PolicyDocument = document({
  Sid: 'SendNotificationsFromNotifyFromOnly',
  Effect: 'Allow',
  Action: ['ses:SendEmail'],
  Resource: [
    sub(
      `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/\${${TEMPLATE_PARAMETERS.notifyFrom}}`,
    ),
    {
      'Fn::Join': [
        '',
        [
          'arn:',
          ref('AWS::Partition'),
          ':ses:',
          ref('AWS::Region'),
          ':',
          ref('AWS::AccountId'),
          ':identity/',
          { 'Fn::Select': [1, { 'Fn::Split': ['@', ref(TEMPLATE_PARAMETERS.notifyFrom)] }] },
        ],
      ],
    },
  ],
  Condition: { StringEquals: { 'ses:FromAddress': ref(TEMPLATE_PARAMETERS.notifyFrom) } },
});

/**
 * Cross-account deployments only (`allowedAccounts` or `sweepAccounts` set): the hop into member accounts,
 * into the member role only, and only in accounts of the worker's own organisation (`aws:ResourceOrgID` is
 * the organisation of the account that owns the role). A single-account stack holds no sts:AssumeRole.
 */
export const MEMBER_ACCESS_POLICY: PolicyDocument = document({
  Sid: 'AssumeMemberRoleInOwnOrganizationOnly',
  Effect: 'Allow',
  Action: ['sts:AssumeRole'],
  Resource: sub(`arn:\${AWS::Partition}:iam::*:role/\${${TEMPLATE_PARAMETERS.memberRoleName}}`),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, escaped for Fn::Sub
  Condition: { StringEquals: { 'aws:ResourceOrgID': sub('${!aws:PrincipalOrgID}') } },
});

/**
 * The scheduled sweep function's own role. It plans the accounts and enqueues one `sweep-account` task per
 * account; it reads and writes nothing in IAM (the worker sweeps each account), so it holds no IAM action.
 */
export const SWEEP_POLICY: PolicyDocument = document(
  {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: getAtt(CENTRAL_RESOURCES.sweepLogGroup, 'Arn'),
  },
  {
    Sid: 'EnqueueSweepTasks',
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: getAtt(CENTRAL_RESOURCES.remediationQueue, 'Arn'),
  },
  messageKeyStatement(['kms:Decrypt', 'kms:GenerateDataKey'], ['sqs']),
);

/** `SWEEP_ACCOUNTS=organization`: the sweep lists the organisation's accounts (no resource type in IAM). */
export const SWEEP_ORGANIZATION_POLICY: PolicyDocument = document({
  Sid: 'ListOrganizationAccounts',
  Effect: 'Allow',
  Action: ['organizations:ListAccounts'],
  Resource: '*',
});

/**
 * Use of the queues' and topic's key, only through those services: SQS asks KMS for a data key on a send
 * and to decrypt it on a receive, SNS likewise on a publish (SQS and SNS "server-side encryption" pages).
 */
function messageKeyStatement(actions: string[], services: string[]): PolicyStatement {
  return {
    Sid: 'UseMessageKeyThroughSqsAndSnsOnly',
    Effect: 'Allow',
    Action: actions,
    Resource: MESSAGE_KEY_ARN,
    Condition: {
      StringEquals: {
        'kms:ViaService': services.map((service) => sub(`${service}.\${AWS::Region}.amazonaws.com`)),
      },
    },
  };
}
