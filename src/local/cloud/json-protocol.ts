/**
 * The JSON protocols. AWS JSON 1.0 / 1.1 (`X-Amz-Target` services: Secrets Manager, Organizations, SQS) name
 * the operation in the `X-Amz-Target` header and put an error's code in the body's `__type`; REST-JSON
 * services (Security Hub) route by method and path and send the code in the `x-amzn-ErrorType` header. The
 * SDKs accept either, with or without a `namespace#` prefix, and read the message from `message` or `Message`.
 */
import { AwsApiError, type LocalRequest, type LocalResponse } from '../cloud-types.ts';

export const JSON_CONTENT_TYPES = {
  'json-1.0': 'application/x-amz-json-1.0',
  'json-1.1': 'application/x-amz-json-1.1',
  'rest-json': 'application/json',
} as const;

export type JsonProtocol = keyof typeof JSON_CONTENT_TYPES;

/** A case-insensitive header lookup (Node lower-cases header names, hand-built requests may not). */
export function header(req: Pick<LocalRequest, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The operation an `X-Amz-Target` header names (`<prefix><Operation>`, e.g. `AmazonSQS.SendMessage`), or `Unknown`. */
export function targetOperation(req: Pick<LocalRequest, 'headers'>, prefix: string): string {
  const target = header(req, 'x-amz-target') ?? '';
  return target.startsWith(prefix) ? target.slice(prefix.length) : 'Unknown';
}

/**
 * The JSON request document; an empty body is `{}`, as the SDKs send for operations without input. Anything
 * but a JSON object is `invalid()`: AWS's SerializationException unless the service answers otherwise.
 */
export function parseJsonObject(
  body: string,
  invalid: () => AwsApiError = () =>
    new AwsApiError('SerializationException', 'The request body is not a JSON object.'),
): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // fall through to the service's answer for a body that is not a JSON object
  }
  throw invalid();
}

/** A successful response in a JSON protocol. */
export function jsonResponse(protocol: JsonProtocol, body: unknown): LocalResponse {
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPES[protocol] },
    body: JSON.stringify(body ?? {}),
  };
}

/**
 * An {@link AwsApiError} in a JSON protocol, with the error's HTTP status. The request id is not part of
 * JSON error documents: the server sends it in `x-amzn-RequestId`.
 */
export function renderJsonError(protocol: JsonProtocol, err: AwsApiError): LocalResponse {
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPES[protocol] };
  if (protocol === 'rest-json') {
    headers['x-amzn-errortype'] = err.code;
    return {
      status: err.status,
      headers,
      body: JSON.stringify({ Code: err.code, Message: err.message, message: err.message }),
    };
  }
  return { status: err.status, headers, body: JSON.stringify({ __type: err.code, message: err.message }) };
}
