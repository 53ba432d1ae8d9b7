/**
 * The local cloud's {@link LocalCloudEnv}: its clock, base URL and the accounts of its organisation. Every
 * emulated service receives the same instance, so an account seeded through `/_local/seed` is known to STS
 * (AssumeRole), Organizations (ListAccounts) and IAM alike.
 */
import type { LocalCloudEnv } from '../cloud-types.ts';

export interface LocalCloudEnvOptions {
  readonly defaultAccountId: string;
  readonly defaultRegion: string;
  /** Name of the default account in Organizations-like listings. */
  readonly defaultAccountName?: string;
  readonly now?: () => number;
}

/** The environment plus what only the server may do with it. */
export interface MutableLocalCloudEnv extends LocalCloudEnv {
  /** Set once the server listens (port 0 means the port is known only then). */
  setBaseUrl(url: string): void;
  /** Forget every account but the default one (POST /_local/reset). */
  reset(): void;
}

type AccountRecord = { id: string; name: string; status: 'ACTIVE' | 'SUSPENDED' };

/** Creates the shared environment; the default account always exists and survives resets. */
export function createLocalCloudEnv(options: LocalCloudEnvOptions): MutableLocalCloudEnv {
  const now = options.now ?? Date.now;
  const accounts = new Map<string, AccountRecord>();
  let url = '';
  const addDefault = () => {
    accounts.set(options.defaultAccountId, {
      id: options.defaultAccountId,
      name: options.defaultAccountName ?? 'local-management',
      status: 'ACTIVE',
    });
  };
  addDefault();

  return {
    defaultAccountId: options.defaultAccountId,
    defaultRegion: options.defaultRegion,
    baseUrl: () => url,
    now: () => now(),
    knownAccounts: () => [...accounts.keys()],
    addAccount(accountId, accountOptions = {}) {
      const existing = accounts.get(accountId);
      accounts.set(accountId, {
        id: accountId,
        name: accountOptions.name ?? existing?.name ?? `account-${accountId}`,
        status: accountOptions.status ?? existing?.status ?? 'ACTIVE',
      });
    },
    accountInfo: (accountId) => {
      const found = accounts.get(accountId);
      return found ? { ...found } : undefined;
    },
    setBaseUrl(value) {
      url = value;
    },
    reset() {
      accounts.clear();
      addDefault();
    },
  };
}
