/**
 * Pagination. Marker pagination as IAM does it (`Marker` in, `IsTruncated` + `Marker` out): the marker is
 * opaque to the caller; here it encodes the sort key of the first item of the next page, so a page boundary
 * survives items being added or removed between calls, as AWS's markers do. And the simpler `NextToken`
 * offsets of the other services' listings ({@link paginateByOffset}).
 */
import { AwsApiError } from '../cloud-types.ts';

export interface Page<T> {
  readonly items: T[];
  readonly isTruncated: boolean;
  /** Present only when `isTruncated`: pass it back as `Marker` for the next page. */
  readonly marker?: string;
}

/** IAM's default page size when MaxItems is absent. */
export const DEFAULT_MAX_ITEMS = 100;

/**
 * One page of `items`, which must already be in the listing's order, sorted ascending by `keyOf`.
 * An unparseable marker is IAM's `InvalidInput` ("Invalid Marker").
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  request: { marker?: string | undefined; maxItems?: number | undefined },
): Page<T> {
  const maxItems = request.maxItems ?? DEFAULT_MAX_ITEMS;
  let start = 0;
  if (request.marker !== undefined) {
    const key = decodeMarker(request.marker);
    start = items.findIndex((item) => keyOf(item) >= key);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + maxItems);
  const next = items[start + maxItems];
  return next === undefined
    ? { items: page, isTruncated: false }
    : { items: page, isTruncated: true, marker: encodeMarker(keyOf(next)) };
}

/**
 * One page of a short list kept in its natural order (a user's tags, keys, policies or devices): the
 * marker is the position, which is safe for lists this small and this rarely changed mid-listing.
 */
export function paginateInOrder<T>(
  items: readonly T[],
  request: { marker?: string | undefined; maxItems?: number | undefined },
): Page<T> {
  const keyed = items.map((item, index) => ({ item, key: String(index).padStart(8, '0') }));
  const page = paginate(keyed, (entry) => entry.key, request);
  return { ...page, items: page.items.map((entry) => entry.item) };
}

function encodeMarker(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64');
}

function decodeMarker(marker: string): string {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(marker, 'base64').toString('utf8'));
    if (decoded && typeof decoded === 'object' && 'k' in decoded && typeof decoded.k === 'string') {
      return decoded.k;
    }
  } catch {
    // fall through to IAM's answer for a marker it did not issue
  }
  throw new AwsApiError('InvalidInput', 'Invalid Marker.', 400);
}

/** Compares sort keys the way listings order names: by code unit, which is stable and locale-independent. */
export function byKey<T>(keyOf: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

/** One page of a `NextToken` listing, and the token of the next page when there is one. */
export interface OffsetPage<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * `NextToken` pagination as the JSON services and SNS do it here: the token is the base64 offset of the next
 * item. Absent (or empty) starts at the beginning; a token that is not an offset is `invalidToken()`, which
 * each service words as its model does.
 */
export function paginateByOffset<T>(
  items: readonly T[],
  token: unknown,
  pageSize: number,
  invalidToken: () => AwsApiError,
): OffsetPage<T> {
  let start = 0;
  if (token !== undefined && token !== null) {
    start = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString('utf8')) : Number.NaN;
    if (!Number.isInteger(start) || start < 0) throw invalidToken();
  }
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  return end < items.length
    ? { items: page, nextToken: Buffer.from(String(end), 'utf8').toString('base64') }
    : { items: page };
}
