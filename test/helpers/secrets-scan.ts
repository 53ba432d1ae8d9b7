/**
 * The secrets scan of the reliability suite (docs/reference.md, Outcomes: "Outcomes never contain a TOTP seed, an
 * authentication code, a password or credentials; neither do logs"). The secrets to look for are the ones
 * that really existed in a run: every virtual MFA seed the cloud generated (from its state, and from the
 * CreateVirtualMFADevice answers on the wire, which include devices deleted since), every code submitted to
 * EnableMFADevice / ResyncMFADevice, every password set, every secret access key and session token STS or
 * IAM issued, and every escrowed secret value. Texts are searched for each secret in the forms it could leak
 * in (a seed as IAM's base64 wire form too; a code only as a whole token, so that a six-digit run inside an
 * id or a timestamp is not mistaken for it), and for any `otpauth://` URI at all.
 */
import type { LocalCloud } from '../../src/local/cloud/server.ts';
import type { WireExchange } from './wire-tap.ts';

export type SecretKind = 'seed' | 'code' | 'password' | 'credential' | 'escrowed';

export interface KnownSecret {
  readonly kind: SecretKind;
  readonly value: string;
}

export interface Leak {
  readonly kind: SecretKind | 'otpauth-uri';
  /** Where: the text's label and the first characters around the hit (with the secret masked). */
  readonly where: string;
}

/** A collection of secrets, deduplicated. */
export class SecretSet {
  readonly #byValue = new Map<string, KnownSecret>();

  add(kind: SecretKind, value: string | undefined | null): void {
    if (!value || this.#byValue.has(value)) return;
    this.#byValue.set(value, { kind, value });
  }

  addAll(other: SecretSet): void {
    for (const s of other.all()) this.add(s.kind, s.value);
  }

  all(): KnownSecret[] {
    return [...this.#byValue.values()];
  }

  count(kind: SecretKind): number {
    return this.all().filter((s) => s.kind === kind).length;
  }
}

const tagValues = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((m) => m[1] as string);

/** Secrets that crossed the wire between workers and the cloud. */
export function secretsFromWire(exchanges: readonly WireExchange[]): SecretSet {
  const secrets = new SecretSet();
  for (const e of exchanges) {
    const params = new URLSearchParams(e.requestBody);
    if (e.service === 'iam') {
      for (const name of ['AuthenticationCode1', 'AuthenticationCode2'])
        secrets.add('code', params.get(name));
      secrets.add('password', params.get('Password'));
      secrets.add('password', params.get('NewPassword'));
      for (const wire of tagValues(e.responseBody, 'Base32StringSeed')) {
        secrets.add('seed', Buffer.from(wire, 'base64').toString('utf8'));
        secrets.add('seed', wire);
      }
      for (const key of tagValues(e.responseBody, 'SecretAccessKey')) secrets.add('credential', key);
    }
    if (e.service === 'sts') {
      for (const tag of ['SecretAccessKey', 'SessionToken']) {
        for (const value of tagValues(e.responseBody, tag)) secrets.add('credential', value);
      }
    }
    if (e.service === 'secretsmanager' && e.requestBody.startsWith('{')) {
      const input = JSON.parse(e.requestBody) as { SecretString?: string };
      secrets.add('escrowed', input.SecretString);
    }
  }
  return secrets;
}

/** Secrets held in the cloud's state: device seeds, users' secret access keys, escrowed values. */
export function secretsFromCloud(cloud: LocalCloud, accountIds: readonly string[]): SecretSet {
  const secrets = new SecretSet();
  for (const accountId of accountIds) {
    const account = cloud.iam.account(accountId);
    for (const device of account.devices.values()) {
      secrets.add('seed', device.seed);
      secrets.add('seed', Buffer.from(device.seed, 'utf8').toString('base64'));
    }
    for (const user of account.users.values()) {
      for (const key of user.accessKeys) secrets.add('credential', key.secretAccessKey);
    }
    for (const secret of cloud.secretsManager.secrets(accountId)) {
      secrets.add('escrowed', cloud.secretsManager.secretString(accountId, secret.name));
    }
  }
  return secrets;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function context(text: string, index: number, length: number): string {
  const before = text.slice(Math.max(0, index - 40), index);
  const after = text.slice(index + length, index + length + 40);
  return `${before}<${'*'.repeat(Math.min(length, 8))}>${after}`.replace(/\s+/g, ' ');
}

/**
 * Finds every known secret (and any otpauth URI) in `texts`. Codes match only as whole tokens (no letter or
 * digit on either side), also as JSON numbers; everything else matches anywhere, case-sensitively, and a seed
 * also by its first or last 16 characters (a truncated seed is still a leak). Reports the first place each
 * secret occurs.
 */
export function findLeaks(texts: readonly { label: string; text: string }[], secrets: SecretSet): Leak[] {
  // One string with line offsets: a few thousand needles over megabytes stay fast with indexOf.
  const starts: number[] = [];
  let length = 0;
  for (const t of texts) {
    starts.push(length);
    length += t.text.length + 1;
  }
  const all = texts.map((t) => t.text).join('\n');
  const where = (index: number, size: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    const entry = texts[lo] as { label: string; text: string };
    return `${entry.label}: ${context(entry.text, index - (starts[lo] as number), size)}`;
  };
  const leaks: Leak[] = [];
  const codes = secrets.all().filter((s) => s.kind === 'code');
  if (codes.length > 0) {
    const re = new RegExp(
      `(?<![0-9A-Za-z])(?:${codes.map((c) => escapeRegExp(c.value)).join('|')})(?![0-9A-Za-z])`,
      'g',
    );
    const seen = new Set<string>();
    for (const hit of all.matchAll(re)) {
      if (seen.has(hit[0])) continue;
      seen.add(hit[0]);
      leaks.push({ kind: 'code', where: where(hit.index, hit[0].length) });
    }
  }
  for (const secret of secrets.all().filter((s) => s.kind !== 'code')) {
    const needles =
      secret.kind === 'seed' && secret.value.length > 24
        ? [secret.value, secret.value.slice(0, 16), secret.value.slice(-16)]
        : [secret.value];
    for (const needle of needles) {
      const index = all.indexOf(needle);
      if (index >= 0) {
        leaks.push({ kind: secret.kind, where: where(index, needle.length) });
        break;
      }
    }
  }
  for (const uri of all.matchAll(/otpauth:\/\//gi)) {
    leaks.push({ kind: 'otpauth-uri', where: where(uri.index, 10) });
  }
  return leaks;
}

/** Labels every line of a text (log output, a child's stdout) for {@link findLeaks}. */
export function linesOf(label: string, text: string | readonly string[]): { label: string; text: string }[] {
  const lines = typeof text === 'string' ? text.split('\n') : text.flatMap((t) => t.split('\n'));
  return lines
    .filter((line) => line.length > 0)
    .map((line, i) => ({ label: `${label}:${i + 1}`, text: line }));
}
