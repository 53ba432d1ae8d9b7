/**
 * IAM roles: their trust policies (evaluated by STS AssumeRole, see iam-trust.ts), maximum session duration,
 * inline and attached policies and tags. As on AWS: role names are unique without regard to case; a trust
 * policy may name only principals that exist; DeleteRole refuses while policies hang off the role; policy
 * documents come back URL-encoded. The permissions policies are stored, not evaluated.
 */
import { awsId } from './credentials.ts';
import { iamErrors } from './iam-errors.ts';
import { IAM_FIELDS } from './iam-fields.ts';
import { type IamContext, type IamHandler, pageXml, tagsXml } from './iam-handler.ts';
import { checkPolicyDocument, findPolicy } from './iam-policies.ts';
import { type IamAccount, type IamRole, mergeTags, type Tag, tagList, toTagSet } from './iam-state.ts';
import { parseTrustPolicy } from './iam-trust.ts';
import { byKey, paginate, paginateInOrder } from './pagination.ts';

/** AWS's quotas: roles per account (default), managed policies per role. */
const ROLES_PER_ACCOUNT = 1000;
const POLICIES_PER_ROLE = 10;
/** CreateRole's default MaxSessionDuration, and the range the model allows. */
export const DEFAULT_MAX_SESSION_DURATION = 3600;
const SESSION_DURATION = { min: 3600, max: 43_200 } as const;

/** Resolves a principal ARN named in a trust policy to the unique id IAM stores for it. */
export type PrincipalResolver = (principalArn: string) => string | undefined;

