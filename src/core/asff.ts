/**
 * The subset of the AWS Security Finding Format (ASFF) and of the EventBridge envelopes that intake reads.
 *
 * Objects are `looseObject`: ASFF has hundreds of optional fields and AWS adds more without notice, so we
 * validate what we use and let the rest through. Envelopes keep `findings` as `unknown[]` so that each
 * finding is validated on its own: one bad finding must not reject its neighbours.
 */
import * as z from 'zod';
import { AccountId } from './model.ts';

/**
 * The lengths ASFF itself allows (AwsSecurityFinding and Resource in the Security Hub API reference).
 * Everything a finding may copy into an outcome is bounded by them, so that no message — one 300 KB `Id` —
 * can make an outcome too large for SNS to publish. `resourceId` has no documented limit: 2048 is the
 * longest ARN IAM accepts (a user ARN with the longest path and name is about 620).
 */
export const ASFF_LIMITS = {
  id: 512,
  productArn: 2048,
  generatorId: 512,
  region: 16,
  resourceType: 256,
  resourceId: 2048,
  resources: 32,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  /** Undocumented; security control ids are short (`CloudTrail.10`), statuses shorter. */
  shortField: 128,
  /** IAM: a user path is at most 512 characters, a user id at most 128. */
  userPath: 512,
  userId: 128,
} as const;

const bounded = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const short = bounded(ASFF_LIMITS.shortField);

/** EventBridge `source` and `detail-type` values intake understands. */
export const EVENT_TYPES = {
  securityHubSource: 'aws.securityhub',
  findingsImported: 'Security Hub Findings - Imported',
  customAction: 'Security Hub Findings - Custom Action',
  configSource: 'aws.config',
  complianceChange: 'Config Rules Compliance Change',
} as const;

/** Security Hub sends at most 100 findings per event; anything larger did not come from it. */
export const MAX_FINDINGS_PER_MESSAGE = 100;

/** The EventBridge envelope common to every AWS event. */
export const EventBridgeEnvelope = z.looseObject({
  version: z.string().optional(),
  id: z.string().optional(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().optional(),
  time: z.string().optional(),
  /** Copied into outcomes (Config events); no documented limit, 64 is far more than any Region code. */
  region: z.string().max(64, 'must be at most 64 characters').optional(),
  resources: z.array(z.unknown()).optional(),
  detail: z.record(z.string(), z.unknown()),
});
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelope>;

/** `detail` of Security Hub "Findings - Imported" and "Findings - Custom Action" events. */
export const SecurityHubDetail = z.looseObject({
  /** Custom Action events only: the action the operator chose. */
  actionName: z.string().optional(),
  actionDescription: z.string().optional(),
  findings: z.array(z.unknown(), 'must be an array of ASFF findings'),
});

/** One `Resources[]` entry, read only when the finding is about an IAM user. */
export const AsffResource = z.looseObject({
  Type: bounded(ASFF_LIMITS.resourceType),
  Id: bounded(ASFF_LIMITS.resourceId).min(1),
  Partition: short.optional(),
  Region: bounded(ASFF_LIMITS.region).optional(),
  Details: z
    .looseObject({
      AwsIamUser: z
        .looseObject({
          UserName: short.optional(),
          UserId: bounded(ASFF_LIMITS.userId).optional(),
          Path: bounded(ASFF_LIMITS.userPath).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type AsffResource = z.infer<typeof AsffResource>;

/**
 * The finding fields intake needs to route a finding. `Resources` stays `unknown[]` here: it is validated
 * only for MFA controls (see `AsffResource`), so an odd resource on an unrelated finding is merely ignored.
 */
export const AsffFinding = z.looseObject({
  SchemaVersion: short.optional(),
  Id: bounded(ASFF_LIMITS.id).min(1),
  ProductArn: bounded(ASFF_LIMITS.productArn).min(1),
  GeneratorId: bounded(ASFF_LIMITS.generatorId).optional(),
  AwsAccountId: AccountId,
  Region: bounded(ASFF_LIMITS.region).optional(),
  Title: z.string().optional(),
  CreatedAt: z.string().optional(),
  UpdatedAt: z.string().optional(),
  FirstObservedAt: z.string().optional(),
  LastObservedAt: z.string().optional(),
  Compliance: z
    .looseObject({
      /** PASSED | WARNING | FAILED | NOT_AVAILABLE */
      Status: short.optional(),
      /** Present when consolidated control findings are on (the default since 2023). */
      SecurityControlId: short.optional(),
      AssociatedStandards: z.array(z.looseObject({ StandardsId: z.string().optional() })).optional(),
    })
    .optional(),
  Workflow: z
    .looseObject({
      /** NEW | NOTIFIED | RESOLVED | SUPPRESSED */
      Status: short.optional(),
    })
    .optional(),
  /** ACTIVE | ARCHIVED */
  RecordState: short.optional(),
  /** ASFF says string → string (at most 50, keys ≤ 128, values ≤ 2048); third-party products are not always that tidy. */
  ProductFields: z
    .record(
      bounded(ASFF_LIMITS.productFieldKey),
      z
        .unknown()
        .refine(
          (v) => typeof v !== 'string' || v.length <= ASFF_LIMITS.productFieldValue,
          `must be at most ${ASFF_LIMITS.productFieldValue} characters`,
        ),
    )
    .refine(
      (fields) => Object.keys(fields).length <= ASFF_LIMITS.productFields,
      `must have at most ${ASFF_LIMITS.productFields} entries`,
    )
    .optional(),
  Resources: z
    .array(z.unknown(), 'must be an array of resources')
    .max(ASFF_LIMITS.resources, `must have at most ${ASFF_LIMITS.resources} resources`)
    .optional(),
});
export type AsffFinding = z.infer<typeof AsffFinding>;

/** True when a JSON object looks like a bare ASFF finding rather than an envelope or a task. */
export function isAsffFinding(value: Record<string, unknown>): boolean {
  return (
    typeof value.SchemaVersion === 'string' ||
    (typeof value.ProductArn === 'string' && typeof value.GeneratorId === 'string')
  );
}
