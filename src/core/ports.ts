/**
 * What the core needs from the outside world, as small interfaces. Production implements them with the AWS SDK
 * adapters in `src/aws/`; unit tests with in-memory fakes; integration tests with the adapters against the
 * local cloud. Every method reports AWS errors as `DependencyError`s whose `code` is the AWS error name.
 */
import type { FindingGeneration, FindingRef, Outcome, SweepSummary, TaskMessage } from './model.ts';

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

/** Who an IAM user is: IAM's unique id survives no re-creation, the name does. */
export interface IamUserIdentity {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
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
  /** GetUser: the user's name, unique id and ARN; undefined when no user has that name. */
  getUser(userName: string): Promise<IamUserIdentity | undefined>;
  /**
   * Every user of the account (ListUsers, all pages). IAM has no lookup by user id (`AIDA…`, as Config
   * reports users), so resolving ids costs one listing; callers resolve all the ids they need from it.
   */
  listUsers(): Promise<IamUserIdentity[]>;
  enableMfaDevice(userName: string, serialNumber: string, code1: string, code2: string): Promise<void>;
  resyncMfaDevice(userName: string, serialNumber: string, code1: string, code2: string): Promise<void>;
  createVirtualMfaDevice(name: string, path: string): Promise<CreatedVirtualMfaDevice>;
  deleteVirtualMfaDevice(serialNumber: string): Promise<void>;
  /** Virtual devices under a path prefix, e.g. `/mfa-remediation/`. */
  listVirtualMfaDevices(options: {
    assignment: 'Assigned' | 'Unassigned' | 'Any';
  }): Promise<VirtualMfaDevice[]>;
}

/**
 * What Security Hub itself says about a finding (never what a message said): the facts a finding update is
 * verified against (docs/reference.md: Claims and verification).
 */
export interface FindingFacts {
  readonly generation: FindingGeneration;
  readonly id: string;
  /** The product that reported it (ASFF `ProductArn`, OCSF `metadata.product.uid`). */
  readonly productArn: string;
  readonly accountId: string;
  /**
   * The security control id the finding's own fields classify as (`IAM.5` also for CIS v1.4.0 1.10, see
   * `classifyControl`), or the finding's own name for a control that has none; absent when it names none.
   */
  readonly controlId?: string;
  /** The ids (ARNs) of every resource the finding is about. */
  readonly resourceIds: readonly string[];
  /** ACTIVE | ARCHIVED (ASFF `RecordState`; an OCSF finding closed by Security Hub, or Archived, is ARCHIVED). */
  readonly recordState?: string;
  /** NEW | NOTIFIED | RESOLVED | SUPPRESSED (OCSF `status_id` mapped: In Progress is NOTIFIED). */
  readonly workflowStatus?: string;
  /** The note (OCSF: comment) a responder — this worker, or a person — last set, if any. */
  readonly note?: string;
}

/** A workflow change to make to one finding. */
export interface FindingChange {
  readonly ref: FindingRef;
  readonly status: 'NOTIFIED' | 'RESOLVED';
  readonly note: string;
}

/** What became of one change: made, the finding unknown to Security Hub, or refused (with why). */
export type FindingUpdateResult = 'applied' | 'not-found' | { readonly failed: string };

/**
 * Security Hub findings, from the worker's own (administrator) account, whatever their generation. Results
 * are keyed by {@link findingKey}.
 */
export interface FindingsPort {
  /**
   * The facts of each finding, in as few calls as Security Hub's filter limits allow. A finding Security Hub
   * does not know (or knows under another product) is absent from the map.
   */
  describe(refs: readonly FindingRef[]): Promise<ReadonlyMap<string, FindingFacts>>;
  /** Sets workflow statuses with notes, sharing calls between changes with the same status and note. */
  update(changes: readonly FindingChange[]): Promise<ReadonlyMap<string, FindingUpdateResult>>;
}

/**
 * The key a finding is known by in {@link FindingsPort} results: its generation and identity (product and id,
 * as Security Hub stores findings), so that a reference naming a real id under another product never matches.
 */
export function findingKey(ref: Pick<FindingRef, 'generation' | 'id' | 'productArn'>): string {
  return JSON.stringify([ref.generation, ref.productArn, ref.id]);
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
  /** Sends a body back onto the remediation queue (the unfinished part of a record), with attributes. */
  requeue(body: string, attributes: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Parks a rejected body on the dead-letter queue with a `rejection-reason` attribute. A body too large to
   * be parked with its attributes is parked truncated (`truncated`), with the original's size and SHA-256.
   * `unavailable` when no dead-letter queue is configured.
   */
  park(
    body: string,
    reason: string,
    attributes?: Readonly<Record<string, string>>,
  ): Promise<'parked' | 'truncated' | 'unavailable'>;
}

/** One person notification, as SES v2 SendEmail sends it (Simple content: text and HTML). */
export interface MailMessage {
  readonly from: string;
  readonly to: string;
  readonly replyTo?: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** SES message tags (`[A-Za-z0-9_-]` names and values), e.g. the kind of notification. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Sends person notifications (SES v2 SendEmail) from the worker's own account. */
export interface MailerPort {
  /** Resolves with SES's message id; throws a `DependencyError` with AWS's code (e.g. `MessageRejected`). */
  send(message: MailMessage): Promise<{ messageId: string }>;
}

/** The product's metrics (docs/reference.md: Metrics), counted per invocation and flushed as EMF lines. */
export interface MetricsPort {
  /** Adds `value` (default 1) to a count, optionally by outcome. */
  count(name: string, value?: number, dimensions?: { readonly outcome?: string }): void;
  /** Records one observation of a duration in seconds (e.g. time to remediate). */
  seconds(name: string, value: number): void;
}
