/**
 * The AWS query protocol (IAM, STS, SNS): requests are form-encoded parameters (`Action=ListUsers&…`, lists
 * as `Name.member.N`, structures as `Name.member.N.Field`), responses are XML documents
 * `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>`,
 * and errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. The
 * SDKs pick the exception class from `Code` (the model's `awsQueryError` code) and trust the HTTP status.
 */
import { randomUUID } from 'node:crypto';
import type { AwsApiError, LocalRequest, LocalResponse } from '../cloud-types.ts';

export const XML_CONTENT_TYPE = 'text/xml';

/** Parses a form-encoded body. */
export function parseQueryBody(body: string): URLSearchParams {
  return new URLSearchParams(body);
}

/** All request parameters: the URL query string, overridden by the form body (as AWS merges them). */
export function queryParams(req: Pick<LocalRequest, 'query' | 'body'>): URLSearchParams {
  const params = new URLSearchParams(req.query);
  for (const [key, value] of parseQueryBody(req.body)) params.set(key, value);
  return params;
}

/** The query protocol operation: the `Action` parameter, or `Unknown`. */
export function queryAction(req: Pick<LocalRequest, 'query' | 'body'>): string {
  return queryParams(req).get('Action') || 'Unknown';
}

/** Members of a list parameter, `Name.member.1`, `Name.member.2`, … in index order. */
export function memberList(params: URLSearchParams, name: string): string[] {
  const prefix = `${name}.member.`;
  const found: [number, string][] = [];
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    // `Name.member.1.Field` is a structure member, not a list item: Number('1.Field') is NaN.
    const index = Number(key.slice(prefix.length));
    if (Number.isInteger(index)) found.push([index, value]);
  }
  return found.sort(([a], [b]) => a - b).map(([, value]) => value);
}

/** Structures of a list parameter, `Name.member.N.Field`, in index order. */
export function memberStructs(params: URLSearchParams, name: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const prefix = `${name}.member.`;
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    const [index, field] = splitOnce(key.slice(prefix.length));
    const n = Number(index);
    if (!Number.isInteger(n) || field === undefined) continue;
    const struct = byIndex.get(n) ?? {};
    struct[field] = value;
    byIndex.set(n, struct);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, struct]) => struct);
}

function splitOnce(text: string): [string, string | undefined] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text, undefined] : [text.slice(0, dot), text.slice(dot + 1)];
}

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** XML written as is by {@link toXml} (already escaped), e.g. a query-protocol map. */
export class RawXml {
  constructor(readonly xml: string) {}
}

/** Values {@link toXml} serialises. `undefined` members are left out, as AWS omits absent fields. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | Uint8Array
  | RawXml
  | null
  | undefined
  | readonly XmlValue[]
  | { readonly [key: string]: XmlValue };

/**
 * Timestamps as IAM and STS write them: ISO 8601 in UTC, whole seconds (`2026-11-23T10:00:00Z`).
 */
export function xmlTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Serialises a value as query-protocol XML content: object members become elements, arrays become
 * `<member>` lists (the protocol's non-flattened list shape), blobs become base64, dates ISO 8601.
 */
export function toXml(value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof RawXml) return value.xml;
  if (value instanceof Date) return xmlTimestamp(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined && member !== null)
      .map(([name, member]) => `<${name}>${toXml(member)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** A query-protocol map (`<entry><key/><value/></entry>`), e.g. IAM's SummaryMap or SNS topic attributes. */
export function xmlMap(entries: Readonly<Record<string, string | number>>): RawXml {
  return new RawXml(
    Object.entries(entries)
      .map(
        ([key, value]) =>
          `<entry><key>${escapeXml(key)}</key><value>${escapeXml(String(value))}</value></entry>`,
      )
      .join(''),
  );
}

export interface XmlResponseOptions {
  /** The service's XML namespace, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`. */
  readonly namespace?: string;
  /** Echoed in `ResponseMetadata`; pass `req.requestId` so it matches the `x-amzn-RequestId` header. */
  readonly requestId?: string | undefined;
}

/**
 * A successful query-protocol response. `resultXml` is the content of `<ActionResult>`; operations without
 * output (TagUser, DeleteUser, …) pass `undefined` and AWS sends no Result element at all.
 */
export function xmlResponse(
  action: string,
  resultXml: string | undefined,
  options: XmlResponseOptions = {},
): LocalResponse {
  const xmlns = options.namespace ? ` xmlns="${escapeXml(options.namespace)}"` : '';
  const result = resultXml === undefined ? '' : `<${action}Result>${resultXml}</${action}Result>`;
  const requestId = escapeXml(options.requestId ?? randomUUID());
  return {
    status: 200,
    headers: { 'content-type': XML_CONTENT_TYPE },
    body: `<${action}Response${xmlns}>${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** An {@link AwsApiError} as a query-protocol error document, with the error's HTTP status. */
export function renderQueryError(err: AwsApiError, requestId: string, namespace?: string): LocalResponse {
  const xmlns = namespace ? ` xmlns="${escapeXml(namespace)}"` : '';
  return {
    status: err.status,
    headers: { 'content-type': XML_CONTENT_TYPE },
    body:
      `<ErrorResponse${xmlns}><Error><Type>${err.fault}</Type><Code>${escapeXml(err.code)}</Code>` +
      `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`,
  };
}
