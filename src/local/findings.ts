/**
 * Factories for the messages the remediation queue receives (docs/reference.md: Messages): Security Hub findings (ASFF) and
 * their EventBridge events, Config compliance changes, the product's task messages and SNS envelopes.
 * Shapes follow what AWS actually sends (see `test/fixtures/` for full samples); every factory returns a
 * plain JSON-ready object, and `toBody` turns any of them into an SQS message body.
 */

/** The account the factories use unless told otherwise. */
export const FINDING_ACCOUNT = '111111111111';
/** The region the factories use unless told otherwise. */
export const FINDING_REGION = 'us-east-1';

/** Options of {@link makeFinding}. Every field has a realistic default: a FAILED, NEW, ACTIVE IAM.5 finding. */
export interface FindingOptions {
  /** Security control id of a consolidated finding (`Compliance.SecurityControlId`). Default `IAM.5`. */
  readonly controlId?: string;
  /**
   * A standard-specific GeneratorId (consolidation off), e.g. `cis-aws-foundations-benchmark/v/1.4.0/1.10`.
   * When set, the finding has no `Compliance.SecurityControlId` and no `ProductFields.ControlId`.
   */
  readonly generatorId?: string;
  readonly accountId?: string;
  readonly region?: string;
  /** Default `alice`. */
  readonly userName?: string;
  /** IAM path of the user, e.g. `/dept/`; it appears in the user ARN. Default `/`. */
  readonly userPath?: string;
  /** Include `Details.AwsIamUser` (Security Hub does not always). Default true. */
  readonly withUserDetails?: boolean;
  /** PASSED | WARNING | FAILED | NOT_AVAILABLE. Default FAILED. */
  readonly complianceStatus?: string;
  /** NEW | NOTIFIED | RESOLVED | SUPPRESSED. Default NEW. */
  readonly workflowStatus?: string;
  /** ACTIVE | ARCHIVED. Default ACTIVE. */
  readonly recordState?: string;
  /** Replaces `Resources` entirely (e.g. an `AwsAccount` resource for root controls). */
  readonly resources?: readonly unknown[];
}

