/**
 * What the core needs from the outside world, as small interfaces. Production implements them with the AWS SDK
 * adapters in `src/aws/`; unit tests with in-memory fakes; integration tests with the adapters against the
 * local cloud. Every method reports AWS errors as `DependencyError`s whose `code` is the AWS error name.
 */
import type { ControlClassification } from './controls.ts';
import type { FindingRef, Outcome, SweepSummary, TaskMessage } from './model.ts';

export interface MfaDevice {
  readonly serialNumber: string;
  readonly enableDate?: Date;
}

export interface AccessKey {
  readonly accessKeyId: string;
  readonly status: 'Active' | 'Inactive';
}

export interface VirtualMfaDevice {
  readonly serialNumber: string;
  /** Set when the device is assigned to a user. */
  readonly userName?: string;
}

export interface CreatedVirtualMfaDevice {
  readonly serialNumber: string;
  /** The base32 TOTP seed. IAM returns it exactly once, at creation. A secret: never log it. */
  readonly seedBase32: string;
  /** PNG bytes of the QR code (the otpauth URI). */
  readonly qrCodePng?: Uint8Array;
}

/** The IAM operations the workflow performs on users, in one account. */
export interface IamPort {
  /** Throws NoSuchEntity when the user does not exist. */
  listMfaDevices(userName: string): Promise<MfaDevice[]>;
  /** Whether the user has a console password (GetLoginProfile; NoSuchEntity = no password). */
  hasLoginProfile(userName: string): Promise<boolean>;
  listUserTags(userName: string): Promise<Record<string, string>>;
  isPolicyAttached(userName: string, policyArn: string): Promise<boolean>;
  /** Idempotent on AWS: attaching an attached policy succeeds. */
  attachUserPolicy(userName: string, policyArn: string): Promise<void>;
  /** `not-attached` when IAM answers NoSuchEntity for the attachment. */
  detachUserPolicy(userName: string, policyArn: string): Promise<'detached' | 'not-attached'>;
  tagUser(userName: string, tags: Readonly<Record<string, string>>): Promise<void>;
  untagUser(userName: string, keys: readonly string[]): Promise<void>;
  deleteLoginProfile(userName: string): Promise<'deleted' | 'absent'>;
  listAccessKeys(userName: string): Promise<AccessKey[]>;
  deactivateAccessKey(userName: string, accessKeyId: string): Promise<void>;
  /** Resolves a user ID (`AIDA…`, as Config reports it) to the user; undefined when no user has it. */
  findUserById(userId: string): Promise<{ userName: string; arn: string } | undefined>;
  enableMfaDevice(userName: string, serialNumber: string, code1: string, code2: string): Promise<void>;
  resyncMfaDevice(userName: string, serialNumber: string, code1: string, code2: string): Promise<void>;
  createVirtualMfaDevice(name: string, path: string): Promise<CreatedVirtualMfaDevice>;
  deleteVirtualMfaDevice(serialNumber: string): Promise<void>;
  /** Virtual devices under a path prefix, e.g. `/mfa-remediation/`. */
  listVirtualMfaDevices(options: {
    assignment: 'Assigned' | 'Unassigned' | 'Any';
  }): Promise<VirtualMfaDevice[]>;
}

/** Who a work item says a finding is about: what Security Hub's own record of the finding must agree with. */
export interface FindingClaim {
  readonly accountId: string;
  readonly userName?: string;
  readonly userId?: string;
  readonly userArn?: string;
}

/**
 * Security Hub finding updates, made from the worker's own account: BatchUpdateFindings for ASFF findings,
 * BatchUpdateFindingsV2 for OCSF ones (`finding.generation`), the latter only after GetFindingsV2 confirmed
 * the `claim`. `already-applied`: Security Hub already has the status; `skipped`: Security Hub's record
 * contradicts the claim (or a person suppressed the finding), so nothing was written.
 */
export interface FindingsPort {
  updateWorkflow(
    finding: FindingRef,
    status: 'NOTIFIED' | 'RESOLVED',
    note: string,
    claim?: FindingClaim,
  ): Promise<'applied' | 'not-found' | 'already-applied' | { readonly skipped: string }>;
}

/** What Security Hub itself records about a finding (GetFindings / GetFindingsV2), in one vocabulary. */
export interface FindingFacts {
  /** ASFF `Id` or OCSF `metadata.uid`. */
  readonly id: string;
  readonly generation: 'asff' | 'ocsf';
  readonly accountId: string;
  /** ASFF `ProductArn` or OCSF `metadata.product.uid`. */
  readonly productArn: string;
  /** The control, classified from Security Hub's own fields (controls.ts). */
  readonly control: ControlClassification;
  /** Identifiers (ARN, id, name) of every IAM user resource of the finding, as Security Hub writes them. */
  readonly resourceIds: readonly string[];
  readonly recordState: 'ACTIVE' | 'ARCHIVED';
  readonly workflowStatus: 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
}

