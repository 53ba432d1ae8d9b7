/**
 * Common SDK client options. The SDK's standard retry strategy stays on (bounded `maxAttempts`) for throttling
 * and 5xx; our p-retry layer adds only IAM's conflicts on top, so the two layers multiply to a known bound.
 *
 * Every request is also bounded in time. The SDK's Node.js handler waits forever by default (a connection
 * or request timeout of 0), so one hung call — a half-open TCP connection, a stalled endpoint — would hold a
 * record, then the whole Lambda invocation, until Lambda kills it and every record of the batch comes back.
 * With these bounds a hung call fails as a `TimeoutError`, which the SDK retries and which is retryable for
 * us too (tier 2). Calls that legitimately wait longer (SQS long polling) pass their own `requestTimeout`.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** Establishing a TCP (and TLS) connection to an AWS endpoint takes milliseconds; 3 s is a dead endpoint. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** The slowest call the worker makes (GetCredentialReport of a large account) answers within seconds. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
  /** Options of the SDK's Node.js HTTP handler, which every client builds from them. */
  requestHandler?: {
    connectionTimeout: number;
    requestTimeout: number;
    /** Without it the handler only logs a warning when `requestTimeout` passes, and keeps waiting. */
    throwOnRequestTimeout: boolean;
  };
}

/** Options for every client: region and endpoint from flags or the standard AWS variables. */
export function createClientOptions(options: {
  region?: string | undefined;
  endpoint?: string | undefined;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxAttempts?: number | undefined;
  connectionTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
}): ClientOptions {
  return {
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}