/** Creates a role (CreateRole, and the roles AWS Organizations creates in new member accounts). */
export function createRole(
  account: IamAccount,
  input: {
    roleName: string;
    trustDocument: string;
    path?: string | undefined;
    description?: string | undefined;
    maxSessionDuration?: number | undefined;
    tags?: readonly Tag[];
  },
  now: Date,
  resolve: PrincipalResolver,
): IamRole {
  const key = input.roleName.toLowerCase();
  if (account.roles.has(key))
    throw iamErrors.alreadyExists(`Role with name ${input.roleName} already exists.`);
  if (account.roles.size >= ROLES_PER_ACCOUNT) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for RolesPerAccount: ${ROLES_PER_ACCOUNT}`);
  }
  const trust = parseTrustPolicy(input.trustDocument, resolve);
  const tags = toTagSet([]);
  mergeTags(tags, input.tags ?? []);
  const path = input.path ?? '/';
  const role: IamRole = {
    roleName: input.roleName,
    roleId: awsId('AROA', 17),
    arn: `arn:aws:iam::${account.accountId}:role${path}${input.roleName}`,
    path,
    createDate: now,
    trustDocument: input.trustDocument,
    trust,
    ...(input.description === undefined ? {} : { description: input.description }),
    maxSessionDuration: input.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    tags,
    inlinePolicies: new Map(),
    policyArns: [],
  };
  account.roles.set(key, role);
  return role;
}

/** The role, or NoSuchEntity (404) in AWS's wording. */
export function requireRole(account: IamAccount, roleName: string): IamRole {
  const role = account.roles.get(roleName.toLowerCase());
  if (!role) throw iamErrors.noSuchEntity(`The role with name ${roleName} cannot be found.`);
  return role;
}

/** IAM returns policy documents URL-encoded (RFC 3986); the AWS CLI and boto3 decode them. */
function encoded(document: string): string {
  return encodeURIComponent(document);
}

/** The `Role` structure. ListRoles leaves tags out (AWS returns them from GetRole only). */
function roleXml(role: IamRole, options: { withTags?: boolean } = {}) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encoded(role.trustDocument),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: options.withTags && role.tags.size > 0 ? tagsXml(role.tags) : undefined,
  };
}

function namedRole(ctx: IamContext): IamRole {
  return requireRole(ctx.account, ctx.params.required('RoleName', IAM_FIELDS.roleName));
}

function inlinePolicy(role: IamRole, policyName: string) {
  const policy = role.inlinePolicies.get(policyName);
  if (!policy) throw iamErrors.noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
  return policy;
}

export const roleHandlers: Record<string, IamHandler> = {
  CreateRole: (ctx) => {
    const role = createRole(
      ctx.account,
      {
        roleName: ctx.params.required('RoleName', IAM_FIELDS.roleName),
        trustDocument: ctx.params.required('AssumeRolePolicyDocument', IAM_FIELDS.policyDocument),
        path: ctx.params.optional('Path', IAM_FIELDS.path),
        description: ctx.params.optional('Description', IAM_FIELDS.description),
        maxSessionDuration: ctx.params.integer(
          'MaxSessionDuration',
          SESSION_DURATION.min,
          SESSION_DURATION.max,
        ),
        tags: ctx.params.tags(),
      },
      ctx.now,
      ctx.resolvePrincipal,
    );
    return { Role: roleXml(role, { withTags: true }) };
  },

  GetRole: (ctx) => ({ Role: roleXml(namedRole(ctx), { withTags: true }) }),

  DeleteRole: (ctx) => {
    const role = namedRole(ctx);
    if (role.inlinePolicies.size > 0)
      throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (role.policyArns.length > 0) {
      throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    }
    ctx.account.roles.delete(role.roleName.toLowerCase());
    return undefined;
  },

  ListRoles: (ctx) => {
    const pathPrefix = ctx.params.optional('PathPrefix', IAM_FIELDS.pathPrefix) ?? '/';
    const roles = [...ctx.account.roles]
      .filter(([, role]) => role.path.startsWith(pathPrefix))
      .sort(byKey(([key]) => key));
    const page = paginate(roles, ([key]) => key, ctx.params.page());
    return { Roles: page.items.map(([, role]) => roleXml(role)), ...pageXml(page) };
  },

  UpdateRole: (ctx) => {
    const role = namedRole(ctx);
    const description = ctx.params.optional('Description', IAM_FIELDS.description);
    const max = ctx.params.integer('MaxSessionDuration', SESSION_DURATION.min, SESSION_DURATION.max);
    if (description !== undefined) role.description = description;
    if (max !== undefined) role.maxSessionDuration = max;
    return {};
  },

  UpdateAssumeRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const document = ctx.params.required('PolicyDocument', IAM_FIELDS.policyDocument);
    role.trust = parseTrustPolicy(document, ctx.resolvePrincipal);
    role.trustDocument = document;
    return undefined;
  },

  PutRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const policyName = ctx.params.required('PolicyName', IAM_FIELDS.policyName);
    const document = ctx.params.required('PolicyDocument', IAM_FIELDS.policyDocument);
    checkPolicyDocument(document);
    role.inlinePolicies.set(policyName, { policyName, document });
    return undefined;
  },

  GetRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const policy = inlinePolicy(role, ctx.params.required('PolicyName', IAM_FIELDS.policyName));
    return {
      RoleName: role.roleName,
      PolicyName: policy.policyName,
      PolicyDocument: encoded(policy.document),
    };
  },

  DeleteRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const policy = inlinePolicy(role, ctx.params.required('PolicyName', IAM_FIELDS.policyName));
    role.inlinePolicies.delete(policy.policyName);
    return undefined;
  },

  ListRolePolicies: (ctx) => {
    const role = namedRole(ctx);
    const page = paginateInOrder([...role.inlinePolicies.keys()], ctx.params.page());
    return { PolicyNames: page.items, ...pageXml(page) };
  },

  AttachRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const policyArn = ctx.params.required('PolicyArn', IAM_FIELDS.arn);
    if (!findPolicy(ctx.account, policyArn)) {
      throw iamErrors.noSuchEntity(`Policy ${policyArn} does not exist or is not attachable.`);
    }
    if (role.policyArns.includes(policyArn)) return undefined;
    if (role.policyArns.length >= POLICIES_PER_ROLE) {
      throw iamErrors.limitExceeded(`Cannot exceed quota for PoliciesPerRole: ${POLICIES_PER_ROLE}`);
    }
    role.policyArns.push(policyArn);
    return undefined;
  },

  DetachRolePolicy: (ctx) => {
    const role = namedRole(ctx);
    const policyArn = ctx.params.required('PolicyArn', IAM_FIELDS.arn);
    const index = role.policyArns.indexOf(policyArn);
    if (index < 0) throw iamErrors.noSuchEntity(`Policy ${policyArn} was not found.`);
    role.policyArns.splice(index, 1);
    return undefined;
  },

  ListAttachedRolePolicies: (ctx) => {
    const role = namedRole(ctx);
    const attached = role.policyArns
      .map((arn) => findPolicy(ctx.account, arn))
      .filter((p) => p !== undefined);
    const page = paginateInOrder(attached, ctx.params.page());
    return {
      AttachedPolicies: page.items.map((p) => ({ PolicyName: p.policyName, PolicyArn: p.arn })),
      ...pageXml(page),
    };
  },

  TagRole: (ctx) => {
    mergeTags(namedRole(ctx).tags, ctx.params.tags());
    return undefined;
  },

  UntagRole: (ctx) => {
    const role = namedRole(ctx);
    for (const key of ctx.params.list('TagKeys', IAM_FIELDS.tagKey)) role.tags.delete(key.toLowerCase());
    return undefined;
  },

  ListRoleTags: (ctx) => {
    const page = paginateInOrder(tagList(namedRole(ctx).tags), ctx.params.page());
    return { Tags: tagsXml(page.items), ...pageXml(page) };
  },
};
