/**
 * Shared set-up for the local cloud's unit tests, which call an emulated service's `handle` directly: a fake
 * environment whose clock the test moves, and requests shaped as the server hands them to a service.
 */
import type { LocalCloudEnv, LocalRequest } from '../../src/local/cloud-types.ts';

/** The default account of the fake environment, and the account requests are made in. */
export const ACCOUNT = '123456789012';

/** The fake environment's clock at the start of every test. */
export const START_MS = Date.parse('2026-11-23T10:00:00.000Z');

export interface FakeEnv extends LocalCloudEnv {
  /** Moves the clock forward. */
  advance(ms: number): void;
}

/**
 * An environment with a clock that stands still until `advance`. `accounts` are the organisation's accounts
 * (default: the default account alone), all active under the name `local` unless `accountInfo` says otherwise.
 */
export function fakeEnv(
  options: { accounts?: readonly string[]; accountInfo?: LocalCloudEnv['accountInfo'] } = {},
): FakeEnv {
  let now = START_MS;
  const accounts = options.accounts ?? [ACCOUNT];
  return {
    defaultAccountId: ACCOUNT,
    defaultRegion: 'us-east-1',
    baseUrl: () => 'http://127.0.0.1:4566',
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    knownAccounts: () => [...accounts],
    addAccount: () => {},
    accountInfo: options.accountInfo ?? ((id) => ({ id, name: 'local', status: 'ACTIVE' })),
  };
}

/** A request for `service` signed by `AKIATEST` in the default account and region: `POST /` unless told. */
export function localRequest(
  service: string,
  request: Pick<LocalRequest, 'headers' | 'body'> & Partial<LocalRequest>,
): LocalRequest {
  return {
    service,
    region: 'us-east-1',
    accountId: ACCOUNT,
    accessKeyId: 'AKIATEST',
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    ...request,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON responses
export type Json = any;
