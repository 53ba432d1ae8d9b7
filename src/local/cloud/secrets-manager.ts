/**
 * AWS Secrets Manager emulator for the local cloud (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Op>`):
 * create, version, read, describe, tag and delete secrets, partitioned by the caller's account.
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalRequest,
  type LocalResponse,
} from '../cloud-types.ts';
import { jsonResponse, parseJsonObject, targetOperation } from './json-protocol.ts';
import { paginateByOffset } from './pagination.ts';
import {
  addVersion,
  CURRENT,
  findVersion,
  type Secret,
  type SecretValue,
  sameValue,
  versionStages,
} from './secrets-manager-secret.ts';

export type { Secret } from './secrets-manager-secret.ts';

/** The Secrets Manager emulator plus in-process access for tests. */
export interface SecretsManagerService extends EmulatedService {
  /** The current string value of a secret (by account and name), without touching LastAccessedDate. */
  secretString(accountId: string, name: string): string | undefined;
  /** Every secret of an account, deleted-pending ones included. */
  secrets(accountId: string): readonly Secret[];
}

const TARGET_PREFIX = 'secretsmanager.';
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_SECRET_BYTES = 65_536;
const DAY_MS = 86_400_000;
const WRITE_OPERATIONS = new Set([
  'CreateSecret',
  'PutSecretValue',
  'DeleteSecret',
  'RestoreSecret',
  'TagResource',
  'UntagResource',
  'UpdateSecret',
]);

type Input = Record<string, unknown>;

const invalidParameter = (message: string) => new AwsApiError('InvalidParameterException', message);
const notFound = () =>
  new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new AwsApiError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

