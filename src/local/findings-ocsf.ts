/**
 * Factories for AWS Security Hub's OCSF findings (the generation after Security Hub CSPM) and their
 * "Findings Imported V2" EventBridge events (docs/reference.md: Messages, item 7). The envelope is the one
 * AWS documents ("EventBridge event formats" in the Security Hub user guide: one finding per event); the
 * finding is an OCSF Compliance Finding (`class_uid` 2003) with the attributes Security Hub writes for a
 * control finding of an IAM user. See `test/fixtures/securityhub-v2-*.json` for full samples.
 */
import { FINDING_ACCOUNT, FINDING_REGION, fakeUuid, userArn } from './findings.ts';

/** Options of {@link makeOcsfFinding}: a failed, New, open IAM.5 finding about `alice` unless told otherwise. */
export interface OcsfFindingOptions {
  /** `compliance.control`. Default `IAM.5`. */
  readonly controlId?: string;
  /**
   * A standard-specific control (consolidated control findings off), as the CSPM GeneratorId names it, e.g.
   * `cis-aws-foundations-benchmark/v/1.4.0/1.10`: then `finding_info.uid` is a `subscription/…` ARN and
   * `compliance.control` the standard's own number.
   */
  readonly standardControl?: string;
  readonly accountId?: string;
  readonly region?: string;
  /** Default `alice`. */
  readonly userName?: string;
  /** IAM path of the user, e.g. `/dept/`; it appears in the user ARN. Default `/`. */
  readonly userPath?: string;
  /** `resources[].type`. Default `AWS::IAM::User`; Security Hub also writes the ASFF name `AwsIamUser`. */
  readonly resourceType?: string;
  /** `compliance.status_id`: 1 Pass, 2 Warning, 3 Fail. Default 3. */
  readonly complianceStatusId?: number;
  /** `status_id`: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived. Default 1. */
  readonly statusId?: number;
  /** `activity_id`: 1 Create, 2 Update, 3 Close. Default 1. */
  readonly activityId?: number;
  /** Replaces `resources` entirely. */
  readonly resources?: readonly unknown[];
}

const STATUS = ['Unknown', 'New', 'In Progress', 'Suppressed', 'Resolved', 'Archived'];
const COMPLIANCE = ['Unknown', 'Pass', 'Warning', 'Fail'];
const ACTIVITY = ['Unknown', 'Create', 'Update', 'Close'];
const caption = (list: readonly string[], id: number) => list[id] ?? 'Other';

/** An OCSF `resources[]` entry for an IAM user, as Security Hub writes it. */
export function makeOcsfUserResource(
  userName = 'alice',
  options: { accountId?: string; region?: string; path?: string; type?: string } = {},
): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  return {
    type: options.type ?? 'AWS::IAM::User',
    uid: userArn(userName, accountId, options.path ?? '/'),
    name: userName,
    region: options.region ?? FINDING_REGION,
    cloud_partition: 'aws',
    owner: { account: { uid: accountId } },
  };
}

/**
 * A Security Hub OCSF Compliance Finding about an IAM user. `overrides` replace top-level attributes after the
 * options are applied; `undefined` removes one (e.g. `{ compliance: undefined }`).
 */
export function makeOcsfFinding(
  options: OcsfFindingOptions = {},
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const accountId = options.accountId ?? FINDING_ACCOUNT;
  const region = options.region ?? FINDING_REGION;
  const userName = options.userName ?? 'alice';
  const controlId = options.controlId ?? 'IAM.5';
  const statusId = options.statusId ?? 1;
  const complianceStatusId = options.complianceStatusId ?? 3;
  const activityId = options.activityId ?? 1;
  const standard = options.standardControl;
  const generator = standard ?? `security-control/${controlId}`;
  const uuid = fakeUuid(`ocsf/${accountId}/${generator}/${userName}`);
  // Security Hub's metadata.uid is an opaque 64-character hex id (the EventBridge sample's `resources`).
  const metadataUid = `${uuid}${fakeUuid(uuid)}`.replace(/-/g, '');
  const findingInfoUid = standard
    ? `arn:aws:securityhub:${region}:${accountId}:subscription/${standard}/finding/${uuid}`
    : `arn:aws:securityhub:${region}:${accountId}:security-control/${controlId}/finding/${uuid}`;
  const finding: Record<string, unknown> = {
    activity_id: activityId,
    activity_name: caption(ACTIVITY, activityId),
    category_name: 'Findings',
    category_uid: 2,
    class_name: 'Compliance Finding',
    class_uid: 2003,
    type_uid: 200300 + activityId,
    type_name: `Compliance Finding: ${caption(ACTIVITY, activityId)}`,
    severity: 'Medium',
    severity_id: 3,
    status: caption(STATUS, statusId),
    status_id: statusId,
    time: Date.parse('2026-11-23T08:00:00.000Z'),
    time_dt: '2026-11-23T08:00:00.000Z',
    cloud: { account: { uid: accountId, type: 'AWS Account', type_id: 10 }, provider: 'AWS', region },
    compliance: {
      control: standard ? (standard.split('/').pop() as string) : controlId,
      status: caption(COMPLIANCE, complianceStatusId),
      status_id: complianceStatusId,
      standards: [
        standard
          ? `standards/${standard.split('/').slice(0, 3).join('/')}`
          : 'standards/aws-foundational-security-best-practices/v/1.0.0',
      ],
    },
    finding_info: {
      uid: findingInfoUid,
      title: 'MFA should be enabled for all IAM users that have a console password',
      desc: 'This AWS control checks whether AWS Multi-Factor Authentication (MFA) is enabled for all AWS IAM users that use a console password.',
      types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      created_time_dt: '2026-11-20T08:00:00.000Z',
      first_seen_time_dt: '2026-11-20T08:00:00.000Z',
      last_seen_time_dt: '2026-11-23T08:00:00.000Z',
      modified_time_dt: '2026-11-23T08:00:00.000Z',
    },
    metadata: {
      uid: metadataUid,
      product: {
        name: 'Security Hub',
        vendor_name: 'AWS',
        uid: `arn:aws:securityhub:${region}::productv2/aws/securityhub`,
      },
      version: '1.6.0',
      profiles: ['cloud', 'datetime'],
    },
    remediation: {
      desc: 'For information on how to correct this issue, consult the AWS Security Hub controls documentation.',
      references: [`https://docs.aws.amazon.com/console/securityhub/${controlId}/remediation`],
    },
    resources: options.resources ?? [
      makeOcsfUserResource(userName, {
        accountId,
        region,
        ...(options.userPath ? { path: options.userPath } : {}),
        ...(options.resourceType ? { type: options.resourceType } : {}),
      }),
    ],
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete finding[key];
    else finding[key] = value;
  }
  return finding;
}

/** A "Findings Imported V2" event (AWS sends one finding per event; more are allowed for tests). */
export function makeOcsfEvent(
  findings: readonly unknown[],
  options: { account?: string; region?: string } = {},
): Record<string, unknown> {
  return {
    version: '0',
    id: fakeUuid(`ocsf-event/${JSON.stringify(findings).length}`),
    'detail-type': 'Findings Imported V2',
    source: 'aws.securityhub',
    account: options.account ?? FINDING_ACCOUNT,
    time: '2026-11-23T08:00:05Z',
    region: options.region ?? FINDING_REGION,
    resources: findings.map((f) => {
      const metadata =
        typeof f === 'object' && f !== null ? (f as { metadata?: { uid?: unknown } }).metadata : undefined;
      return metadata?.uid;
    }),
    detail: { findings },
  };
}
