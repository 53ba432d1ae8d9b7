/**
 * Common SDK client options. The SDK's standard retry strategy stays on (bounded `maxAttempts`) for throttling
 * and 5xx; our p-retry layer adds only IAM's conflicts on top, so the two layers multiply to a known bound.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
}

/** Options for every client: region and endpoint from flags or the standard AWS variables. */
export function createClientOptions(options: {
  region?: string | undefined;
  endpoint?: string | undefined;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxAttempts?: number | undefined;
}): ClientOptions {
  return {
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}
