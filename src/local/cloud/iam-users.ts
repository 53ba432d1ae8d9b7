/**
 * IAM users, their console passwords (login profiles), access keys and tags. Quotas and conflicts follow
 * AWS: two access keys per user, 50 tags per user, and DeleteUser refuses while anything still hangs off
 * the user (DeleteConflict), because IAM never cascades deletes.
 */

import { awsId, awsSecret } from './credentials.ts';
import { iamErrors } from './iam-errors.ts';
import { IAM_FIELDS } from './iam-fields.ts';
import { type IamContext, type IamHandler, pageXml, tagsXml, userXml } from './iam-handler.ts';
import {
  type AccessKeyRecord,
  type IamAccount,
  type IamUser,
  mergeTags,
  requireUser,
  type Tag,
  tagList,
  toTagSet,
  userKey,
} from './iam-state.ts';
import { byKey, paginate, paginateInOrder } from './pagination.ts';
import { validationError } from './query-input.ts';

const ACCESS_KEYS_PER_USER = 2;

/** Creates a user (CreateUser). */
export function createUser(
  account: IamAccount,
  input: { userName: string; path?: string | undefined; tags?: readonly Tag[] },
  now: Date,
): IamUser {
  const key = userKey(input.userName);
  if (account.users.has(key))
    throw iamErrors.alreadyExists(`User with name ${input.userName} already exists.`);
  if (account.users.size >= account.usersQuota) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for UsersPerAccount: ${account.usersQuota}`);
  }
  const path = input.path ?? '/';
  const tags = toTagSet([]);
  mergeTags(tags, input.tags ?? []);
  const user: IamUser = {
    userName: input.userName,
    userId: awsId('AIDA', 17),
    arn: `arn:aws:iam::${account.accountId}:user${path}${input.userName}`,
    path,
    createDate: now,
    tags,
    policyArns: [],
    accessKeys: [],
    mfaSerials: [],
  };
  account.users.set(key, user);
  return user;
}

/** Gives the user a console password (CreateLoginProfile). */
export function createLoginProfile(user: IamUser, passwordResetRequired: boolean, now: Date): void {
  if (user.loginProfile) {
    throw iamErrors.alreadyExists(`Login Profile for user ${user.userName} already exists.`);
  }
  user.loginProfile = { createDate: now, passwordResetRequired };
}

/** Creates an access key (CreateAccessKey); at most two per user. */
export function createAccessKey(user: IamUser, now: Date): AccessKeyRecord {
  if (user.accessKeys.length >= ACCESS_KEYS_PER_USER) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
  }
  const key: AccessKeyRecord = {
    accessKeyId: awsId('AKIA', 16),
    secretAccessKey: awsSecret(),
    status: 'Active',
    createDate: now,
  };
  user.accessKeys.push(key);
  return key;
}

/**
 * The user a request names, or, when `UserName` is absent, the caller: an IAM user signing with its own key,
 * or the account's root; a role session gets AWS's ValidationError.
 */
function targetUser(ctx: IamContext, required = false): IamUser | 'root' {
  const userName = required
    ? ctx.params.required('UserName', IAM_FIELDS.userName)
    : ctx.params.optional('UserName', IAM_FIELDS.userName);
  if (userName !== undefined) return requireUser(ctx.account, userName);
  if (ctx.caller.kind === 'user') return requireUser(ctx.account, ctx.caller.user.userName);
  if (ctx.caller.kind === 'role-session') {
    throw validationError('userName', null, 'Must specify userName when calling with non-User credentials');
  }
  return 'root';
}

function namedUser(ctx: IamContext): IamUser {
  return requireUser(ctx.account, ctx.params.required('UserName', IAM_FIELDS.userName));
}

/** Access key operations name the user; for the root caller the local cloud has no root keys to manage. */
function keyOwner(ctx: IamContext): IamUser {
  const user = targetUser(ctx);
  if (user === 'root') throw iamErrors.noSuchEntity('The local cloud does not manage root access keys.');
  return user;
}

function requireKey(user: IamUser, accessKeyId: string): AccessKeyRecord {
  const key = user.accessKeys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) throw iamErrors.noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
  return key;
}

/** The sorted user listing ListUsers and ListEntitiesForPolicy page through. */
export function sortedUsers(account: IamAccount, pathPrefix = '/'): IamUser[] {
  // Sorted by the map's keys, which are already the userKey: lower-casing both names at every comparison
  // doubled the cost of each ListUsers page in a 10,000-user account.
  return [...account.users]
    .filter(([, user]) => user.path.startsWith(pathPrefix))
    .sort(byKey(([key]) => key))
    .map(([, user]) => user);
}

export const userHandlers: Record<string, IamHandler> = {
  CreateUser: (ctx) => {
    const user = createUser(
      ctx.account,
      {
        userName: ctx.params.required('UserName', IAM_FIELDS.userName),
        path: ctx.params.optional('Path', IAM_FIELDS.path),
        tags: ctx.params.tags(),
      },
      ctx.now,
    );
    return { User: userXml(user, { withTags: true }) };
  },

  GetUser: (ctx) => {
    const user = targetUser(ctx);
    if (user === 'root') {
      // The root user: its "user id" is the account id and it has no name or path.
      return {
        User: {
          UserId: ctx.account.accountId,
          Arn: `arn:aws:iam::${ctx.account.accountId}:root`,
          CreateDate: ctx.account.createDate,
        },
      };
    }
    return { User: userXml(user, { withTags: true }) };
  },

  DeleteUser: (ctx) => {
    const user = namedUser(ctx);
    const blocker =
      (user.loginProfile && 'must delete login profile first') ||
      (user.accessKeys.length > 0 && 'must delete access keys first') ||
      (user.mfaSerials.length > 0 && 'must delete MFA device first') ||
      (user.policyArns.length > 0 && 'must detach all policies first');
    if (blocker) throw iamErrors.deleteConflict(`Cannot delete entity, ${blocker}.`);
    ctx.account.users.delete(userKey(user.userName));
    return undefined;
  },

  ListUsers: (ctx) => {
    const pathPrefix = ctx.params.optional('PathPrefix', IAM_FIELDS.pathPrefix);
    const page = paginate(
      sortedUsers(ctx.account, pathPrefix),
      (u) => userKey(u.userName),
      ctx.params.page(),
    );
    return { Users: page.items.map((u) => userXml(u)), ...pageXml(page) };
  },

  CreateLoginProfile: (ctx) => {
    const user = namedUser(ctx);
    const password = ctx.params.required('Password', IAM_FIELDS.password);
    // The default account password policy: at least 8 characters.
    if (password.length < 8) {
      throw iamErrors.passwordPolicy('Password should have a minimum length of 8');
    }
    const reset = ctx.params.boolean('PasswordResetRequired') ?? false;
    createLoginProfile(user, reset, ctx.now);
    return { LoginProfile: loginProfileXml(user) };
  },

  GetLoginProfile: (ctx) => {
    const user = namedUser(ctx);
    if (!user.loginProfile) {
      throw iamErrors.noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
    }
    return { LoginProfile: loginProfileXml(user) };
  },

  DeleteLoginProfile: (ctx) => {
    const user = namedUser(ctx);
    if (!user.loginProfile) {
      throw iamErrors.noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
    }
    delete user.loginProfile;
    return undefined;
  },

  CreateAccessKey: (ctx) => {
    const user = keyOwner(ctx);
    const key = createAccessKey(user, ctx.now);
    return {
      AccessKey: {
        UserName: user.userName,
        AccessKeyId: key.accessKeyId,
        Status: key.status,
        SecretAccessKey: key.secretAccessKey,
        CreateDate: key.createDate,
      },
    };
  },

  ListAccessKeys: (ctx) => {
    const user = keyOwner(ctx);
    const page = paginateInOrder(user.accessKeys, ctx.params.page());
    return {
      AccessKeyMetadata: page.items.map((k) => ({
        UserName: user.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: k.createDate,
      })),
      ...pageXml(page),
    };
  },

  UpdateAccessKey: (ctx) => {
    const user = keyOwner(ctx);
    const key = requireKey(user, ctx.params.required('AccessKeyId', IAM_FIELDS.accessKeyId));
    const status = ctx.params.oneOf('Status', ['Active', 'Inactive'] as const);
    if (status === undefined) throw validationError('status', null, 'Member must not be null');
    key.status = status;
    return undefined;
  },

  DeleteAccessKey: (ctx) => {
    const user = keyOwner(ctx);
    const key = requireKey(user, ctx.params.required('AccessKeyId', IAM_FIELDS.accessKeyId));
    user.accessKeys.splice(user.accessKeys.indexOf(key), 1);
    return undefined;
  },

  TagUser: (ctx) => {
    const user = namedUser(ctx);
    mergeTags(user.tags, ctx.params.tags());
    return undefined;
  },

  UntagUser: (ctx) => {
    const user = namedUser(ctx);
    for (const key of ctx.params.list('TagKeys', IAM_FIELDS.tagKey)) user.tags.delete(key.toLowerCase());
    return undefined;
  },

  ListUserTags: (ctx) => {
    const user = namedUser(ctx);
    const page = paginateInOrder(tagList(user.tags), ctx.params.page());
    return { Tags: tagsXml(page.items), ...pageXml(page) };
  },
};

function loginProfileXml(user: IamUser) {
  return {
    UserName: user.userName,
    CreateDate: user.loginProfile?.createDate,
    PasswordResetRequired: user.loginProfile?.passwordResetRequired ?? false,
  };
}
