/**
 * What the local cloud reads from a SigV4 signature: the access key id and the credential scope
 * (`AKID/DATE/REGION/SERVICE/aws4_request`), from the `Authorization` header or, for presigned URLs, the
 * `X-Amz-Credential` query parameter. Signatures are not verified: any key is accepted.
 */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  /** The signing name, e.g. `iam`, `sqs`, `securityhub`. */
  readonly service: string;
}

const AUTHORIZATION_CREDENTIAL = /Credential=([^,\s]+)/;

function parseCredential(credential: string): CredentialScope | undefined {
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') return undefined;
  return { accessKeyId, date, region, service };
}

/** The credential scope of a request, or `undefined` when it is not SigV4-signed. */
export function credentialScope(
  authorization: string | undefined,
  query: URLSearchParams,
): CredentialScope | undefined {
  const fromHeader = authorization ? AUTHORIZATION_CREDENTIAL.exec(authorization)?.[1] : undefined;
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? undefined;
  return credential ? parseCredential(credential) : undefined;
}
