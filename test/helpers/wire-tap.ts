/**
 * A recording HTTP proxy in front of the local cloud, for the reliability tests. Workers (in process or in a
 * child process) use its URL as their endpoint; every exchange of the services asked for is kept with its
 * request and response bodies. That is what crossed the wire: which IAM writes succeeded for which user (to
 * prove no side effect happened twice), and every secret the cloud handed out or was handed (STS session
 * credentials, virtual MFA seeds, submitted codes), so the secrets scan knows what to look for.
 *
 * A request is forwarded once its body has arrived, whatever becomes of its client: a worker killed
 * mid-request leaves the write applied and its answer lost, as on AWS.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireExchange {
  /** SigV4 signing name, e.g. `iam`, `sts`, `sns`, `secretsmanager`. */
  readonly service: string;
  /** `Action` of a query-protocol request, the `X-Amz-Target` operation of a JSON one, else `METHOD /path`. */
  readonly operation: string;
  /** The access key the request was signed with. */
  readonly accessKeyId: string;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
}

export interface WireTap {
  readonly url: string;
  readonly exchanges: WireExchange[];
  /**
   * Resolves once no request is being forwarded: what a killed client had already sent has been answered
   * (to no one). A long poll it left at the cloud then no longer collects messages.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const CREDENTIAL = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//;

function operationOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  // Query protocol: the Action parameter; REST (Security Hub): the method and path.
  return new URLSearchParams(body).get('Action') ?? `${req.method} ${req.url?.split('?')[0]}`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface WireTapOptions {
  /** Signing names of the services whose exchanges are kept. */
  readonly services: readonly string[];
  /**
   * Called with each kept exchange after the cloud answered and before the answer is passed on, e.g. to kill
   * the worker at the worst moment: its write applied, the answer never received.
   */
  readonly onExchange?: (exchange: WireExchange) => void;
}

/** Starts the proxy on a free loopback port. */
export async function startWireTap(target: string, options: WireTapOptions): Promise<WireTap> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const exchanges: WireExchange[] = [];
  let forwarding = 0;
  let idle: (() => void)[] = [];
  const done = () => {
    if (--forwarding > 0) return;
    for (const resolve of idle) resolve();
    idle = [];
  };
  const server = createServer((req, res) => {
    // Counted until the cloud has answered, whether or not the client is still there to hear it.
    forwarding++;
    let counted = true;
    const answered = () => {
      if (counted) done();
      counted = false;
    };
    readAll(req)
      .then((body) => {
        const forwarded = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: upstream.host },
            agent,
          },
          (answer) => {
            readAll(answer)
              .then((responseBody) => {
                const [, accessKeyId = '', service = ''] =
                  CREDENTIAL.exec(String(req.headers.authorization ?? '')) ?? [];
                if (options.services.includes(service)) {
                  const requestBody = body.toString('utf8');
                  const exchange: WireExchange = {
                    service,
                    operation: operationOf(req, requestBody),
                    accessKeyId,
                    requestBody,
                    status: answer.statusCode ?? 0,
                    responseBody: responseBody.toString('utf8'),
                  };
                  exchanges.push(exchange);
                  options.onExchange?.(exchange);
                }
                answered();
                if (res.destroyed) return;
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                res.end(responseBody);
              })
              .catch(() => {
                answered();
                res.destroy();
              });
          },
        );
        forwarded.on('error', () => {
          answered();
          if (!res.headersSent && !res.destroyed) res.writeHead(502).end();
        });
        forwarded.end(body);
      })
      // The client went away before its request was complete: nothing to forward.
      .catch(() => {
        answered();
        res.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    settled: () =>
      forwarding === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/** The value of a query-protocol request parameter. */
export function queryParam(exchange: WireExchange, name: string): string | undefined {
  return new URLSearchParams(exchange.requestBody).get(name) ?? undefined;
}
