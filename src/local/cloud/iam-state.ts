/**
 * IAM's entities, partitioned per account (IAM is a global service: one namespace per account, whatever the
 * region). User names are unique without regard to case, as on AWS ("John" and "john" cannot coexist), so
 * users are keyed by their lower-cased name while keeping the case they were created with.
 */

import { NAMES } from '../../core/model.ts';
import { GUARD_POLICY_DOCUMENT } from '../../policies/guard-policy.ts';
import { awsId } from './credentials.ts';
import { iamErrors } from './iam-errors.ts';
import type { TrustPolicy } from './iam-trust.ts';

export interface Tag {
  Key: string;
  Value: string;
}

/** Tags keyed case-insensitively: IAM treats `Team` and `team` as the same tag key. */
export type TagSet = Map<string, Tag>;

export interface LoginProfile {
  readonly createDate: Date;
  passwordResetRequired: boolean;
}

export interface AccessKeyRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  status: 'Active' | 'Inactive';
  readonly createDate: Date;
}

export interface IamUser {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: Date;
  readonly tags: TagSet;
  /** Managed policies attached to the user, in attachment order. */
  readonly policyArns: string[];
  loginProfile?: LoginProfile;
  readonly accessKeys: AccessKeyRecord[];
  /** Serial numbers of the MFA devices enabled for the user, in enable order. */
  readonly mfaSerials: string[];
}

export interface ManagedPolicy {
  readonly policyName: string;
  readonly policyId: string;
  readonly arn: string;
  readonly path: string;
  readonly document: string;
  readonly description?: string;
  readonly createDate: Date;
  readonly tags: TagSet;
  /** AWS managed policies (`arn:aws:iam::aws:policy/…`) cannot be deleted. */
  readonly awsManaged: boolean;
}

export interface VirtualDevice {
  readonly serialNumber: string;
  readonly path: string;
  readonly name: string;
  /** The TOTP seed in base32, as `Base32StringSeed` carries it (before base64 encoding). */
  readonly seed: string;
  readonly createDate: Date;
  readonly tags: TagSet;
  assignment?: { readonly userKey: string; readonly enableDate: Date };
  /**
   * Set when the device was enabled with an old code pair (see iam-totp.ts): the device is associated but
   * its clock is considered out of step until ResyncMFADevice succeeds. `driftSteps` is the measured
   * offset in 30-second steps (negative: the device runs behind).
   */
  sync: { outOfSync: boolean; driftSteps: number };
}

/** A role: who may assume it (the trust policy) and what its sessions may do (policies, not evaluated). */
export interface IamRole {
  readonly roleName: string;
  /** `AROA…`; sessions' `AssumedRoleId` is `<roleId>:<sessionName>`. */
  readonly roleId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: Date;
  /** The trust policy as given (IAM returns it URL-encoded) and as parsed for evaluation. */
  trustDocument: string;
  trust: TrustPolicy;
  description?: string;
  /** Seconds, 3600–43200; AssumeRole refuses a longer DurationSeconds. */
  maxSessionDuration: number;
  readonly tags: TagSet;
  /** Inline policies by name (PutRolePolicy), in creation order. */
  readonly inlinePolicies: Map<string, { readonly policyName: string; readonly document: string }>;
  /** Managed policies attached to the role, in attachment order. */
  readonly policyArns: string[];
}

export interface CredentialReportState {
  /** Environment time (ms) at which generation started. */
  readonly startedAt: number;
  complete: boolean;
  readonly csv: string;
  readonly generatedTime: Date;
}

/** AWS's quota of IAM users per account. */
export const AWS_USERS_PER_ACCOUNT = 5000;

