/**
 * Shared types of the local cloud (the AWS-compatible emulator in `src/local/cloud/`). Each emulated service
 * implements {@link EmulatedService}; the server routes a request to it by the SigV4 credential scope's
 * service name, applies fault and latency injection, counts it in `/_local/stats`, and renders
 * {@link AwsApiError}s in the service's wire protocol.
 */

export type WireProtocol = 'query' | 'json-1.0' | 'json-1.1' | 'rest-json';

export interface LocalRequest {
  /** SigV4 signing name from the Authorization header's credential scope, e.g. `iam`, `sqs`. */
  readonly service: string;
  readonly region: string;
  /** The caller's account: the default account, or the one an STS AssumeRole session belongs to. */
  readonly accountId: string;
  /** The caller's access key id, as signed. */
  readonly accessKeyId: string;
  readonly method: string;
  /** Path without the query string, e.g. `/` or `/findings/import`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  /**
   * The id the server sends back in `x-amzn-RequestId`; services echo it in response documents (query
   * protocol `ResponseMetadata`). Absent when a request is built by hand outside the server.
   */
  readonly requestId?: string;
}

export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** An error with AWS's code, message and HTTP status: rendered per protocol so the SDK raises the real class. */
export class AwsApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** `Sender` or `Receiver` in query-protocol error documents. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
    this.name = 'AwsApiError';
    this.code = code;
    this.status = status;
    this.fault = fault;
  }
}

export interface EmulatedService {
  /** SigV4 signing name. */
  readonly name: string;
  readonly protocol: WireProtocol;
  /** The operation a request asks for (e.g. `ListUsers`), for stats, faults and dispatch. */
  operationOf(req: LocalRequest): string;
  /** Whether the operation mutates state (matched by the fault SPEC's `write`). */
  isWrite(operation: string): boolean;
  handle(req: LocalRequest, operation: string): Promise<LocalResponse> | LocalResponse;
  /**
   * Optional: called when a request arrives, before injected latency, so a service can hold a resource for
   * the request's whole life (IAM's per-user write conflicts). Throws an {@link AwsApiError} to refuse the
   * request; returns a function the server calls when the request is done.
   */
  admit?(req: LocalRequest, operation: string): (() => void) | undefined;
  /**
   * Optional: renders an error the way this service does when the generic renderer for its protocol is
   * not enough (e.g. SQS's query-compatible `x-amzn-query-error` header, or the XML namespace of a query
   * service's error documents). Used for injected faults too; `req` says which protocol the caller spoke.
   */
  renderError?(err: AwsApiError, requestId: string, req?: LocalRequest): LocalResponse;
  /** Drop all state (POST /_local/reset). */
  reset(): void;
}

/** What every emulated service may ask of the local cloud as a whole. */
export interface LocalCloudEnv {
  readonly defaultAccountId: string;
  readonly defaultRegion: string;
  /** The server's base URL, e.g. `http://127.0.0.1:4566` (SQS queue URLs must point here). */
  baseUrl(): string;
  /** Milliseconds since the epoch; tests may move the clock. */
  now(): number;
  /** Accounts of the local organisation: the default one plus every seeded one. */
  knownAccounts(): string[];
  addAccount(accountId: string, options?: { name?: string; status?: 'ACTIVE' | 'SUSPENDED' }): void;
  accountInfo(accountId: string): { id: string; name: string; status: 'ACTIVE' | 'SUSPENDED' } | undefined;
}