/** One workflow change of a bulk update. */
export interface FindingChange {
  readonly ref: FindingRef;
  readonly status: 'NOTIFIED' | 'RESOLVED';
  readonly note: string;
}

/** What became of one change of a bulk update. */
export type FindingUpdateResult =
  | { readonly result: 'applied' }
  | { readonly result: 'not-found' }
  | { readonly result: 'failed'; readonly code: string; readonly message: string };

/**
 * Bulk finding reads and writes (Security Hub's own APIs take up to 100 findings a call), keyed by
 * `findingKey(ref)`: `describe` leaves out findings Security Hub does not have (or has more than once).
 */
export interface FindingsBatchPort {
  describe(refs: readonly FindingRef[]): Promise<Map<string, FindingFacts>>;
  update(changes: readonly FindingChange[]): Promise<Map<string, FindingUpdateResult>>;
}

/** Escrow of custodial seeds in Secrets Manager. */
export interface SecretsPort {
  /** Writes (creates or updates) the secret; idempotent for the same token. */
  putSecret(input: {
    name: string;
    value: string;
    kmsKeyId?: string;
    tags: Readonly<Record<string, string>>;
    clientRequestToken: string;
  }): Promise<{ arn: string }>;
  /** The current value, or undefined when the secret does not exist. */
  getSecretValue(name: string): Promise<string | undefined>;
  /**
   * Deletes the secret at once (ForceDeleteWithoutRecovery), so that no escrowed seed outlives its device;
   * `absent` when there was none.
   */
  deleteSecret(name: string): Promise<'deleted' | 'absent'>;
}

/** State GenerateCredentialReport answers: a new report was started, one is being built, or one is ready. */
export type CredentialReportState = 'STARTED' | 'INPROGRESS' | 'COMPLETE';

/** A credential report as GetCredentialReport returns it: CSV text, one row per user plus `<root_account>`. */
export interface CredentialReport {
  readonly content: string;
  readonly generatedAt: Date;
}

/**
 * The IAM reads of an audit sweep, in one account. Their number does not grow with the number of
 * users: the credential report lists every user in one document, and the guard policy's entities come from
 * one paginated ListEntitiesForPolicy.
 */
export interface CredentialReportPort {
  /** GenerateCredentialReport: IAM regenerates at most every four hours and answers COMPLETE in between. */
  generate(): Promise<CredentialReportState>;
  /**
   * GetCredentialReport. Throws a `DependencyError` with code `ReportNotPresent` (never generated),
   * `ReportExpired` (older than four hours) or `ReportInProgress` (still being generated).
   */
  get(): Promise<CredentialReport>;
  /** Names of the users the policy is attached to (ListEntitiesForPolicy, users only); [] if it does not exist. */
  listGuardedUsers(policyArn: string): Promise<string[]>;
}

/** Sends the product's own task messages to the remediation queue (SendMessageBatch). */
export interface TaskQueuePort {
  /**
   * Sends every task, retrying only the entries SQS reported as failed, a bounded number of times. Resolves
   * with how many were accepted and how many were still failing when it gave up.
   */
  sendBatch(tasks: readonly TaskMessage[]): Promise<{ sent: number; failed: number }>;
}

/** An account of the organisation (Organizations ListAccounts). */
export interface OrganizationAccount {
  readonly id: string;
  readonly name?: string;
  readonly status: string;
}

/** The organisation's accounts, for sweeping every member (requires the management or a delegated account). */
export interface OrganizationPort {
  /** Every account whose status is ACTIVE (suspended and closing accounts are left out). */
  listActiveAccounts(): Promise<OrganizationAccount[]>;
}

/** Everything the workflow may call in one account. */
export interface AccountPorts {
  readonly accountId: string;
  readonly iam: IamPort;
  readonly secrets?: SecretsPort;
  /** Credential-report reads for audit sweeps. */
  readonly reports?: CredentialReportPort;
}

/** Gives access to any allowed account: the worker's own with its credentials, others through AssumeRole. */
export interface AccountAccess {
  selfAccountId(): Promise<string>;
  forAccount(accountId: string): Promise<AccountPorts>;
}

export interface PublishResult {
  /** Outcomes that SNS did not accept; their records must be retried. */
  readonly failed: readonly Outcome[];
}

export interface OutcomePublisher {
  publish(outcomes: readonly Outcome[]): Promise<PublishResult>;
  publishSweepSummary?(summary: SweepSummary): Promise<void>;
}

/** The SQS operations record handling needs. */
export interface QueuePort {
  /** Stretches a received message's visibility timeout (tier-2 backoff). */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /** Parks a rejected body on the dead-letter queue with a `rejection-reason` attribute. */
  park(body: string, reason: string, attributes?: Readonly<Record<string, string>>): Promise<void>;
}
