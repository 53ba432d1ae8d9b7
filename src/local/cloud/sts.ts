/**
 * The STS emulator (query protocol, `https://sts.amazonaws.com/doc/2011-06-15/`): who am I, and role
 * sessions into the accounts of the local organisation. Roles are not modelled: any role name in a known,
 * active account can be assumed (as if every account had deployed the member role). Credentials issued here
 * are what the server later maps back to the role's account.
 */
import { AwsApiError, type EmulatedService, type LocalCloudEnv, type LocalRequest } from '../cloud-types.ts';
import type { CallerIdentity, CredentialRegistry } from './credentials.ts';
import { type FieldRule, QueryInput, validationError } from './query-input.ts';
import { queryAction, queryParams, toXml, type XmlValue, xmlResponse } from './query-protocol.ts';

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const FIELDS = {
  roleArn: { min: 20, max: 2048 },
  roleSessionName: { pattern: '[\\w+=,.@-]*', min: 2, max: 64 },
  externalId: { pattern: '[\\w+=,.@:\\/-]*', min: 2, max: 1224 },
  policy: { min: 1, max: 2048 },
} as const satisfies Record<string, FieldRule>;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\u0021-\u007F]*\/)?([\w+=,.@-]{1,64})$/;

/** The ARN STS reports for a caller: the account's root, or `assumed-role/ROLE/SESSION`. */
export function callerArn(caller: CallerIdentity): string {
  return caller.kind === 'role-session'
    ? `arn:aws:sts::${caller.accountId}:assumed-role/${caller.session.roleName}/${caller.session.sessionName}`
    : `arn:aws:iam::${caller.accountId}:root`;
}

/** Creates the STS emulator; it issues sessions into `credentials`. */
export function createStsService(env: LocalCloudEnv, credentials: CredentialRegistry): EmulatedService {
  const operations: Record<string, (req: LocalRequest, input: QueryInput) => XmlValue> = {
    GetCallerIdentity: (req) => {
      const caller = credentials.identify(req.accessKeyId);
      return {
        UserId:
          caller.kind === 'role-session'
            ? `${caller.session.roleId}:${caller.session.sessionName}`
            : caller.accountId,
        Account: caller.accountId,
        Arn: callerArn(caller),
      };
    },

    AssumeRole: (req, input) => {
      const roleArn = input.required('RoleArn', FIELDS.roleArn);
      const sessionName = input.required('RoleSessionName', FIELDS.roleSessionName);
      const durationSeconds = input.integer('DurationSeconds', 900, 43_200) ?? 3600;
      input.optional('ExternalId', FIELDS.externalId);
      input.optional('Policy', FIELDS.policy);
      const match = ROLE_ARN.exec(roleArn);
      if (!match) throw validationError('roleArn', roleArn, 'Member must be a valid IAM role ARN');
      const [, accountId = '', roleName = ''] = match;
      // An account outside the organisation (or suspended) has no role that trusts the caller: AWS answers
      // AccessDenied, not NoSuchEntity, so as not to reveal which roles exist.
      if (env.accountInfo(accountId)?.status !== 'ACTIVE') {
        throw new AwsApiError(
          'AccessDenied',
          `User: ${callerArn(credentials.identify(req.accessKeyId))} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      }
      const session = credentials.issue({
        accountId,
        roleName,
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
          Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
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
    reset() {
      // Sessions live in the shared credential registry, which the server resets.
    },
  };
}
