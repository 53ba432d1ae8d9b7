/**
 * TOTP arithmetic for virtual MFA devices (RFC 6238 as IAM implements it: SHA-1, six digits, 30-second
 * steps). Used to derive codes from a seed the product holds (custodial enrolment), to build the
 * `otpauth://` URI that is escrowed or shown as a QR code, and to explain a rejected pair of codes.
 *
 * Everything that goes in or out of these functions except step offsets is a secret: seeds, codes and URIs
 * are returned to the caller and never logged here.
 */
import { Secret, TOTP } from 'otpauth';

/** IAM virtual devices use 30-second steps. */
export const TOTP_PERIOD_MS = 30_000;

function totp(seedBase32: string, label = 'mfa-remediation'): TOTP {
  return new TOTP({
    issuer: 'AWS',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_MS / 1000,
    secret: Secret.fromBase32(seedBase32),
  });
}

/**
 * The `otpauth://totp/…` URI of a device, as authenticator apps read it from a QR code: issuer `AWS`, label
 * `<user>@<account>` (so the person sees which identity a code belongs to).
 */
export function otpauthUri(seedBase32: string, userName: string, accountId: string): string {
  return totp(seedBase32, `${userName}@${accountId}`).toString();
}

/** The seed inside an `otpauth://` URI (for reading an escrowed seed back). */
export function seedFromUri(uri: string): string {
  const secret = new URL(uri).searchParams.get('secret');
  if (!secret) throw new TypeError('the otpauth URI has no secret');
  return secret;
}

/** The code a device shows `steps` periods after (or, negative, before) `atMs`. */
export function codeAt(seedBase32: string, atMs: number, steps = 0): string {
  return totp(seedBase32).generate({ timestamp: atMs + steps * TOTP_PERIOD_MS });
}

/**
 * Two consecutive codes that EnableMFADevice accepts at `atMs`: those of the previous and the current step.
 * IAM needs two consecutive codes to learn the device's clock; ending on the current step (rather than the
 * next) means both codes are already valid when the request arrives, so the device is never associated
 * "out of sync".
 */
export function consecutiveCodes(seedBase32: string, atMs: number): [string, string] {
  return [codeAt(seedBase32, atMs, -1), codeAt(seedBase32, atMs, 0)];
}

/** What a rejected pair of codes says about the person's device, for a helpful explanation. */
export type CodeDiagnosis =
  | { readonly kind: 'consecutive'; readonly offsetSteps: number }
  | { readonly kind: 'not-consecutive' }
  | { readonly kind: 'unknown-device' };

/**
 * Looks for `code1`, `code2` within ±`windowSteps` steps of `atMs`: consecutive at some offset (a clock that is
 * off, or codes kept too long), from the device but not consecutive, or not from this device at all.
 */
export function diagnoseCodes(
  seedBase32: string,
  code1: string,
  code2: string,
  atMs: number,
  windowSteps = 20,
): CodeDiagnosis {
  const device = totp(seedBase32);
  const step = (code: string) => device.validate({ token: code, timestamp: atMs, window: windowSteps });
  for (let offset = -windowSteps; offset < windowSteps; offset++) {
    if (codeAt(seedBase32, atMs, offset) === code1 && codeAt(seedBase32, atMs, offset + 1) === code2) {
      return { kind: 'consecutive', offsetSteps: offset + 1 };
    }
  }
  return step(code1) !== null || step(code2) !== null
    ? { kind: 'not-consecutive' }
    : { kind: 'unknown-device' };
}

/** The seed as a person types it into an app: groups of four characters. */
export function groupedKey(seedBase32: string): string {
  return seedBase32.replace(/(.{4})(?=.)/g, '$1 ');
}
