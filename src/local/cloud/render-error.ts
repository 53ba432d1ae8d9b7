/** One entry point for rendering an {@link AwsApiError} in any of the local cloud's wire protocols. */
import type { AwsApiError, LocalResponse, WireProtocol } from '../cloud-types.ts';
import { renderJsonError } from './json-protocol.ts';
import { renderQueryError } from './query-protocol.ts';

/** Renders `err` as the protocol's error document, so the SDK raises the modelled exception class. */
export function renderError(protocol: WireProtocol, err: AwsApiError, requestId: string): LocalResponse {
  return protocol === 'query' ? renderQueryError(err, requestId) : renderJsonError(protocol, err);
}
