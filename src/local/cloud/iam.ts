/**
 * The IAM emulator: the AWS query protocol over `https://iam.amazonaws.com/doc/2010-05-08/`, state
 * partitioned per account (the caller's, as resolved by the server from its access key), with the operations
 * the product, its tests and its demos use. Operation modules: `iam-users.ts`, `iam-policies.ts`,
 * `iam-mfa.ts` (TOTP in `iam-totp.ts`), `iam-credential-report.ts`, `iam-account.ts`.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalRequest,
  type LocalResponse,
} from '../cloud-types.ts';
import { type CredentialRegistry, createCredentialRegistry } from './credentials.ts';
import { accountHandlers } from './iam-account.ts';
import { credentialReportHandlers } from './iam-credential-report.ts';
import type { IamHandler } from './iam-handler.ts';
import { createWriteLocks, DEFAULT_CONFLICT_WINDOW_MS } from './iam-locks.ts';
import { mfaHandlers } from './iam-mfa.ts';
import { policyHandlers } from './iam-policies.ts';
import { roleHandlers } from './iam-roles.ts';
import {
  createIamAccount,
  type IamAccount,
  type IamRole,
  type IamUser,
  tagList,
  userKey,
} from './iam-state.ts';
import { userHandlers } from './iam-users.ts';
import { QueryInput } from './query-input.ts';
import { queryAction, queryParams, renderQueryError, toXml, xmlResponse } from './query-protocol.ts';

export const IAM_XML_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

const HANDLERS: Readonly<Record<string, IamHandler>> = {
  ...userHandlers,
  ...policyHandlers,
  ...roleHandlers,
  ...mfaHandlers,
  ...credentialReportHandlers,
  ...accountHandlers,
};

/** IAM's mutating operations, by verb (what the fault SPEC's `write` matches). */
const WRITE_VERBS =
  /^(Add|Attach|Change|Create|Deactivate|Delete|Detach|Enable|Put|Remove|Reset|Resync|Set|Tag|Untag|Update|Upload)/;

/** A user as tests see it: plain data, detached from the emulator's state. */
export interface IamUserSnapshot {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: string;
  readonly tags: Record<string, string>;
  readonly attachedPolicyArns: string[];
  readonly hasLoginProfile: boolean;
  readonly accessKeys: { accessKeyId: string; status: 'Active' | 'Inactive' }[];
  readonly mfaSerialNumbers: string[];
}

export interface IamAccountSnapshot {
  readonly accountId: string;
  readonly rootMfaEnabled: boolean;
  readonly users: IamUserSnapshot[];
  readonly policies: { arn: string; policyName: string; path: string }[];
  readonly virtualMfaDevices: { serialNumber: string; userName?: string; outOfSync: boolean }[];
}

/** The IAM service plus in-process access for tests and `/_local/seed`. */
export interface IamService extends EmulatedService {
  /** The account's IAM state, created (with the guard policy) on first use. */
  account(accountId: string): IamAccount;
  getUser(accountId: string, userName: string): IamUserSnapshot | undefined;
  /** A role of an account the local cloud knows, by name (STS AssumeRole looks its trust policy up here). */
  role(accountId: string, roleName: string): IamRole | undefined;
  /** The unique id of a role or user named by ARN, if it exists (what IAM resolves trust principals to). */
  resolvePrincipal(principalArn: string): string | undefined;
  /** The base32 TOTP seed of a virtual MFA device, so tests can compute codes with otpauth. */
  deviceSeed(accountId: string, serialNumber: string): string | undefined;
  /** Whether a device was enabled with stale codes and has not been resynchronised since. */
  isOutOfSync(accountId: string, serialNumber: string): boolean;
  snapshot(accountId: string): IamAccountSnapshot;
}

export interface IamServiceOptions {
  /** Identifies callers (root, role sessions, users' own keys); defaults to a registry of its own. */
  readonly credentials?: CredentialRegistry;
  /** Milliseconds each write to a user holds it (see iam-locks.ts); default a few. */
  readonly conflictWindowMs?: number;
  /** UsersPerAccount quota of every account (default AWS's 5,000). */
  readonly usersPerAccount?: number;
}

function userSnapshot(user: IamUser): IamUserSnapshot {
  return {
    userName: user.userName,
    userId: user.userId,
    arn: user.arn,
    path: user.path,
    createDate: user.createDate.toISOString(),
    tags: Object.fromEntries(tagList(user.tags).map((t) => [t.Key, t.Value])),
    attachedPolicyArns: [...user.policyArns],
    hasLoginProfile: user.loginProfile !== undefined,
    accessKeys: user.accessKeys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status })),
    mfaSerialNumbers: [...user.mfaSerials],
  };
}

