/**
 * Managed policies and their attachment to users. Attaching an attached policy is a no-op success and
 * detaching one that is not attached is NoSuchEntity, as on AWS (the product relies on both).
 */
import { iamErrors } from './iam-errors.ts';
import { IAM_FIELDS } from './iam-fields.ts';
import { type IamHandler, pageXml, policyXml } from './iam-handler.ts';
import {
  addPolicy,
  type IamAccount,
  type IamUser,
  type ManagedPolicy,
  requireUser,
  toTagSet,
  userKey,
} from './iam-state.ts';
import { sortedUsers } from './iam-users.ts';
import { paginate, paginateInOrder } from './pagination.ts';

/** AWS's quota of managed policies attached to one user. */
const POLICIES_PER_USER = 10;

/**
 * AWS managed policies the local cloud knows (they exist in every account under `arn:aws:iam::aws:`).
 * Their documents are not modelled; attaching them is what tests and demos do.
 */
const AWS_MANAGED_POLICY_NAMES = [
  'AdministratorAccess',
  'PowerUserAccess',
  'ReadOnlyAccess',
  'SecurityAudit',
  'IAMFullAccess',
  'IAMReadOnlyAccess',
  'IAMUserChangePassword',
  'IAMSelfManageServiceSpecificCredentials',
  'AmazonS3ReadOnlyAccess',
  'AmazonS3FullAccess',
] as const;

const AWS_MANAGED = new Map<string, ManagedPolicy>(
  AWS_MANAGED_POLICY_NAMES.map((name) => {
    const arn = `arn:aws:iam::aws:policy/${name}`;
    const policy: ManagedPolicy = {
      policyName: name,
      policyId: `ANPAJ${name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .padEnd(16, 'X')
        .slice(0, 16)}`,
      arn,
      path: '/',
      document: '{"Version":"2012-10-17","Statement":[]}',
      createDate: new Date('2015-02-06T18:39:46Z'),
      tags: toTagSet([]),
      awsManaged: true,
    };
    return [arn, policy];
  }),
);

/** A customer-managed policy of the account, or a known AWS managed policy. */
export function findPolicy(account: IamAccount, policyArn: string): ManagedPolicy | undefined {
  return account.policies.get(policyArn) ?? AWS_MANAGED.get(policyArn);
}

function requirePolicy(account: IamAccount, policyArn: string): ManagedPolicy {
  const policy = findPolicy(account, policyArn);
  if (!policy) throw iamErrors.noSuchEntity(`Policy ${policyArn} does not exist or is not attachable.`);
  return policy;
}

function attachedUsers(account: IamAccount, policyArn: string): IamUser[] {
  return [...account.users.values()].filter((u) => u.policyArns.includes(policyArn));
}

