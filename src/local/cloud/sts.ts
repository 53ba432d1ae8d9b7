/**
 * The STS emulator (query protocol, `https://sts.amazonaws.com/doc/2011-06-15/`): who am I, and role
 * sessions. AssumeRole answers as AWS does: the role must exist in an active account of the local
 * organisation and its trust policy must allow the calling principal (with the request's `sts:ExternalId`
 * and other condition keys), else AccessDenied (403) — the same answer for a missing role, so callers learn
 * nothing about which roles exist; DurationSeconds may not exceed the role's MaxSessionDuration, nor one hour
 * when the caller is itself a role session (role chaining). Credentials issued here are what the server later
 * maps back to the role's account and session.
 */
import { AwsApiError, type EmulatedService, type LocalCloudEnv, type LocalRequest } from '../cloud-types.ts';
import type { CallerIdentity, CredentialRegistry } from './credentials.ts';
import type { IamService } from './iam.ts';
import { assumeRoleContext, type TrustCaller, trustAllows } from './iam-trust.ts';
import { LOCAL_ORGANIZATION_ID } from './organizations.ts';
import { type FieldRule, QueryInput, validationError } from './query-input.ts';
import {
  queryAction,
  queryParams,
  renderQueryError,
  toXml,
  type XmlValue,
  xmlResponse,
} from './query-protocol.ts';

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const FIELDS = {
  roleArn: { min: 20, max: 2048 },
  roleSessionName: { pattern: '[\\w+=,.@-]*', min: 2, max: 64 },
  externalId: { pattern: '[\\w+=,.@:\\/-]*', min: 2, max: 1224 },
  policy: { min: 1, max: 2048 },
} as const satisfies Record<string, FieldRule>;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\u0021-\u007F]*\/)?([\w+=,.@-]{1,64})$/;
/** AWS caps role-chained sessions (a role session assuming a role) at one hour, whatever the role allows. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

/** The ARN STS reports for a caller: the account's root, the IAM user, or `assumed-role/ROLE/SESSION`. */
export function callerArn(caller: CallerIdentity): string {
  switch (caller.kind) {
    case 'role-session':
      return `arn:aws:sts::${caller.accountId}:assumed-role/${caller.session.roleName}/${caller.session.sessionName}`;
    case 'user':
      return caller.user.arn;
    default:
      return `arn:aws:iam::${caller.accountId}:root`;
  }
}

/** `UserId` as GetCallerIdentity reports it (and `aws:userid`): the account id for root. */
function callerUserId(caller: CallerIdentity): string {
  switch (caller.kind) {
    case 'role-session':
      return `${caller.session.roleId}:${caller.session.sessionName}`;
    case 'user':
      return caller.user.userId;
    default:
      return caller.accountId;
  }
}

/** The caller as a trust policy sees it. */
function trustCaller(caller: CallerIdentity): TrustCaller {
  const base = { accountId: caller.accountId, arn: callerArn(caller), userId: callerUserId(caller) };
  if (caller.kind === 'role-session') {
    return { ...base, role: { arn: caller.session.roleArn, roleId: caller.session.roleId } };
  }
  return caller.kind === 'user'
    ? { ...base, user: { arn: caller.user.arn, userId: caller.user.userId } }
    : base;
}

/** Creates the STS emulator; it finds roles in `iam` and issues sessions into `credentials`. */
export function createStsService(
  env: LocalCloudEnv,
  credentials: CredentialRegistry,
  iam: Pick<IamService, 'role'>,
): EmulatedService {
  const operations: Record<string, (req: LocalRequest, input: QueryInput) => XmlValue> = {
    GetCallerIdentity: (req) => {
      const caller = credentials.identify(req.accessKeyId);
      return {
        UserId: callerUserId(caller),
        Account: caller.accountId,
        Arn: callerArn(caller),
      };
    },

    AssumeRole: (req, input) => {
      const roleArn = input.required('RoleArn', FIELDS.roleArn);
      const sessionName = input.required('RoleSessionName', FIELDS.roleSessionName);
      const requested = input.integer('DurationSeconds', 900, 43_200);
      const externalId = input.optional('ExternalId', FIELDS.externalId);
      input.optional('Policy', FIELDS.policy);
      const match = ROLE_ARN.exec(roleArn);
      if (!match) throw validationError('roleArn', roleArn, 'Member must be a valid IAM role ARN');
      const [, accountId = '', roleName = ''] = match;
      const caller = credentials.identify(req.accessKeyId);
      const who = trustCaller(caller);
      const role =
        env.accountInfo(accountId)?.status === 'ACTIVE' ? iam.role(accountId, roleName) : undefined;
      const context = assumeRoleContext(who, {
        externalId,
        sessionName,
        organizationId: env.accountInfo(caller.accountId) ? LOCAL_ORGANIZATION_ID : undefined,
      });
      if (!role || !trustAllows(role.trust, who, 'sts:AssumeRole', context)) {
        throw new AwsApiError(
          'AccessDenied',
          `User: ${who.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      }
      const durationSeconds = requested ?? 3600;
      if (caller.kind === 'role-session' && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
        throw new AwsApiError(
          'ValidationError',
          'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
          400,
        );
      }
      if (durationSeconds > role.maxSessionDuration) {
        throw new AwsApiError(
          'ValidationError',
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
          400,
        );
      }
      const session = credentials.issue({
        accountId,
        roleName: role.roleName,
        roleArn: role.arn,
        roleId: role.roleId,
        sessionName,
        expiration: new Date(env.now() + durationSeconds * 1000),
      });
      return {
        Credentials: {
          AccessKeyId: session.accessKeyId,
          SecretAccessKey: session.secretAccessKey,
          SessionToken: session.sessionToken,
          Expiration: session.expiration,
        },
        AssumedRoleUser: {
          AssumedRoleId: `${session.roleId}:${sessionName}`,
          Arn: `arn:aws:sts::${accountId}:assumed-role/${role.roleName}/${sessionName}`,
        },
        PackedPolicySize: 0,
      };
    },
  };

  return {
    name: 'sts',
    protocol: 'query',
    operationOf: (req) => queryAction(req),
    isWrite: () => false,
    handle(req, operation) {
      const run = operations[operation];
      if (!run) {
        throw new AwsApiError(
          'InvalidAction',
          `Could not find operation ${operation} for version 2011-06-15`,
          400,
        );
      }
      const result = run(req, new QueryInput(queryParams(req)));
      return xmlResponse(operation, toXml(result), {
        namespace: STS_XML_NAMESPACE,
        requestId: req.requestId,
      });
    },
    renderError: (err, requestId) => renderQueryError(err, requestId, STS_XML_NAMESPACE),
    reset() {
      // Sessions live in the shared credential registry, which the server resets.
    },
  };
}
