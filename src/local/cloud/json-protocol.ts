/**
 * Errors of the JSON protocols. AWS JSON 1.0 / 1.1 (`X-Amz-Target` services: Secrets Manager,
 * Organizations, SQS) put the code in the body's `__type`; REST-JSON services (Security Hub) send it in the
 * `x-amzn-ErrorType` header. The SDKs accept either, with or without a `namespace#` prefix, and read the
 * message from `message` or `Message`.
 */
import type { AwsApiError, LocalResponse } from '../cloud-types.ts';

export const JSON_CONTENT_TYPES = {
  'json-1.0': 'application/x-amz-json-1.0',
  'json-1.1': 'application/x-amz-json-1.1',
  'rest-json': 'application/json',
} as const;

export type JsonProtocol = keyof typeof JSON_CONTENT_TYPES;

/** The operation named by an `X-Amz-Target` header (`Service_20170101.Operation`), or `Unknown`. */
export function targetOperation(target: string | undefined): string {
  if (!target) return 'Unknown';
  const dot = target.lastIndexOf('.');
  return dot < 0 ? 'Unknown' : target.slice(dot + 1) || 'Unknown';
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
