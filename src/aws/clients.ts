/**
 * Common SDK client options. The SDK's standard retry strategy stays on (bounded `maxAttempts`) for throttling
 * and 5xx; our p-retry layer adds only IAM's conflicts on top, so the two layers multiply to a known bound.
 *
 * Every request is also bounded in time. The SDK's Node.js handler waits forever by default (a connection
 * or request timeout of 0), so one hung call — a half-open TCP connection, a stalled endpoint — would hold a
 * record, then the whole Lambda invocation, until Lambda kills it and every record of the batch comes back.
 * With these bounds a hung call fails as a `TimeoutError`, which the SDK retries and which is retryable for
 * us too (tier 2). Calls that legitimately wait longer (SQS long polling) pass their own `requestTimeout`.
 *
 * The per-call work is kept small too, since at low latency it is most of the worker's CPU
 * (docs/benchmarks.md): `cacheMiddleware` resolves each command's middleware stack once per client instead
 * of on every `send` (the SDK reuses it only for calls made without per-call options, which is all of ours
 * but the long poll), and the connection pool keeps TLS connections open and has room for every record in
 * flight ({@link sizeConnectionPool}).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** Establishing a TCP (and TLS) connection to an AWS endpoint takes milliseconds; 3 s is a dead endpoint. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** The slowest call the worker makes (GetCredentialReport of a large account) answers within seconds. */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Connections per client beyond the records in flight: shared calls (PublishBatch, BatchUpdateFindings),
 * receives, deletes and visibility extensions run beside the records' own calls.
 */
export const SOCKET_HEADROOM = 10;

/** Options of the Node.js agents the SDK's handler builds (Node's `http(s).AgentOptions`, in part). */
export interface AgentOptions {
  keepAlive?: boolean;
  maxSockets?: number;
  rejectUnauthorized?: boolean;
  ca?: string;
}

/** Options of the SDK's Node.js HTTP handler (NodeHttpHandlerOptions), which every client builds from them. */
export interface RequestHandlerOptions {
  connectionTimeout?: number;
  requestTimeout?: number;
  /** The socket's idle time: the AWS CLI's read timeout. */
  socketTimeout?: number;
  /** Without it the handler only logs a warning when `requestTimeout` passes, and keeps waiting. */
  throwOnRequestTimeout?: boolean;
  httpAgent?: AgentOptions;
  httpsAgent?: AgentOptions;
}

export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
  /** Resolve each command's middleware stack once per client (the SDK's `cacheMiddleware`). */
  cacheMiddleware?: boolean;
  requestHandler?: RequestHandlerOptions;
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
    cacheMiddleware: true,
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

/**
 * The options with keep-alive connection pools of `concurrency` + {@link SOCKET_HEADROOM} sockets per client
 * and protocol (each client builds its own agents from these options), keeping whatever else the options
 * hold: timeouts, TLS settings (`--ca-bundle`, `--no-verify-ssl`), `cacheMiddleware`. Records in flight then
 * never queue for a socket, and an idle worker keeps no more connections than it can use. A handler
 * instance given instead of options is left as it is.
 */
export function sizeConnectionPool(options: ClientOptions, concurrency: number): ClientOptions {
  const handler = options.requestHandler;
  if (handler !== undefined && typeof (handler as { handle?: unknown }).handle === 'function') return options;
  const maxSockets = Math.max(1, Math.ceil(concurrency)) + SOCKET_HEADROOM;
  return {
    ...options,
    requestHandler: {
      ...handler,
      httpAgent: { ...handler?.httpAgent, keepAlive: true, maxSockets },
      httpsAgent: { ...handler?.httpsAgent, keepAlive: true, maxSockets },
    },
  };
}

/**
 * The options the worker's clients are built with, whoever made `options` (the CLI's flags, a test, the
 * benchmark): the middleware cache on unless they turn it off, and the pool sized to `concurrency`.
 */
export function workerClientOptions(options: ClientOptions, concurrency: number): ClientOptions {
  return sizeConnectionPool({ cacheMiddleware: true, ...options }, concurrency);
}