/** Attaches a managed policy to a user; attaching it again changes nothing. */
export function attachUserPolicy(account: IamAccount, user: IamUser, policyArn: string): void {
  requirePolicy(account, policyArn);
  if (user.policyArns.includes(policyArn)) return;
  if (user.policyArns.length >= POLICIES_PER_USER) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for PoliciesPerUser: ${POLICIES_PER_USER}`);
  }
  user.policyArns.push(policyArn);
}

/** The syntax checks IAM applies to a permissions policy document (MalformedPolicyDocument otherwise). */
export function checkPolicyDocument(document: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw iamErrors.malformedPolicy('Syntax errors in policy.');
  }
  if (!parsed || typeof parsed !== 'object' || !('Statement' in parsed)) {
    throw iamErrors.malformedPolicy('Policy document must contain a Statement.');
  }
}

export const policyHandlers: Record<string, IamHandler> = {
  CreatePolicy: (ctx) => {
    const document = ctx.params.required('PolicyDocument', IAM_FIELDS.policyDocument);
    const input = {
      policyName: ctx.params.required('PolicyName', IAM_FIELDS.policyName),
      path: ctx.params.optional('Path', IAM_FIELDS.path) ?? '/',
      description: ctx.params.optional('Description', IAM_FIELDS.description),
      document,
      createDate: ctx.now,
      tags: ctx.params.tags(),
    };
    checkPolicyDocument(document);
    return { Policy: policyXml(addPolicy(ctx.account, input), 0) };
  },

  GetPolicy: (ctx) => {
    const policy = requirePolicy(ctx.account, ctx.params.required('PolicyArn', IAM_FIELDS.arn));
    return { Policy: policyXml(policy, attachedUsers(ctx.account, policy.arn).length) };
  },

  DeletePolicy: (ctx) => {
    const policy = requirePolicy(ctx.account, ctx.params.required('PolicyArn', IAM_FIELDS.arn));
    if (policy.awsManaged) {
      throw iamErrors.invalidInput(`Cannot delete an AWS managed policy: ${policy.arn}.`);
    }
    const roles = [...ctx.account.roles.values()].filter((r) => r.policyArns.includes(policy.arn));
    if (attachedUsers(ctx.account, policy.arn).length > 0 || roles.length > 0) {
      throw iamErrors.deleteConflict('Cannot delete a policy attached to entities.');
    }
    ctx.account.policies.delete(policy.arn);
    return undefined;
  },

  AttachUserPolicy: (ctx) => {
    const user = requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
    attachUserPolicy(ctx.account, user, ctx.params.required('PolicyArn', IAM_FIELDS.arn));
    return undefined;
  },

  DetachUserPolicy: (ctx) => {
    const user = requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
    const policyArn = ctx.params.required('PolicyArn', IAM_FIELDS.arn);
    const index = user.policyArns.indexOf(policyArn);
    if (index < 0) throw iamErrors.noSuchEntity(`Policy ${policyArn} was not found.`);
    user.policyArns.splice(index, 1);
    return undefined;
  },

  ListAttachedUserPolicies: (ctx) => {
    const user = requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
    const pathPrefix = ctx.params.optional('PathPrefix', IAM_FIELDS.pathPrefix) ?? '/';
    const attached = user.policyArns
      .map((arn) => findPolicy(ctx.account, arn))
      .filter((p): p is ManagedPolicy => p?.path.startsWith(pathPrefix) ?? false);
    const page = paginateInOrder(attached, ctx.params.page());
    return {
      AttachedPolicies: page.items.map((policy) => ({
        PolicyName: policy.policyName,
        PolicyArn: policy.arn,
      })),
      ...pageXml(page),
    };
  },

  ListEntitiesForPolicy: (ctx) => {
    const policy = requirePolicy(ctx.account, ctx.params.required('PolicyArn', IAM_FIELDS.arn));
    const filter = ctx.params.oneOf('EntityFilter', [
      'User',
      'Role',
      'Group',
      'LocalManagedPolicy',
      'AWSManagedPolicy',
    ] as const);
    const pathPrefix = ctx.params.optional('PathPrefix', IAM_FIELDS.pathPrefix);
    ctx.params.oneOf('PolicyUsageFilter', ['PermissionsPolicy', 'PermissionsBoundary'] as const);
    // Groups are not modelled: their listing is always empty.
    const includeRoles =
      filter === undefined ||
      filter === 'Role' ||
      (filter === 'LocalManagedPolicy' && !policy.awsManaged) ||
      (filter === 'AWSManagedPolicy' && policy.awsManaged);
    const includeUsers =
      filter === undefined ||
      filter === 'User' ||
      (filter === 'LocalManagedPolicy' && !policy.awsManaged) ||
      (filter === 'AWSManagedPolicy' && policy.awsManaged);
    const users = includeUsers
      ? sortedUsers(ctx.account, pathPrefix).filter((u) => u.policyArns.includes(policy.arn))
      : [];
    const page = paginate(users, (u) => userKey(u.userName), ctx.params.page());
    return {
      PolicyGroups: [],
      PolicyUsers: page.items.map((u) => ({ UserName: u.userName, UserId: u.userId })),
      // Roles are listed on the first page only: the marker pages through users.
      PolicyRoles:
        includeRoles && ctx.params.page().marker === undefined
          ? [...ctx.account.roles.values()]
              .filter((r) => r.policyArns.includes(policy.arn) && r.path.startsWith(pathPrefix ?? '/'))
              .map((r) => ({ RoleName: r.roleName, RoleId: r.roleId }))
          : [],
      ...pageXml(page),
    };
  },
};
