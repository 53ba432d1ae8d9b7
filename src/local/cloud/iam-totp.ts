/**
 * The TOTP checks IAM applies to EnableMFADevice and ResyncMFADevice (RFC 6238: HMAC-SHA1, six digits,
 * 30-second steps). Both calls take two *consecutive* codes, which is how IAM measures the device's clock.
 *
 * AWS documents one surprising case that the local cloud models: "If you generate the codes and then wait
 * too long to submit the request, the MFA device successfully associates with the user but the MFA device
 * becomes out of sync", and ResyncMFADevice fixes it. Hence three windows, in time steps relative to now:
 *
 * | call   | window of the first code's step | result                                 |
 * | ------ | ------------------------------- | -------------------------------------- |
 * | enable | now-2 … now                     | enabled, in sync                       |
 * | enable | now-20 … now-3                  | enabled, out of sync (drift recorded)  |
 * | resync | now-20 … now+1                  | in sync again                          |
 *
 * Anything else (a wrong code, a non-consecutive pair, a pair older than the widest window) is
 * InvalidAuthenticationCode.
 */
import { HOTP, Secret } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;

const WINDOWS = {
  enableInSync: [-2, 0],
  enableOutOfSync: [-20, -3],
  resync: [-20, 1],
} as const satisfies Record<string, readonly [number, number]>;

/** The TOTP time step (counter) at a time in milliseconds. */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The six-digit code of a base32 seed for one counter value. */
export function totpCode(seed: string, counter: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(seed), algorithm: 'SHA1', digits: 6, counter });
}

/** The counter `c` in `[from, to]` (absolute steps) with `code1 = TOTP(c)` and `code2 = TOTP(c + 1)`. */
function consecutivePair(
  seed: string,
  code1: string,
  code2: string,
  from: number,
  to: number,
): number | undefined {
  for (let counter = to; counter >= from; counter--) {
    if (totpCode(seed, counter) === code1 && totpCode(seed, counter + 1) === code2) return counter;
  }
  return undefined;
}

export type CodeCheck =
  | { readonly valid: false }
  | { readonly valid: true; readonly outOfSync: boolean; readonly driftSteps: number };

/**
 * Drift is measured against the pair a person would type right now: the previous step's code and the
 * current one. A device whose pair matches `now-1` has drift 0.
 */
function result(counter: number, now: number, outOfSync: boolean): CodeCheck {
  return { valid: true, outOfSync, driftSteps: counter - (now - 1) };
}

/** Checks an EnableMFADevice code pair. */
export function checkEnableCodes(seed: string, code1: string, code2: string, nowMs: number): CodeCheck {
  const now = timeStep(nowMs);
  const [inFrom, inTo] = WINDOWS.enableInSync;
  const inSync = consecutivePair(seed, code1, code2, now + inFrom, now + inTo);
  if (inSync !== undefined) return result(inSync, now, false);
  const [oldFrom, oldTo] = WINDOWS.enableOutOfSync;
  const stale = consecutivePair(seed, code1, code2, now + oldFrom, now + oldTo);
  return stale === undefined ? { valid: false } : result(stale, now, true);
}

/** Checks a ResyncMFADevice code pair. */
export function checkResyncCodes(seed: string, code1: string, code2: string, nowMs: number): CodeCheck {
  const now = timeStep(nowMs);
  const [from, to] = WINDOWS.resync;
  const counter = consecutivePair(seed, code1, code2, now + from, now + to);
  return counter === undefined ? { valid: false } : result(counter, now, false);
}