/** Creates the IAM emulator. */
export function createIamService(env: LocalCloudEnv, options: IamServiceOptions = {}): IamService {
  const credentials = options.credentials ?? createCredentialRegistry(env.defaultAccountId);
  const accounts = new Map<string, IamAccount>();
  const locks = createWriteLocks({ windowMs: options.conflictWindowMs ?? DEFAULT_CONFLICT_WINDOW_MS });

  const account = (accountId: string): IamAccount => {
    let found = accounts.get(accountId);
    if (!found) {
      found = createIamAccount(accountId, new Date(env.now()), options.usersPerAccount);
      accounts.set(accountId, found);
    }
    return found;
  };
  const isWrite = (operation: string) => WRITE_VERBS.test(operation);
  // An IAM user's own key signs as that user, in its account (GetCallerIdentity, requests without UserName).
  // Long-term keys are `AKIA…` (CreateAccessKey); any other key is never a user's, so only those are looked up.
  credentials.lookUpUserKeysWith((accessKeyId) => {
    if (!accessKeyId.startsWith('AKIA')) return undefined;
    for (const state of accounts.values()) {
      for (const user of state.users.values()) {
        if (!user.accessKeys.some((key) => key.accessKeyId === accessKeyId)) continue;
        const { userName, arn, userId } = user;
        return { accountId: state.accountId, userName, arn, userId };
      }
    }
    return undefined;
  });
  const resolvePrincipal = (principalArn: string): string | undefined => {
    const match = /^arn:aws:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(principalArn);
    if (!match) return undefined;
    const [, accountId = '', kind, name = ''] = match;
    const state = accounts.get(accountId);
    const entity = kind === 'role' ? state?.roles.get(name.toLowerCase()) : state?.users.get(userKey(name));
    if (!entity || entity.arn !== principalArn) return undefined;
    return 'roleId' in entity ? entity.roleId : entity.userId;
  };

  return {
    name: 'iam',
    protocol: 'query',
    operationOf: (req) => queryAction(req),
    isWrite,

    admit(req: LocalRequest, operation: string) {
      if (!isWrite(operation)) return undefined;
      const userName = queryParams(req).get('UserName');
      if (!userName) return undefined;
      return locks.acquire(`${req.accountId}/${userKey(userName)}`, userName);
    },

    async handle(req: LocalRequest, operation: string): Promise<LocalResponse> {
      const handler = HANDLERS[operation];
      if (!handler) {
        throw new AwsApiError(
          'InvalidAction',
          `The action ${operation} is not valid for this web service.`,
          400,
        );
      }
      const holdsUser = isWrite(operation) && queryParams(req).has('UserName') && locks.windowMs > 0;
      const result = await handler({
        params: new QueryInput(queryParams(req)),
        account: account(req.accountId),
        now: new Date(env.now()),
        caller: credentials.identify(req.accessKeyId),
        resolvePrincipal,
      });
      // The write keeps its user (the lock the server released after this returns) for IAM's few milliseconds.
      if (holdsUser) await sleep(locks.windowMs);
      return xmlResponse(operation, result === undefined ? undefined : toXml(result), {
        namespace: IAM_XML_NAMESPACE,
        requestId: req.requestId,
      });
    },

    // Error documents carry the namespace success documents do, as IAM's own do.
    renderError: (err, requestId) => renderQueryError(err, requestId, IAM_XML_NAMESPACE),

    reset() {
      accounts.clear();
      locks.reset();
    },

    account,
    role: (accountId, roleName) => accounts.get(accountId)?.roles.get(roleName.toLowerCase()),
    resolvePrincipal,
    getUser(accountId, userName) {
      const user = accounts.get(accountId)?.users.get(userKey(userName));
      return user ? userSnapshot(user) : undefined;
    },
    deviceSeed: (accountId, serialNumber) => accounts.get(accountId)?.devices.get(serialNumber)?.seed,
    isOutOfSync: (accountId, serialNumber) =>
      accounts.get(accountId)?.devices.get(serialNumber)?.sync.outOfSync ?? false,
    snapshot(accountId) {
      const state = account(accountId);
      return {
        accountId,
        rootMfaEnabled: state.rootMfaEnabled,
        users: [...state.users.values()].map(userSnapshot),
        policies: [...state.policies.values()].map((p) => ({
          arn: p.arn,
          policyName: p.policyName,
          path: p.path,
        })),
        virtualMfaDevices: [...state.devices.values()].map((d) => {
          const holder = d.assignment ? state.users.get(d.assignment.userKey)?.userName : undefined;
          return {
            serialNumber: d.serialNumber,
            ...(holder === undefined ? {} : { userName: holder }),
            outOfSync: d.sync.outOfSync,
          };
        }),
      };
    },
  };
}