export interface IamAccount {
  readonly accountId: string;
  readonly createDate: Date;
  /** Whether the root user has MFA (GetAccountSummary `AccountMFAEnabled`, the report's root row). */
  rootMfaEnabled: boolean;
  /** The UsersPerAccount quota: 5,000 on AWS (not adjustable); the local cloud lets tests raise it. */
  readonly usersQuota: number;
  readonly users: Map<string, IamUser>;
  readonly policies: Map<string, ManagedPolicy>;
  readonly devices: Map<string, VirtualDevice>;
  /** Roles keyed by lower-cased name: role names are unique without regard to case, like user names. */
  readonly roles: Map<string, IamRole>;
  report?: CredentialReportState;
}

/** The key a user name is stored under. */
export function userKey(userName: string): string {
  return userName.toLowerCase();
}

/**
 * A fresh account, "as if the stack had been deployed": the customer-managed guard policy exists in every
 * account, so `guardPolicyArn(accountId)` resolves for AttachUserPolicy.
 */
export function createIamAccount(
  accountId: string,
  now: Date,
  usersQuota = AWS_USERS_PER_ACCOUNT,
): IamAccount {
  const account: IamAccount = {
    accountId,
    createDate: now,
    rootMfaEnabled: true,
    usersQuota,
    users: new Map(),
    policies: new Map(),
    devices: new Map(),
    roles: new Map(),
  };
  addPolicy(account, {
    policyName: NAMES.guardPolicyName,
    path: NAMES.guardPolicyPath,
    document: JSON.stringify(GUARD_POLICY_DOCUMENT),
    description: 'Denies everything but self-service MFA enrolment until the user signs in with MFA.',
    createDate: now,
    tags: [],
  });
  return account;
}

/** Adds a customer-managed policy; EntityAlreadyExists if the name is taken (names are unique per account). */
export function addPolicy(
  account: IamAccount,
  input: {
    policyName: string;
    path: string;
    document: string;
    description?: string | undefined;
    createDate: Date;
    tags: Tag[];
  },
): ManagedPolicy {
  for (const policy of account.policies.values()) {
    if (policy.policyName.toLowerCase() === input.policyName.toLowerCase()) {
      throw iamErrors.alreadyExists(
        `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`,
      );
    }
  }
  const policy: ManagedPolicy = {
    policyName: input.policyName,
    policyId: awsId('ANPA', 17),
    arn: `arn:aws:iam::${account.accountId}:policy${input.path}${input.policyName}`,
    path: input.path,
    document: input.document,
    ...(input.description === undefined ? {} : { description: input.description }),
    createDate: input.createDate,
    tags: toTagSet(input.tags),
    awsManaged: false,
  };
  account.policies.set(policy.arn, policy);
  return policy;
}

/** The user, or NoSuchEntity (404). */
export function requireUser(account: IamAccount, userName: string): IamUser {
  const user = account.users.get(userKey(userName));
  if (!user) throw iamErrors.noSuchUser(userName);
  return user;
}

export function toTagSet(tags: readonly Tag[]): TagSet {
  const set: TagSet = new Map();
  for (const tag of tags) set.set(tag.Key.toLowerCase(), { ...tag });
  return set;
}

/**
 * Adds or overwrites tags (TagUser semantics). IAM rejects duplicate keys within one request, reserves the
 * `aws:` prefix, and allows at most 50 tags per entity (LimitExceeded).
 */
export function mergeTags(target: TagSet, tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const tag of tags) {
    const key = tag.Key.toLowerCase();
    if (seen.has(key)) {
      throw iamErrors.invalidInput(
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    if (key.startsWith('aws:')) {
      throw iamErrors.invalidInput(
        'User-defined tag keys can\u2019t start with "aws:". This prefix is reserved.',
      );
    }
    seen.add(key);
  }
  const resulting = new Set([...target.keys(), ...seen]);
  if (resulting.size > 50) {
    throw iamErrors.limitExceeded('The number of tags has reached the maximum limit.');
  }
  for (const tag of tags) target.set(tag.Key.toLowerCase(), { ...tag });
}

/** Tags in the order IAM lists them (insertion order). */
export function tagList(tags: TagSet): Tag[] {
  return [...tags.values()].map((t) => ({ ...t }));
}
