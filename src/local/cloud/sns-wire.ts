/**
 * SNS's wire format: the AWS query protocol. Requests are form-encoded (`Action=Publish&TopicArn=…`, maps as
 * `Attributes.entry.N.key/value`, lists as `Name.member.N`, message attributes as
 * `MessageAttributes.entry.N.Name` / `.Value.DataType`), responses are XML in the SNS namespace. Errors are
 * thrown as {@link AwsApiError} and rendered by the server. Parsing and the response envelope are the shared
 * query-protocol helpers; this file adds SNS's maps and message attributes.
 */
import { AwsApiError, type LocalRequest, type LocalResponse } from '../cloud-types.ts';
import { escapeXml, queryParams, xmlMap, xmlResponse } from './query-protocol.ts';

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** Flat request parameters: the form body merged over the query string. */
export type QueryParams = ReadonlyMap<string, string>;

/** Parses a query-protocol request (form body and URL query string). */
export function parseQueryParams(req: LocalRequest): QueryParams {
  return new Map(queryParams(req));
}

/** `InvalidParameter` (400) with SNS's "Invalid parameter: …" wording. */
export function invalidParameter(detail: string): AwsApiError {
  return new AwsApiError('InvalidParameter', `Invalid parameter: ${detail}`, 400);
}

/** A required parameter; SNS answers a missing one with InvalidParameter. */
export function required(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw invalidParameter(name);
  return value;
}

/** Members of a serialised map: `<prefix>.entry.N.<keyName>` / `<prefix>.entry.N.<valueName>`. */
export function readMap(
  params: QueryParams,
  prefix: string,
  keyName = 'key',
  valueName = 'value',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; ; i++) {
    const key = params.get(`${prefix}.entry.${i}.${keyName}`);
    if (key === undefined) return out;
    out[key] = params.get(`${prefix}.entry.${i}.${valueName}`) ?? '';
  }
}

/** Indices of a serialised list of structures: `<prefix>.member.N.*`, each returned as its own prefix. */
export function listPrefixes(params: QueryParams, prefix: string): string[] {
  const indices = new Set<number>();
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)\\.`);
  for (const key of params.keys()) {
    const match = pattern.exec(key);
    if (match) indices.add(Number(match[1]));
  }
  return [...indices].sort((a, b) => a - b).map((i) => `${prefix}.member.${i}`);
}

/** A published message attribute as SNS receives it. */
export interface SnsMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** The `MessageAttributes` map of a Publish request or batch entry (`prefix` is `''` or `<entry>.`). */
export function readMessageAttributes(
  params: QueryParams,
  prefix: string,
): Record<string, SnsMessageAttribute> {
  const out: Record<string, SnsMessageAttribute> = {};
  for (let i = 1; ; i++) {
    const base = `${prefix}MessageAttributes.entry.${i}`;
    const name = params.get(`${base}.Name`);
    if (name === undefined) return out;
    const dataType = params.get(`${base}.Value.DataType`) ?? '';
    const stringValue = params.get(`${base}.Value.StringValue`);
    const binaryValue = params.get(`${base}.Value.BinaryValue`);
    out[name] = {
      DataType: dataType,
      ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
      ...(binaryValue !== undefined
        ? { BinaryValue: new Uint8Array(Buffer.from(binaryValue, 'base64')) }
        : {}),
    };
  }
}

/** `<name>text</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A list of members: `<name><member>…</member>…</name>`. */
export function members<T>(name: string, items: readonly T[], render: (item: T) => string): string {
  return `<${name}>${items.map((item) => `<member>${render(item)}</member>`).join('')}</${name}>`;
}

/** A string map: `<name><entry><key>…</key><value>…</value></entry>…</name>`. */
export function mapXml(name: string, map: Readonly<Record<string, string>>): string {
  return `<${name}>${xmlMap(map).xml}</${name}>`;
}

/** A query-protocol response in the SNS namespace, echoing the server's request id. */
export function snsXml(action: string, result: string | undefined, requestId?: string): LocalResponse {
  return xmlResponse(action, result, { namespace: SNS_XML_NAMESPACE, requestId });
}
