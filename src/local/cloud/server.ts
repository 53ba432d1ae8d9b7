/**
 * The local cloud: one HTTP server on loopback that unmodified AWS SDK clients talk to with `endpoint` set
 * to it. A request is routed by the service name of its SigV4 credential scope, attributed to an account by
 * its access key (role sessions issued by STS belong to the role's account; every other key to the default
 * account), counted, possibly failed by fault injection, delayed by injected latency, and handled by the
 * emulated service, whose errors are rendered in the service's wire protocol.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PATTERNS } from '../../core/model.ts';
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalResponse,
  type WireProtocol,
} from '../cloud-types.ts';
import { ADMIN_PREFIX, handleAdmin } from './admin.ts';
import { createCredentialRegistry } from './credentials.ts';
import { createLocalCloudEnv } from './env.ts';
import { createFaultInjector, faultError } from './faults.ts';
import { createIamService, type IamService } from './iam.ts';
import { renderError } from './render-error.ts';
import { type SeedResult, seedAccount } from './seed.ts';
import { createPeerServices, type PeerServices } from './services.ts';
import { credentialScope } from './sigv4.ts';
import { createStatsCounter, type LocalCloudStats } from './stats.ts';
import { createStsService } from './sts.ts';

export interface LocalCloudOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`: the local cloud accepts any credentials, so it stays off the network. */
  readonly host?: string;
  /** A fault SPEC (docs/reference.md: Command line); invalid → `startLocalCloud` rejects. */
  readonly faults?: string;
  /** Milliseconds every AWS request waits before it is handled (admin requests do not). */
  readonly latencyMs?: number;
  /** Default `123456789012`. */
  readonly defaultAccountId?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /**
   * Milliseconds each IAM write holds its user (see iam-locks.ts), so concurrent writes to one user conflict
   * with ConcurrentModification even at 0 ms latency. Default 5; 0 turns the window off.
   */
  readonly conflictWindowMs?: number;
  /**
   * IAM's UsersPerAccount quota in every account. Default 5,000, as on AWS (where it cannot be raised); scale
   * tests and benchmarks raise it to model larger populations.
   */
  readonly usersPerAccount?: number;
  /** Seed of the fault-injection PRNG, for reproducible runs. */
  readonly randomSeed?: number;
  /** The environment clock (ms since the epoch); tests move it to exercise TOTP windows and deadlines. */
  readonly now?: () => number;
  /** Additional services to serve (e.g. a test double); their names must not clash with the built-in ones. */
  readonly services?: (env: LocalCloudEnv) => readonly EmulatedService[];
}

/** A running local cloud. */
export interface LocalCloud extends PeerServices {
  /** `http://HOST:PORT`: the `endpoint` for SDK clients. */
  readonly url: string;
  readonly port: number;
  readonly env: LocalCloudEnv;
  /** The IAM emulator, for in-process assertions (`getUser`, `deviceSeed`, `snapshot`, …). */
  readonly iam: IamService;
  /** Stops the server, closing keep-alive connections so callers do not wait for them to time out. */
  close(): Promise<void>;
  /** Drops every service's state, seeded accounts, issued sessions, statistics and fault rules (not latency). */
  reset(): void;
  /** Replaces the fault rules (empty = none); throws `FaultSpecError` on an invalid SPEC. */
  setFaults(spec: string): void;
  /** The current fault SPEC. */
  faults(): string;
  setLatency(ms: number): void;
  stats(): LocalCloudStats;
  /** Seeds an account with users (the `/_local/seed` body). */
  seed(body: unknown): SeedResult;
}

const DEFAULT_ACCOUNT_ID = '123456789012';

