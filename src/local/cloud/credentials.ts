/**
 * Access keys the local cloud knows. The server verifies no signatures (any key is accepted) but still has to
 * know who signs a request and in which account, as AWS does from the key: a key issued by STS AssumeRole is
 * that role session, in the role's account; an IAM user's own access key (CreateAccessKey, or a seeded
 * user's) is that user, in the user's account; every other key is treated as the default account's root.
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

/** An IAM user signing with one of its own access keys. */
export interface UserCaller {
  readonly accountId: string;
  readonly userName: string;
  /** The user's ARN, with its path. */
  readonly arn: string;
  /** `AIDA…`: the user's unique id, which GetCallerIdentity reports as `UserId`. */
  readonly userId: string;
}

/** Who signed a request, as STS GetCallerIdentity reports it. */
export type CallerIdentity =
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'role-session'; readonly accountId: string; readonly session: RoleSession }
  | { readonly kind: 'user'; readonly accountId: string; readonly user: UserCaller };

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
  /** The identity behind an access key id: a role session, an IAM user's key, else the default account. */
  identify(accessKeyId: string): CallerIdentity;
  /** Where IAM users' own access keys are looked up (the IAM emulator registers its accounts' users). */
  lookUpUserKeysWith(lookup: (accessKeyId: string) => UserCaller | undefined): void;
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
  let userKeys: ((accessKeyId: string) => UserCaller | undefined) | undefined;

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
      if (session) return { kind: 'role-session', accountId: session.accountId, session };
      const user = userKeys?.(accessKeyId);
      if (user) return { kind: 'user', accountId: user.accountId, user };
      return { kind: 'account', accountId: defaultAccountId };
    },
    lookUpUserKeysWith(lookup) {
      userKeys = lookup;
    },
    reset() {
      sessions.clear();
    },
  };
}
