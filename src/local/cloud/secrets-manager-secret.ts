/**
 * One Secrets Manager secret: its versions and staging labels. A new version takes AWSCURRENT; the version
 * that had it becomes AWSPREVIOUS (and the label leaves whichever version had it before), as PutSecretValue
 * does. Versions are identified by the ClientRequestToken that created them.
 */
import { AwsApiError } from '../cloud-types.ts';

/** One version of a secret value. */
export interface SecretVersion {
  readonly versionId: string;
  readonly secretString?: string;
  readonly secretBinary?: Buffer;
  readonly createdAt: number;
  stages: string[];
}

/** A secret as the emulator keeps it (times in milliseconds since the epoch). */
export interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly accountId: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  readonly versions: Map<string, SecretVersion>;
  readonly createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  /** Set while the secret is scheduled for deletion. */
  deletionDate?: number;
}

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';

/** A secret value from a request: exactly one of string or binary. */
export interface SecretValue {
  readonly secretString?: string;
  readonly secretBinary?: Buffer;
}

/**
 * Adds a version (or, for a token already used with the same value, returns the existing one: requests are
 * idempotent by ClientRequestToken). Reusing a token with a different value is ResourceExistsException.
 */
export function addVersion(
  secret: Secret,
  versionId: string,
  value: SecretValue,
  stages: readonly string[],
  now: number,
): SecretVersion {
  const existing = secret.versions.get(versionId);
  if (existing) {
    if (sameValue(existing, value)) return existing;
    throw new AwsApiError(
      'ResourceExistsException',
      "You can't modify an existing version, you can only create a new version.",
    );
  }
  const version: SecretVersion = { versionId, ...value, createdAt: now, stages: [] };
  secret.versions.set(versionId, version);
  for (const stage of stages) moveStage(secret, stage, version);
  secret.lastChangedAt = now;
  return version;
}

/** Moves a staging label to `target`; moving AWSCURRENT hands AWSPREVIOUS to the version that had it. */
function moveStage(secret: Secret, stage: string, target: SecretVersion): void {
  const holder = [...secret.versions.values()].find((v) => v.stages.includes(stage));
  if (holder === target) return;
  if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  target.stages.push(stage);
  // A version left without labels is deprecated: still readable by VersionId, no longer listed.
  if (stage === CURRENT && holder) moveStage(secret, PREVIOUS, holder);
}

/** The version with a label (default AWSCURRENT) or id. */
export function findVersion(secret: Secret, versionId?: string, stage?: string): SecretVersion {
  const version = versionId
    ? secret.versions.get(versionId)
    : [...secret.versions.values()].find((v) => v.stages.includes(stage ?? CURRENT));
  if (!version || (versionId && stage && !version.stages.includes(stage))) {
    throw new AwsApiError(
      'ResourceNotFoundException',
      versionId
        ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
        : `Secrets Manager can't find the specified secret value for staging label: ${stage ?? CURRENT}`,
    );
  }
  return version;
}

/** `VersionIdsToStages` of DescribeSecret. */
export function versionStages(secret: Secret): Record<string, string[]> {
  return Object.fromEntries(
    [...secret.versions.values()].filter((v) => v.stages.length > 0).map((v) => [v.versionId, [...v.stages]]),
  );
}

/** Whether a version holds exactly this value. */
export function sameValue(version: SecretVersion, value: SecretValue): boolean {
  if (version.secretString !== undefined || value.secretString !== undefined) {
    return version.secretString === value.secretString;
  }
  return Buffer.compare(version.secretBinary ?? Buffer.alloc(0), value.secretBinary ?? Buffer.alloc(0)) === 0;
}
