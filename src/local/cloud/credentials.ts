/**
 * Access keys the local cloud knows. The server verifies no signatures (any key is accepted) but still has to
 * know which account a request is made in: a key issued by STS AssumeRole belongs to the role's account;
 * every other key is treated as the default account's own credentials.
 */
import { randomBytes } from 'node:crypto';

/** A temporary session issued by STS AssumeRole. */
export interface RoleSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly accountId: string;
  readonly roleName: string;
  /** The role's ARN (with its path), as a trust policy naming the role matches it. */
  readonly roleArn: string;
  /** `AROA…`: the role's unique id; the session's UserId is `<roleId>:<sessionName>`. */
  readonly roleId: string;
  readonly sessionName: string;
  readonly expiration: Date;
}

/** Who signed a request, as STS GetCallerIdentity reports it. */
export type CallerIdentity =
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'role-session'; readonly accountId: string; readonly session: RoleSession };

export interface CredentialRegistry {
  /** Issues temporary credentials for a role session in `accountId`. */
  issue(request: {
    accountId: string;
    roleName: string;
    roleArn: string;
    roleId: string;
    sessionName: string;
    expiration: Date;
  }): RoleSession;
  /** The identity behind an access key id: a known role session, else the default account. */
  identify(accessKeyId: string): CallerIdentity;
  /** Forget every issued session (POST /_local/reset). */
  reset(): void;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * An IAM-style unique id: a four-letter prefix naming the kind (`AIDA` user, `AKIA` long-term key, `ASIA`
 * temporary key, `AROA` role, `ANPA` policy) followed by random upper-case letters and digits.
 */
export function awsId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** A random secret access key in the shape of AWS's: 40 base64 characters. */
export function awsSecret(): string {
  return randomBytes(30).toString('base64');
}

/** Creates the registry; one per local cloud. */
export function createCredentialRegistry(defaultAccountId: string): CredentialRegistry {
  const sessions = new Map<string, RoleSession>();

  return {
    issue({ accountId, roleName, roleArn, roleId, sessionName, expiration }) {
      const session: RoleSession = {
        accessKeyId: awsId('ASIA', 16),
        secretAccessKey: awsSecret(),
        sessionToken: randomBytes(180).toString('base64'),
        accountId,
        roleName,
        roleArn,
        roleId,
        sessionName,
        expiration,
      };
      sessions.set(session.accessKeyId, session);
      return session;
    },
    identify(accessKeyId) {
      const session = sessions.get(accessKeyId);
      return session
        ? { kind: 'role-session', accountId: session.accountId, session }
        : { kind: 'account', accountId: defaultAccountId };
    },
    reset() {
      sessions.clear();
    },
  };
}