function checkOptions(options: LocalCloudOptions): void {
  const { port = 0, latencyMs = 0, conflictWindowMs = 0, defaultAccountId } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RangeError(`port must be 0-65535, got ${port}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new RangeError(`latencyMs must be ≥ 0, got ${latencyMs}`);
  if (!Number.isFinite(conflictWindowMs) || conflictWindowMs < 0) {
    throw new RangeError(`conflictWindowMs must be ≥ 0, got ${conflictWindowMs}`);
  }
  if (defaultAccountId !== undefined && !PATTERNS.accountId.test(defaultAccountId)) {
    throw new RangeError(`defaultAccountId must be 12 digits, got ${defaultAccountId}`);
  }
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The protocol to answer in when no service claims the request: JSON if the client spoke JSON. */
function guessProtocol(contentType: string | undefined): WireProtocol {
  if (contentType?.includes('x-amz-json-1.0')) return 'json-1.0';
  if (contentType?.includes('x-amz-json-1.1')) return 'json-1.1';
  if (contentType?.includes('application/json')) return 'rest-json';
  return 'query';
}

/** The error for a request no service claims: unsigned, or signed for a service that is not emulated. */
function unroutable(serviceName: string | undefined, protocol: WireProtocol): AwsApiError {
  if (serviceName === undefined) {
    return new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  }
  const message = `The local cloud does not emulate the service ${serviceName}.`;
  return protocol === 'query'
    ? new AwsApiError('InvalidAction', message, 400)
    : new AwsApiError('UnknownOperationException', message, 400);
}

/** Writes a response; the server owns `x-amzn-RequestId` and `content-length`, whatever a service set. */
function send(res: ServerResponse, response: LocalResponse, requestId: string): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).filter(
      ([name]) => !['x-amzn-requestid', 'content-length'].includes(name.toLowerCase()),
    ),
  );
  res.writeHead(response.status, {
    ...headers,
    'x-amzn-RequestId': requestId,
    'content-length': body.byteLength,
  });
  res.end(body);
}

/** Starts the local cloud and resolves once it accepts connections. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const env = createLocalCloudEnv({
    defaultAccountId: options.defaultAccountId ?? DEFAULT_ACCOUNT_ID,
    defaultRegion: options.region ?? 'us-east-1',
    ...(options.now ? { now: options.now } : {}),
  });
  const faultInjector = createFaultInjector({
    spec: options.faults ?? '',
    ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
  });
  const credentials = createCredentialRegistry(env.defaultAccountId);
  const iam = createIamService(env, {
    credentials,
    ...(options.conflictWindowMs === undefined ? {} : { conflictWindowMs: options.conflictWindowMs }),
    ...(options.usersPerAccount === undefined ? {} : { usersPerAccount: options.usersPerAccount }),
  });
  const peers = createPeerServices(env);
  const services = new Map<string, EmulatedService>();
  for (const service of [
    iam,
    createStsService(env, credentials, iam),
    ...Object.values(peers),
    ...(options.services?.(env) ?? []),
  ]) {
    if (services.has(service.name)) throw new Error(`two local cloud services are named ${service.name}`);
    services.set(service.name, service);
  }
  const stats = createStatsCounter();
  let latencyMs = options.latencyMs ?? 0;

  async function serveAws(
    req: IncomingMessage,
    url: URL,
    body: string,
    requestId: string,
  ): Promise<LocalResponse> {
    const headers = headersOf(req);
    const scope = credentialScope(headers.authorization, url.searchParams);
    const service = scope ? services.get(scope.service) : undefined;
    if (!scope || !service) {
      const protocol = guessProtocol(headers['content-type']);
      return renderError(protocol, unroutable(scope?.service, protocol), requestId);
    }

    const request = {
      service: scope.service,
      region: scope.region,
      accountId: credentials.identify(scope.accessKeyId).accountId,
      accessKeyId: scope.accessKeyId,
      method: req.method ?? 'POST',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      requestId,
    };
    let release: (() => void) | undefined;
    try {
      const operation = service.operationOf(request);
      const key = `${service.name}:${operation}`;
      stats.request(key);
      const fault = faultInjector.draw(service.name, operation, service.isWrite(operation));
      if (fault) {
        stats.fault(key);
        if (latencyMs > 0) await sleep(latencyMs);
        throw faultError(fault);
      }
      // Admission (IAM's per-user write lock) precedes the latency so the lock covers the whole request.
      release = service.admit?.(request, operation);
      if (latencyMs > 0) await sleep(latencyMs);
      return await service.handle(request, operation);
    } catch (error) {
      const err =
        error instanceof AwsApiError
          ? error
          : new AwsApiError('InternalFailure', `The local cloud failed: ${String(error)}`, 500, 'Receiver');
      return service.renderError
        ? service.renderError(err, requestId, request)
        : renderError(service.protocol, err, requestId);
    } finally {
      release?.();
    }
  }

  const controls = {
    stats: () => stats.snapshot(),
    reset() {
      for (const service of services.values()) service.reset();
      credentials.reset();
      env.reset();
      stats.reset();
      faultInjector.set('');
    },
    faults: () => faultInjector.spec(),
    setFaults: (spec: string) => faultInjector.set(spec),
    setLatency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be ≥ 0 ms, got ${ms}`);
      latencyMs = ms;
    },
    seed: (body: unknown) => seedAccount(env, iam, body),
    mail: () => peers.sesv2.messages(),
    importOcsfFindings: (body: unknown) => peers.securityhub.v2.importFindings(body),
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    readBody(req)
      .then(async (body) => {
        if (url.pathname.startsWith(ADMIN_PREFIX)) {
          handleAdmin(controls, req, res, url.pathname, body);
          return;
        }
        const requestId = randomUUID();
        send(res, await serveAws(req, url, body, requestId), requestId);
      })
      .catch((error: unknown) => {
        // Whatever failed, the caller still gets an AWS-shaped error in the protocol it spoke.
        const requestId = randomUUID();
        const err = new AwsApiError(
          'InternalFailure',
          `The local cloud failed: ${String(error)}`,
          500,
          'Receiver',
        );
        if (res.headersSent) {
          res.end();
          return;
        }
        send(res, renderError(guessProtocol(req.headers['content-type']), err, requestId), requestId);
      });
  });
  // A request Node cannot parse (bad framing, oversized headers) gets a query-protocol 400, not a bare reset.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const body = renderError(
      'query',
      new AwsApiError(
        'MalformedHttpRequest',
        `The request could not be parsed: ${error.code ?? error.message}`,
      ),
      requestId,
    ).body as string;
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nx-amzn-RequestId: ${requestId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  env.setBaseUrl(url);

  return {
    url,
    port,
    env,
    iam,
    ...peers,
    ...controls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
