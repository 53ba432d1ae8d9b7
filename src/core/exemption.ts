/**
 * Whether a user is exempt, and until when (docs/reference.md: State on the IAM user). The
 * `mfa-remediation:exempt` tag exempts a user; an ISO-8601 date or date-time as its value exempts until then,
 * after which remediation resumes on the next finding or sweep (the sweep enqueues every user lacking MFA
 * whatever their tags, so an expired exemption is picked up within a day). A value that is not a date — a
 * note such as "break-glass, reviewed quarterly" — exempts indefinitely, and the outcome says so.
 *
 * Dates follow AWS's own reading (IAM's date conditions): `2026-12-31` is midnight UTC at the start of that
 * day, and a date-time without an offset is UTC. Write `2027-01-01` to include the 31st.
 */
import { matchesUserPattern } from '../config.ts';
import { TAGS } from './model.ts';

/** The exemption decision for one user. */
export type Exemption =
  | { readonly exempt: false; readonly expiredAt?: Date }
  | { readonly exempt: true; readonly until?: Date; readonly reason: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Parses the ISO-8601 forms a person writes in a tag: `YYYY-MM-DD` or `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`.
 * Undefined for anything else, including impossible dates such as `2026-02-30`.
 */
export function parseExemptUntil(value: string): Date | undefined {
  const trimmed = value.trim();
  const date = DATE.exec(trimmed);
  const time = date ? undefined : DATE_TIME.exec(trimmed);
  const parts = date ?? time;
  if (!parts) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [hour, minute, second] = time ? [Number(time[4]), Number(time[5]), Number(time[6] ?? 0)] : [0, 0, 0];
  const millis = time?.[7] ? Number(time[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  const zone = time?.[8]?.toUpperCase();
  if (!zone || zone === 'Z') return new Date(utc);
  const sign = zone.startsWith('-') ? -1 : 1;
  const [offsetHours, offsetMinutes] = zone.slice(1).split(':').map(Number) as [number, number];
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  return new Date(utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

/**
 * Decides the exemption of a user from its tags and `EXEMPT_USERS`. A configured pattern exempts without
 * expiry; a tag exempts until its date, if it has one. `expiredAt` reports a dated exemption that has lapsed,
 * so the outcome can say why a tagged user is being remediated.
 */
export function exemptionOf(
  userName: string,
  tags: Readonly<Record<string, string>>,
  exemptUsers: readonly string[],
  now: Date,
): Exemption {
  if (matchesUserPattern(userName, exemptUsers)) return { exempt: true, reason: 'matches EXEMPT_USERS' };
  const value = tags[TAGS.exempt];
  if (value === undefined) return { exempt: false };
  if (value.trim() === '') return { exempt: true, reason: `tagged ${TAGS.exempt}` };
  const until = parseExemptUntil(value);
  if (!until) {
    return {
      exempt: true,
      reason: `tagged ${TAGS.exempt}; its value is not an ISO-8601 date, so the exemption does not expire`,
    };
  }
  if (now.getTime() < until.getTime()) {
    return { exempt: true, until, reason: `tagged ${TAGS.exempt} until ${until.toISOString()}` };
  }
  return { exempt: false, expiredAt: until };
}

/** The note an outcome's reason carries when a dated exemption has lapsed; empty otherwise. */
export function expiryNote(exemption: Exemption): string {
  return !exemption.exempt && exemption.expiredAt
    ? `; exemption expired ${exemption.expiredAt.toISOString()}`
    : '';
}
