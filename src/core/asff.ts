/**
 * The subset of the AWS Security Finding Format (ASFF) and of the EventBridge envelopes that intake reads.
 *
 * Objects are `looseObject`: ASFF has hundreds of optional fields and AWS adds more without notice, so we
 * validate what we use and let the rest through. Envelopes keep `findings` as `unknown[]` so that each
 * finding is validated on its own: one bad finding must not reject its neighbours.
 */
import { z } from 'zod';
import { AccountId } from './model.ts';

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
  region: z.string().optional(),
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
  Type: z.string(),
  Id: z.string().min(1),
  Partition: z.string().optional(),
  Region: z.string().optional(),
  Details: z
    .looseObject({
      AwsIamUser: z
        .looseObject({
          UserName: z.string().optional(),
          UserId: z.string().optional(),
          Path: z.string().optional(),
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
  SchemaVersion: z.string().optional(),
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  GeneratorId: z.string().optional(),
  AwsAccountId: AccountId,
  Region: z.string().optional(),
  Title: z.string().optional(),
  CreatedAt: z.string().optional(),
  UpdatedAt: z.string().optional(),
  FirstObservedAt: z.string().optional(),
  LastObservedAt: z.string().optional(),
  Compliance: z
    .looseObject({
      /** PASSED | WARNING | FAILED | NOT_AVAILABLE */
      Status: z.string().optional(),
      /** Present when consolidated control findings are on (the default since 2023). */
      SecurityControlId: z.string().optional(),
      AssociatedStandards: z.array(z.looseObject({ StandardsId: z.string().optional() })).optional(),
    })
    .optional(),
  Workflow: z
    .looseObject({
      /** NEW | NOTIFIED | RESOLVED | SUPPRESSED */
      Status: z.string().optional(),
    })
    .optional(),
  /** ACTIVE | ARCHIVED */
  RecordState: z.string().optional(),
  /** ASFF says string → string; third-party products are not always that tidy. */
  ProductFields: z.record(z.string(), z.unknown()).optional(),
  Resources: z.array(z.unknown(), 'must be an array of resources').optional(),
});
export type AsffFinding = z.infer<typeof AsffFinding>;

/** True when a JSON object looks like a bare ASFF finding rather than an envelope or a task. */
export function isAsffFinding(value: Record<string, unknown>): boolean {
  return (
    typeof value.SchemaVersion === 'string' ||
    (typeof value.ProductArn === 'string' && typeof value.GeneratorId === 'string')
  );
}
