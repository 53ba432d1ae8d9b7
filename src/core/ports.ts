/**
 * What the core needs from the outside world, as small interfaces. Production implements them with the AWS SDK
 * adapters in `src/aws/`; unit tests with in-memory fakes; integration tests with the adapters against the
 * local cloud. Every method reports AWS errors as `DependencyError`s whose `code` is the AWS error name.
 */
import type { FindingRef, Outcome, SweepSummary } from './model.ts';

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

/** Security Hub finding updates (BatchUpdateFindings), made from the worker's own account. */
export interface FindingsPort {
  updateWorkflow(
    finding: FindingRef,
    status: 'NOTIFIED' | 'RESOLVED',
    note: string,
  ): Promise<'applied' | 'not-found'>;
}

/** Escrow of custodial seeds in Secrets Manager (issue 5). */
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
}

/** Everything the workflow may call in one account. */
export interface AccountPorts {
  readonly accountId: string;
  readonly iam: IamPort;
  readonly secrets?: SecretsPort;
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
