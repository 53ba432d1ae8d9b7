/** Shared set-up for the local cloud's integration tests: SDK client options and admin API calls. */
import type { LocalCloud } from '../../../src/local/cloud/server.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Options for any SDK v3 client pointed at the local cloud; one attempt unless a test asks for retries. */
export function clientOptions(
  cloud: Pick<LocalCloud, 'url'>,
  overrides: {
    maxAttempts?: number;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  } = {},
) {
  return {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: overrides.credentials ?? TEST_CREDENTIALS,
    maxAttempts: overrides.maxAttempts ?? 1,
  };
}

/** Calls the admin API; returns status, headers and the body as text. */
export async function admin(
  cloud: Pick<LocalCloud, 'url'>,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<{ status: number; text: string; json: () => unknown }> {
  const response = await fetch(`${cloud.url}${path}`, { method, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** A hand-made SigV4 Authorization header (the local cloud reads the scope and ignores the signature). */
export function authorization(service: string, accessKeyId = 'test'): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261123/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** Captures a rejected promise's error for assertions on its class and metadata. */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number; attempts?: number } };
  }
  throw new Error('expected the call to fail');
}