/** A deterministic UUID-shaped id, so findings are stable across runs. */
export function fakeUuid(seed: string): string {
  let hash = 0x811c9dc5;
  let hex = '';
  for (let round = 0; hex.length < 32; round++) {
    for (const char of `${seed}#${round}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
    hex += hash.toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The ARN of an IAM user. */
export function userArn(userName: string, accountId = FINDING_ACCOUNT, path = '/'): string {
  return `arn:aws:iam::${accountId}:user${path}${userName}`;
}

/** An `AwsIamUser` resource as Security Hub writes it. */
export function makeUserResource(
  userName = 'alice',
  options: { accountId?: string; region?: string; path?: string; withDetails?: boolean } = {},
): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  const path = options.path ?? '/';
  return {
    Type: 'AwsIamUser',
    Id: userArn(userName, accountId, path),
    Partition: 'aws',
    Region: options.region ?? FINDING_REGION,
    ...(options.withDetails === false
      ? {}
      : {
          Details: {
            AwsIamUser: {
              CreateDate: '2025-02-03T09:15:00.000Z',
              Path: path,
              UserId: `AIDA${fakeUuid(userName).replace(/-/g, '').toUpperCase().slice(0, 17)}`,
              UserName: userName,
            },
          },
        }),
  };
}

/**
 * A Security Hub control finding (ASFF) about an IAM user. `overrides` replace top-level fields after the
 * options are applied, e.g. `makeFinding({}, { AwsAccountId: 'x' })` or `{ Compliance: undefined }`.
 */
export function makeFinding(
  options: FindingOptions = {},
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  const region = options.region ?? FINDING_REGION;
  const userName = options.userName ?? 'alice';
  const controlId = options.controlId ?? 'IAM.5';
  const generatorId = options.generatorId ?? `security-control/${controlId}`;
  const consolidated = options.generatorId === undefined;
  const standard = generatorId.replace(/^arn:aws:securityhub:::ruleset\//, '').replace(/\/rule\//, '/');
  const uuid = fakeUuid(`${accountId}/${generatorId}/${userName}`);
  const finding: Record<string, unknown> = {
    SchemaVersion: '2018-10-08',
    Id: consolidated
      ? `arn:aws:securityhub:${region}:${accountId}:security-control/${controlId}/finding/${uuid}`
      : `arn:aws:securityhub:${region}:${accountId}:subscription/${standard}/finding/${uuid}`,
    ProductArn: `arn:aws:securityhub:${region}::product/aws/securityhub`,
    ProductName: 'Security Hub',
    CompanyName: 'AWS',
    Region: region,
    GeneratorId: generatorId,
    AwsAccountId: accountId,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    FirstObservedAt: '2026-11-20T08:00:00.000Z',
    LastObservedAt: '2026-11-23T08:00:00.000Z',
    CreatedAt: '2026-11-20T08:00:00.000Z',
    UpdatedAt: '2026-11-23T08:00:00.000Z',
    Severity: { Label: 'MEDIUM', Normalized: 40, Original: 'MEDIUM' },
    Title: 'MFA should be enabled for all IAM users that have a console password',
    Description:
      'This AWS control checks whether AWS Multi-Factor Authentication (MFA) is enabled for all AWS IAM users that use a console password.',
    ProductFields: {
      RelatedAWSResourceNames: 'securityhub-mfa-enabled-for-iam-console-access-0d7a2f1c',
      'aws/securityhub/ProductName': 'Security Hub',
      'aws/securityhub/CompanyName': 'AWS',
      'Resources:0/Id': userArn(userName, accountId, options.userPath),
    },
    Resources: options.resources ?? [
      makeUserResource(userName, {
        accountId,
        region,
        ...(options.userPath ? { path: options.userPath } : {}),
        ...(options.withUserDetails === undefined ? {} : { withDetails: options.withUserDetails }),
      }),
    ],
    Compliance: {
      Status: options.complianceStatus ?? 'FAILED',
      ...(consolidated
        ? {
            SecurityControlId: controlId,
            AssociatedStandards: [
              { StandardsId: 'standards/aws-foundational-security-best-practices/v/1.0.0' },
            ],
          }
        : {}),
    },
    WorkflowState: 'NEW',
    Workflow: { Status: options.workflowStatus ?? 'NEW' },
    RecordState: options.recordState ?? 'ACTIVE',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete finding[key];
    else finding[key] = value;
  }
  return finding;
}

/** Options of {@link makeSecurityHubEvent}. */
export interface SecurityHubEventOptions {
  /** `imported` (default) or `custom-action`. */
  readonly kind?: 'imported' | 'custom-action';
  /** The account the event is delivered in (the administrator account with aggregation). */
  readonly account?: string;
  readonly region?: string;
}

/** An EventBridge "Security Hub Findings - Imported" (or "- Custom Action") event carrying `findings`. */
export function makeSecurityHubEvent(
  findings: readonly unknown[],
  options: SecurityHubEventOptions = {},
): Record<string, unknown> {
  const region = options.region ?? FINDING_REGION;
  const account = options.account ?? FINDING_ACCOUNT;
  const custom = options.kind === 'custom-action';
  return {
    version: '0',
    id: fakeUuid(`event/${findings.length}/${custom}`),
    'detail-type': custom ? 'Security Hub Findings - Custom Action' : 'Security Hub Findings - Imported',
    source: 'aws.securityhub',
    account,
    time: '2026-11-23T08:00:05Z',
    region,
    resources: custom
      ? [`arn:aws:securityhub:${region}:${account}:action/custom/RemediateMfa`]
      : findings.map((f) => (typeof f === 'object' && f !== null ? (f as { Id?: unknown }).Id : undefined)),
    detail: custom
      ? { actionName: 'RemediateMfa', actionDescription: 'Remediate missing MFA', findings }
      : { findings },
  };
}

/** Options of {@link makeConfigEvent}. */
export interface ConfigEventOptions {
  /** COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE | INSUFFICIENT_DATA. Default NON_COMPLIANT. */
  readonly complianceType?: string;
  /** Default `AWS::IAM::User`. */
  readonly resourceType?: string;
  /** The user's unique id. Default `AIDAQXAMPLEUSER000001` (21 characters, like IAM's). */
  readonly resourceId?: string;
  readonly accountId?: string;
  readonly region?: string;
  /** Default Security Hub's deployment of `mfa-enabled-for-iam-console-access`. */
  readonly configRuleName?: string;
}

/** The default user id of {@link makeConfigEvent}. */
export const CONFIG_USER_ID = 'AIDAQXAMPLEUSER000001';

/** The `detail` of a Config "Config Rules Compliance Change" event (also a bare Config SNS notification). */
export function makeConfigDetail(options: ConfigEventOptions = {}): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  const region = options.region ?? FINDING_REGION;
  const ruleName = options.configRuleName ?? 'securityhub-mfa-enabled-for-iam-console-access-0d7a2f1c';
  const resourceType = options.resourceType ?? 'AWS::IAM::User';
  const resourceId = options.resourceId ?? CONFIG_USER_ID;
  const complianceType = options.complianceType ?? 'NON_COMPLIANT';
  const qualifier = { configRuleName: ruleName, resourceType, resourceId, evaluationMode: 'DETECTIVE' };
  return {
    resourceId,
    awsRegion: region,
    awsAccountId: accountId,
    configRuleName: ruleName,
    recordVersion: '1.0',
    messageType: 'ComplianceChangeNotification',
    configRuleARN: `arn:aws:config:${region}:${accountId}:config-rule/config-rule-${fakeUuid(ruleName).slice(0, 6)}`,
    notificationCreationTime: '2026-11-23T08:00:03.000Z',
    resourceType,
    newEvaluationResult: {
      evaluationResultIdentifier: {
        evaluationResultQualifier: qualifier,
        orderingTimestamp: '2026-11-23T08:00:00.000Z',
      },
      complianceType,
      resultRecordedTime: '2026-11-23T08:00:02.000Z',
      configRuleInvokedTime: '2026-11-23T08:00:01.000Z',
    },
    oldEvaluationResult: {
      evaluationResultIdentifier: {
        evaluationResultQualifier: qualifier,
        orderingTimestamp: '2026-11-22T08:00:00.000Z',
      },
      complianceType: complianceType === 'COMPLIANT' ? 'NON_COMPLIANT' : 'COMPLIANT',
      resultRecordedTime: '2026-11-22T08:00:02.000Z',
      configRuleInvokedTime: '2026-11-22T08:00:01.000Z',
    },
  };
}

/** An EventBridge "Config Rules Compliance Change" event. */
export function makeConfigEvent(options: ConfigEventOptions = {}): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  const region = options.region ?? FINDING_REGION;
  return {
    version: '0',
    id: fakeUuid(`config/${options.complianceType}/${options.resourceId}`),
    'detail-type': 'Config Rules Compliance Change',
    source: 'aws.config',
    account: accountId,
    time: '2026-11-23T08:00:03Z',
    region,
    resources: [],
    detail: makeConfigDetail(options),
  };
}

/** Valid task messages of each type (docs/reference.md: Messages), with `overrides` applied; `undefined` removes a field. */
export function makeTask(
  type: 'mfa-missing' | 'verify' | 'enrollment-codes' | 'resync-codes' | 'sweep-account' | (string & {}),
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const base: Record<string, Record<string, unknown>> = {
    'mfa-missing': {
      accountId: FINDING_ACCOUNT,
      userName: 'alice',
      source: 'sweep',
      sweepId: 'sweep-2026-11-23',
    },
    verify: { accountId: FINDING_ACCOUNT, userName: 'alice' },
    'enrollment-codes': {
      accountId: FINDING_ACCOUNT,
      userName: 'alice',
      serialNumber: `arn:aws:iam::${FINDING_ACCOUNT}:mfa/mfa-remediation/alice`,
      code1: '123456',
      code2: '654321',
      requestId: 'req-1',
    },
    'resync-codes': {
      accountId: FINDING_ACCOUNT,
      userName: 'alice',
      serialNumber: `arn:aws:iam::${FINDING_ACCOUNT}:mfa/mfa-remediation/alice`,
      code1: '111222',
      code2: '333444',
    },
    'sweep-account': { accountId: FINDING_ACCOUNT, sweepId: 'sweep-2026-11-23', scope: 'all-users' },
  };
  const task: Record<string, unknown> = { type, ...(base[type] ?? {}) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete task[key];
    else task[key] = value;
  }
  return task;
}

/** An SNS notification envelope (no raw message delivery) around `payload` (an object, or a string as is). */
export function wrapInSns(
  payload: unknown,
  topicArn = `arn:aws:sns:${FINDING_REGION}:${FINDING_ACCOUNT}:findings`,
) {
  return {
    Type: 'Notification',
    MessageId: fakeUuid(`sns/${JSON.stringify(payload)}`),
    TopicArn: topicArn,
    Message: typeof payload === 'string' ? payload : JSON.stringify(payload),
    Timestamp: '2026-11-23T08:00:06.000Z',
    SignatureVersion: '1',
    Signature:
      'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
    SigningCertURL:
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: `https://sns.${FINDING_REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${fakeUuid(topicArn)}`,
  };
}

/** An SQS message body: JSON text of `value`, or `value` itself when it is already a string. */
export function toBody(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
