/**
 * Access to the worker's own account and, through STS AssumeRole into `MEMBER_ROLE_NAME`, to member accounts.
 * Assumed credentials are cached per account until five minutes before they expire; SDK clients are created
 * once per account and ask the cache for credentials on each signing, so long-running workers refresh
 * transparently.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AccountAccess, AccountPorts } from '../core/ports.ts';
import type { ClientOptions } from './clients.ts';
import { createCredentialReportAdapter } from './credential-report.ts';
import { createIamAdapter } from './iam.ts';
import { call, countThrottledAttempts } from './sdk-errors.ts';
import { createSecretsAdapter } from './secrets.ts';

const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

export interface AccountAccessOptions extends AssumedCredentialsOptions {
  readonly clientOptions: ClientOptions;
  /** Called for every IAM request AWS throttles (each attempt; see `countThrottledAttempts`). */
  readonly onIamThrottle?: () => void;
}

export interface AssumedCredentialsOptions {
  readonly sts: STSClient;
  readonly roleName: string;
  readonly externalId?: string | undefined;
  readonly partition?: string;
  readonly now?: () => number;
}

/**
 * Credential providers for member accounts: AssumeRole into the member role, cached per account and renewed
 * five minutes before expiry. Concurrent callers share one in-flight AssumeRole.
 */
export function createAssumedCredentials(
  options: AssumedCredentialsOptions,
): (accountId: string) => () => Promise<AwsCredentialIdentity> {
  const now = options.now ?? Date.now;
  const partition = options.partition ?? 'aws';
  const credentials = new Map<string, Promise<AwsCredentialIdentity>>();

  const assume = async (accountId: string): Promise<AwsCredentialIdentity> => {
    const response = await call('sts', 'AssumeRole', () =>
      options.sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:${partition}:iam::${accountId}:role/${options.roleName}`,
          RoleSessionName: 'mfa-remediation',
          DurationSeconds: SESSION_SECONDS,
          ...(options.externalId ? { ExternalId: options.externalId } : {}),
        }),
      ),
    );
    const c = response.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new Error(`AssumeRole into ${accountId} returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  };

  return (accountId) => async () => {
    const cached = credentials.get(accountId);
    if (cached) {
      const value = await cached.catch(() => undefined);
      if (value && (!value.expiration || value.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS))
        return value;
    }
    const fresh = assume(accountId);
    credentials.set(accountId, fresh);
    fresh.catch(() => credentials.delete(accountId));
    return fresh;
  };
}

/** The caller's own account (GetCallerIdentity), asked once; a failed answer is asked again next time. */
export function createSelfAccountId(sts: STSClient): () => Promise<string> {
  let self: Promise<string> | undefined;
  return () => {
    self ??= call('sts', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}))).then(
      (identity) => {
        if (!identity.Account) throw new Error('GetCallerIdentity returned no account');
        return identity.Account;
      },
    );
    self.catch(() => {
      self = undefined;
    });
    return self;
  };
}

export function createAccountAccess(options: AccountAccessOptions): AccountAccess {
  const ports = new Map<string, AccountPorts>();
  const credentialsFor = createAssumedCredentials(options);
  const selfAccountId = createSelfAccountId(options.sts);

  return {
    selfAccountId,
    async forAccount(accountId) {
      const existing = ports.get(accountId);
      if (existing) return existing;
      const own = accountId === (await selfAccountId());
      const clientOptions = own
        ? options.clientOptions
        : { ...options.clientOptions, credentials: credentialsFor(accountId) };
      const iamClient = new IAMClient(clientOptions);
      if (options.onIamThrottle) countThrottledAttempts(iamClient, options.onIamThrottle);
      const created: AccountPorts = {
        accountId,
        iam: createIamAdapter(iamClient),
        secrets: createSecretsAdapter(new SecretsManagerClient(clientOptions)),
        reports: createCredentialReportAdapter(iamClient),
      };
      ports.set(accountId, created);
      return created;
    },
  };
}