/** Creates the Secrets Manager emulator. */
export function createSecretsManagerService(env: LocalCloudEnv): SecretsManagerService {
  // account → name → secret
  const accounts = new Map<string, Map<string, Secret>>();
  const secretsOf = (accountId: string) => {
    let map = accounts.get(accountId);
    if (!map) {
      map = new Map();
      accounts.set(accountId, map);
    }
    return map;
  };

  /** Drops secrets whose recovery window has passed. */
  function purgeExpired(accountId: string): void {
    const now = env.now();
    for (const [name, secret] of secretsOf(accountId)) {
      if (secret.deletionDate !== undefined && secret.deletionDate <= now) secretsOf(accountId).delete(name);
    }
  }

  /** A SecretId is a name, a full ARN, or a partial ARN (without the random suffix). */
  function resolve(secretId: unknown, req: LocalRequest): Secret {
    if (typeof secretId !== 'string' || secretId === '') throw invalidParameter('SecretId is required.');
    const accountId = secretId.startsWith('arn:') ? (secretId.split(':')[4] ?? '') : req.accountId;
    purgeExpired(accountId);
    const all = secretsOf(accountId);
    if (!secretId.startsWith('arn:')) {
      const secret = all.get(secretId);
      if (!secret) throw notFound();
      return secret;
    }
    for (const secret of all.values()) {
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    throw notFound();
  }

  function resolveLive(secretId: unknown, req: LocalRequest): Secret {
    const secret = resolve(secretId, req);
    if (secret.deletionDate !== undefined) throw markedForDeletion();
    return secret;
  }

  function createSecret(input: Input, req: LocalRequest) {
    const name = input.Name;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    const value = secretValue(input, false);
    const token = requestToken(input);
    purgeExpired(req.accountId);
    const all = secretsOf(req.accountId);
    const existing = all.get(name);
    if (existing) {
      if (existing.deletionDate !== undefined) {
        throw new AwsApiError(
          'InvalidRequestException',
          `You can't create this secret because a secret with this name is already scheduled for deletion.`,
        );
      }
      // A retried CreateSecret (same ClientRequestToken and value) succeeds again.
      const version = existing.versions.get(token);
      if (version && value && sameValue(version, value)) {
        return { ARN: existing.arn, Name: name, VersionId: token };
      }
      throw new AwsApiError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const now = env.now();
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${req.region || env.defaultRegion}:${req.accountId}:secret:${name}-${suffix()}`,
      accountId: req.accountId,
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      ...(typeof input.KmsKeyId === 'string' ? { kmsKeyId: input.KmsKeyId } : {}),
      tags: tagList(input.Tags),
      versions: new Map(),
      createdAt: now,
      lastChangedAt: now,
    };
    if (value) addVersion(secret, token, value, [CURRENT], now);
    all.set(name, secret);
    return { ARN: secret.arn, Name: name, ...(value ? { VersionId: token } : {}) };
  }

  function putSecretValue(input: Input, req: LocalRequest) {
    const secret = resolveLive(input.SecretId, req);
    const value = secretValue(input, true)!;
    const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : [CURRENT];
    const version = addVersion(secret, requestToken(input), value, stages, env.now());
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  function getSecretValue(input: Input, req: LocalRequest) {
    const secret = resolveLive(input.SecretId, req);
    const version = findVersion(
      secret,
      typeof input.VersionId === 'string' ? input.VersionId : undefined,
      typeof input.VersionStage === 'string' ? input.VersionStage : undefined,
    );
    secret.lastAccessedAt = env.now();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined
        ? { SecretBinary: version.secretBinary.toString('base64') }
        : {}),
      VersionStages: [...version.stages],
      CreatedDate: seconds(version.createdAt),
    };
  }

  function describeSecret(input: Input, req: LocalRequest) {
    return describe(resolve(input.SecretId, req), true);
  }

  function listSecrets(input: Input, req: LocalRequest) {
    purgeExpired(req.accountId);
    const includeDeleted = input.IncludePlannedDeletion === true;
    const filters = Array.isArray(input.Filters)
      ? (input.Filters as { Key?: string; Values?: string[] }[])
      : [];
    const list = [...secretsOf(req.accountId).values()]
      .filter((s) => includeDeleted || s.deletionDate === undefined)
      .filter((s) => filters.every((f) => matchesFilter(s, f)))
      .sort((a, b) => a.createdAt - b.createdAt);
    const max = typeof input.MaxResults === 'number' ? input.MaxResults : 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw invalidParameter('MaxResults must be between 1 and 100.');
    const page = paginateByOffset(
      list,
      input.NextToken,
      max,
      () => new AwsApiError('InvalidNextTokenException', 'The NextToken value is invalid.'),
    );
    return {
      SecretList: page.items.map((s) => describe(s, false)),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  function tagResource(input: Input, req: LocalRequest) {
    const secret = resolveLive(input.SecretId, req);
    for (const tag of tagList(input.Tags)) {
      secret.tags = [...secret.tags.filter((t) => t.Key !== tag.Key), tag];
    }
    secret.lastChangedAt = env.now();
    return {};
  }

  function untagResource(input: Input, req: LocalRequest) {
    const secret = resolveLive(input.SecretId, req);
    const keys = Array.isArray(input.TagKeys) ? (input.TagKeys as string[]) : [];
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    secret.lastChangedAt = env.now();
    return {};
  }

  function deleteSecret(input: Input, req: LocalRequest) {
    const secret = resolve(input.SecretId, req);
    const force = input.ForceDeleteWithoutRecovery === true;
    const window = input.RecoveryWindowInDays;
    if (force && window !== undefined) {
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const days = window === undefined ? 30 : Number(window);
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    if (secret.deletionDate !== undefined && !force) throw markedForDeletion();
    const now = env.now();
    if (force) secretsOf(secret.accountId).delete(secret.name);
    else secret.deletionDate = now + days * DAY_MS;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(force ? now : secret.deletionDate!) };
  }

  function restoreSecret(input: Input, req: LocalRequest) {
    const secret = resolve(input.SecretId, req);
    secret.deletionDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  const operations: Readonly<Record<string, (input: Input, req: LocalRequest) => unknown>> = {
    CreateSecret: createSecret,
    PutSecretValue: putSecretValue,
    GetSecretValue: getSecretValue,
    DescribeSecret: describeSecret,
    ListSecrets: listSecrets,
    TagResource: tagResource,
    UntagResource: untagResource,
    DeleteSecret: deleteSecret,
    RestoreSecret: restoreSecret,
  };

  return {
    name: 'secretsmanager',
    protocol: 'json-1.1',
    operationOf: (req) => targetOperation(req, TARGET_PREFIX),
    isWrite: (operation) => WRITE_OPERATIONS.has(operation),
    handle(req, operation): LocalResponse {
      const run = operations[operation];
      if (!run)
        throw new AwsApiError('UnknownOperationException', `The local cloud does not emulate ${operation}.`);
      return jsonResponse('json-1.1', run(parseJsonObject(req.body), req));
    },
    reset() {
      accounts.clear();
    },
    secretString(accountId, name) {
      const secret = accounts.get(accountId)?.get(name);
      return [...(secret?.versions.values() ?? [])].find((v) => v.stages.includes(CURRENT))?.secretString;
    },
    secrets: (accountId) => [...(accounts.get(accountId)?.values() ?? [])],
  };
}

/** DescribeSecret / ListSecrets entry. JSON 1.1 timestamps are epoch seconds; LastAccessedDate is a day. */
function describe(secret: Secret, forDescribe: boolean): Record<string, unknown> {
  const stages = versionStages(secret);
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined ? { Description: secret.description } : {}),
    ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
    RotationEnabled: false,
    LastChangedDate: seconds(secret.lastChangedAt),
    ...(secret.lastAccessedAt !== undefined
      ? { LastAccessedDate: seconds(Math.floor(secret.lastAccessedAt / DAY_MS) * DAY_MS) }
      : {}),
    ...(secret.deletionDate !== undefined ? { DeletedDate: seconds(secret.deletionDate) } : {}),
    ...(secret.tags.length > 0 ? { Tags: secret.tags.map((t) => ({ ...t })) } : {}),
    ...(forDescribe ? { VersionIdsToStages: stages } : { SecretVersionsToStages: stages }),
    CreatedDate: seconds(secret.createdAt),
  };
}

function matchesFilter(secret: Secret, filter: { Key?: string; Values?: string[] }): boolean {
  const values = filter.Values ?? [];
  const test = (candidate: string | undefined) =>
    candidate !== undefined &&
    values.some((v) => (v.startsWith('!') ? !candidate.startsWith(v.slice(1)) : candidate.startsWith(v)));
  switch (filter.Key) {
    case 'name':
      return test(secret.name);
    case 'description':
      return test(secret.description);
    case 'tag-key':
      return secret.tags.some((t) => test(t.Key));
    case 'tag-value':
      return secret.tags.some((t) => test(t.Value));
    case 'all':
      return (
        test(secret.name) || test(secret.description) || secret.tags.some((t) => test(t.Key) || test(t.Value))
      );
    default:
      throw invalidParameter(`Invalid filter key: ${String(filter.Key)}`);
  }
}

/** SecretString or SecretBinary (base64 on the wire), never both; required for PutSecretValue. */
function secretValue(input: Input, required: boolean): SecretValue | undefined {
  const hasString = typeof input.SecretString === 'string';
  const hasBinary = typeof input.SecretBinary === 'string';
  if (hasString && hasBinary) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (!hasString && !hasBinary) {
    if (required) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    return undefined;
  }
  const value: SecretValue = hasString
    ? { secretString: input.SecretString as string }
    : { secretBinary: Buffer.from(input.SecretBinary as string, 'base64') };
  const size =
    value.secretString !== undefined ? Buffer.byteLength(value.secretString) : value.secretBinary!.length;
  if (size > MAX_SECRET_BYTES)
    throw invalidParameter(`The secret value must be at most ${MAX_SECRET_BYTES} bytes.`);
  return value;
}

/** The SDKs fill ClientRequestToken with a UUID; other callers may omit it. */
function requestToken(input: Input): string {
  const token = input.ClientRequestToken;
  if (token === undefined) return randomUUID();
  if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
    throw invalidParameter('ClientRequestToken must be 32 to 64 characters long.');
  }
  return token;
}

function tagList(raw: unknown): { Key: string; Value: string }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalidParameter('Tags must be a list.');
  return raw.map((tag: { Key?: unknown; Value?: unknown }) => {
    if (typeof tag?.Key !== 'string' || tag.Key === '') throw invalidParameter('Each tag needs a Key.');
    return { Key: tag.Key, Value: typeof tag.Value === 'string' ? tag.Value : '' };
  });
}

/** Secrets Manager appends a hyphen and six random characters to the name in a secret's ARN. */
function suffix(): string {
  return Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
}

function seconds(ms: number): number {
  return ms / 1000;
}
