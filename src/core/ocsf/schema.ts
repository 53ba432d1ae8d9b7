/**
 * The subset of OCSF (Open Cybersecurity Schema Framework) that AWS Security Hub — the OCSF generation; the
 * ASFF one is now Security Hub CSPM — writes into its findings and "Findings Imported V2" events, as far as
 * intake and finding verification read it (docs/reference.md: Messages, item 7).
 *
 * Objects are `looseObject`: an OCSF finding has hundreds of optional attributes and Security Hub adds more,
 * so only what we use is validated. Bounds: AWS documents none for these attributes in Security Hub's OCSF
 * findings, so identifiers take the ASFF limits of the same identifiers (`Id` and `ProductArn`: 512
 * characters; CSPM control findings carry their ASFF `Id` as `finding_info.uid`) and resources the ASFF limit
 * of 32 per finding; AWS's own limits (12-digit account ids, IAM user names, region syntax) are exact.
 */
import * as z from 'zod';
import { AccountId } from '../model.ts';

/** EventBridge `detail-type` of Security Hub's OCSF findings (AWS: "Each event sends a single finding"). */
export const FINDINGS_IMPORTED_V2 = 'Findings Imported V2';

/**
 * `metadata.product.uid` of Security Hub's own control findings in this generation:
 * `arn:aws:securityhub:<region>::productv2/aws/securityhub`, as AWS's sample findings write it (the
 * contributing control findings of "Sample exposure finding" in the Security Hub user guide). Not ASFF's
 * `product/aws/securityhub`; and Security Hub's other producers (`productv2/aws/securityhub-risk`,
 * `…-coverage`) and integrated products (`productv2/aws/inspector`, a partner's) are not control checks.
 */
export const SECURITY_HUB_PRODUCT_V2 = /^arn:aws[\w-]*:securityhub:[\w-]+::productv2\/aws\/securityhub$/;

/** OCSF class `Compliance Finding`: what Security Hub control checks produce. */
export const COMPLIANCE_FINDING_CLASS = 2003;

/** OCSF finding `status_id` (the workflow a person or BatchUpdateFindingsV2 sets). */
export const STATUS_ID = {
  unknown: 0,
  new: 1,
  inProgress: 2,
  suppressed: 3,
  resolved: 4,
  archived: 5,
  other: 99,
} as const;

/** Captions of `status_id`, as OCSF defines them; BatchUpdateFindingsV2 sets `status` from `StatusId`. */
export const STATUS_CAPTIONS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'New',
  2: 'In Progress',
  3: 'Suppressed',
  4: 'Resolved',
  5: 'Archived',
  99: 'Other',
};

/** OCSF `compliance.status_id`: the result of the control check. */
export const COMPLIANCE_STATUS_ID = { unknown: 0, pass: 1, warning: 2, fail: 3, other: 99 } as const;

const COMPLIANCE_CAPTIONS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Pass',
  2: 'Warning',
  3: 'Fail',
  99: 'Other',
};

/**
 * OCSF `activity_id` 3 (`Close`): Security Hub "considers findings with activity_name != Close as active
 * findings" — a closed finding is what ASFF calls an ARCHIVED record.
 */
export const CLOSE_ACTIVITY_ID = 3;

/** Resource `type`s of an IAM user: the ASFF name Security Hub keeps, and the CloudFormation one. */
export const IAM_USER_RESOURCE_TYPES: ReadonlySet<string> = new Set(['AwsIamUser', 'AWS::IAM::User']);

/** ASFF's `Id` / `ProductArn` limit, applied to the OCSF identifiers of the same findings. */
export const MAX_IDENTIFIER = 512;
/** IAM's limit on an ARN. */
export const MAX_ARN = 2048;
/** ASFF's limit on `Resources`. */
export const MAX_RESOURCES = 32;

/** `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-central-2`: a region goes into an SDK endpoint, so check it. */
export const Region = z
  .string()
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, 'must be an AWS region name such as us-east-1');

const Identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_IDENTIFIER, `must be at most ${MAX_IDENTIFIER} characters`)
  .regex(/\S/, 'must not be blank');

const IsoTime = z.iso.datetime({ offset: true });

/** One `resources[]` entry, read only when the finding is an MFA control finding. */
export const OcsfResource = z.looseObject({
  type: z.string(),
  uid: z.string().min(1).max(MAX_ARN, `must be at most ${MAX_ARN} characters`).optional(),
  uid_alt: z.string().max(MAX_ARN, `must be at most ${MAX_ARN} characters`).optional(),
  name: z.string().max(MAX_ARN, `must be at most ${MAX_ARN} characters`).optional(),
  region: Region.optional(),
  owner: z.looseObject({ account: z.looseObject({ uid: z.string().optional() }).optional() }).optional(),
});
export type OcsfResource = z.infer<typeof OcsfResource>;

/**
 * The finding attributes intake and verification read. `metadata.uid`, `finding_info.uid`,
 * `metadata.product.uid` and `cloud.account.uid` are what BatchUpdateFindingsV2 identifies a finding by, so
 * every Security Hub finding has them. `resources` stays `unknown[]`: it is validated only for MFA controls.
 */
export const OcsfFinding = z.looseObject({
  class_uid: z.number('must be a number').int('must be an integer'),
  class_name: z.string().optional(),
  activity_id: z.number().int().optional(),
  activity_name: z.string().optional(),
  status_id: z.number().int().optional(),
  status: z.string().optional(),
  metadata: z.looseObject({
    uid: Identifier,
    product: z.looseObject({ uid: Identifier, name: z.string().optional() }),
    version: z.string().optional(),
  }),
  finding_info: z.looseObject({
    uid: Identifier,
    title: z.string().optional(),
    created_time_dt: z.string().optional(),
    first_seen_time_dt: z.string().optional(),
    modified_time_dt: z.string().optional(),
  }),
  cloud: z.looseObject({
    account: z.looseObject({ uid: AccountId }),
    region: Region.optional(),
    provider: z.string().optional(),
  }),
  compliance: z
    .looseObject({
      /** The security control id (`IAM.5`), as GetFindingsV2 filters it (`compliance.control`). */
      control: z.string().max(MAX_IDENTIFIER, `must be at most ${MAX_IDENTIFIER} characters`).optional(),
      status_id: z.number().int().optional(),
      status: z.string().optional(),
      standards: z.array(z.string()).optional(),
    })
    .optional(),
  resources: z
    .array(z.unknown(), 'must be an array of resources')
    .max(MAX_RESOURCES, `must have at most ${MAX_RESOURCES} resources`)
    .optional(),
});
export type OcsfFinding = z.infer<typeof OcsfFinding>;

/** `detail` of a "Findings Imported V2" event. */
export const OcsfEventDetail = z.looseObject({
  findings: z.array(z.unknown(), 'must be an array of OCSF findings'),
});

/** True when a JSON object looks like a bare OCSF finding rather than ASFF, an envelope or a task. */
export function isOcsfFinding(value: Record<string, unknown>): boolean {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return 'class_uid' in value || (isObject(value.metadata) && isObject(value.finding_info));
}

/** `status_id`, or the id of the `status` caption when only that is given; undefined when neither is. */
export function statusIdOf(finding: Pick<OcsfFinding, 'status_id' | 'status'>): number | undefined {
  return finding.status_id ?? captionId(STATUS_CAPTIONS, finding.status);
}

/** `compliance.status_id`, or the id of its caption (`Fail`; Security Hub CSPM's `FAILED` is read too). */
export function complianceStatusIdOf(finding: Pick<OcsfFinding, 'compliance'>): number | undefined {
  const compliance = finding.compliance;
  if (!compliance) return undefined;
  if (compliance.status_id !== undefined) return compliance.status_id;
  const caption = compliance.status?.toLowerCase();
  const asff: Readonly<Record<string, number>> = { passed: 1, failed: 3 };
  return caption !== undefined && caption in asff ? asff[caption] : captionId(COMPLIANCE_CAPTIONS, caption);
}

/** Whether Security Hub has closed the finding (OCSF's archived record). */
export function isClosed(
  finding: Pick<OcsfFinding, 'activity_id' | 'activity_name' | 'status_id' | 'status'>,
): boolean {
  return (
    finding.activity_id === CLOSE_ACTIVITY_ID ||
    (finding.activity_id === undefined && finding.activity_name?.toLowerCase() === 'close') ||
    statusIdOf(finding) === STATUS_ID.archived
  );
}

/** `N (Caption)` for reasons, e.g. `3 (Fail)`. */
export function describeStatusId(id: number, kind: 'status' | 'compliance'): string {
  const caption = (kind === 'status' ? STATUS_CAPTIONS : COMPLIANCE_CAPTIONS)[id];
  return caption ? `${id} (${caption})` : String(id);
}

/**
 * The ASFF workflow status an OCSF `status_id` corresponds to, so both generations share one vocabulary in
 * work items and verification: New/Unknown/Other → NEW, In Progress → NOTIFIED (what this product sets when
 * it contains a user), Suppressed, Resolved; Archived is a record state, not a workflow (see `isClosed`).
 */
export function workflowStatusOf(
  statusId: number | undefined,
): 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED' {
  if (statusId === STATUS_ID.inProgress) return 'NOTIFIED';
  if (statusId === STATUS_ID.suppressed) return 'SUPPRESSED';
  if (statusId === STATUS_ID.resolved || statusId === STATUS_ID.archived) return 'RESOLVED';
  return 'NEW';
}

/** The BatchUpdateFindingsV2 `StatusId` of a workflow status this product sets. */
export function statusIdFor(status: 'NOTIFIED' | 'RESOLVED'): number {
  return status === 'NOTIFIED' ? STATUS_ID.inProgress : STATUS_ID.resolved;
}

/** The first ISO-8601 time among `first_seen_time_dt` and `created_time_dt`: when the problem was seen. */
export function detectedAtOf(finding: OcsfFinding): string | undefined {
  const info = finding.finding_info;
  return [info.first_seen_time_dt, info.created_time_dt].find((t) => IsoTime.safeParse(t).success);
}

function captionId(
  captions: Readonly<Record<number, string>>,
  caption: string | undefined,
): number | undefined {
  if (caption === undefined) return undefined;
  const wanted = caption.toLowerCase();
  const entry = Object.entries(captions).find(([, text]) => text.toLowerCase() === wanted);
  return entry ? Number(entry[0]) : undefined;
}
