/**
 * The AWS CLI's global flags (the synopsis of every `aws` command), so that an `aws …` invocation keeps
 * working when only the program name changes: those that mean something here are accepted with the AWS
 * CLI's meaning, the others are refused with one line saying why, rather than silently ignored.
 *
 * | flag | here |
 * | --- | --- |
 * | `--debug` | log level `debug`, including the SDK's own request log (secrets redacted) |
 * | `--cli-read-timeout N`, `--cli-connect-timeout N` | the SDK's socket read and connect timeouts, seconds (0 = none) |
 * | `--no-verify-ssl` | do not verify TLS certificates (a warning says so) |
 * | `--ca-bundle FILE` (or AWS_CA_BUNDLE) | trust these certificate authorities for TLS |
 * | `--no-cli-pager` | accepted: output is never paged |
 * | `--color on\|off\|auto` | `on`: bold table headers; `off` and `auto` (the default): plain text |
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import type { Env } from '../config.ts';
import { ConfigError, ValidationError } from '../errors.ts';

export interface AwsFlags {
  cliReadTimeout?: number;
  cliConnectTimeout?: number;
  /** False with `--no-verify-ssl`. */
  verifySsl?: boolean;
  caBundle?: string;
  /** False with `--no-cli-pager`. */
  cliPager?: boolean;
}

/** The request handler settings the flags ask for; undefined when the SDK's defaults stand. */
export interface HttpOptions {
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
  readonly rejectUnauthorized?: boolean;
  readonly ca?: string;
}

/** AWS CLI global flags that have no meaning for this tool, and why. */
export const REFUSED_AWS_FLAGS: Readonly<Record<string, string>> = {
  '--no-sign-request': 'every request mfa-remediation sends must be signed',
  '--no-paginate': 'mfa-remediation reads every page itself and prints complete results',
  '--cli-binary-format': 'mfa-remediation takes and prints no binary blobs',
  '--cli-auto-prompt': 'mfa-remediation has no auto-prompt (enroll asks for what it needs at a terminal)',
  '--no-cli-auto-prompt': 'mfa-remediation has no auto-prompt to turn off',
};

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3600)
    throw new InvalidArgumentError('must be whole seconds, 0 to 3600.');
  return n;
}

/** The accepted AWS CLI global flags, as commander options. */
export function awsGlobalOptions(): Option[] {
  return [
    new Option('--debug', 'turn on debug logging (SDK requests included; secrets redacted)'),
    new Option('--cli-read-timeout <seconds>', 'socket read timeout of AWS calls (0 = none)').argParser(
      seconds,
    ),
    new Option('--cli-connect-timeout <seconds>', 'socket connect timeout of AWS calls (0 = none)').argParser(
      seconds,
    ),
    new Option('--no-verify-ssl', 'do not verify TLS certificates of AWS endpoints'),
    new Option('--ca-bundle <file>', 'CA certificates (PEM) to verify TLS with (default: AWS_CA_BUNDLE)'),
    new Option('--no-cli-pager', 'accepted for the AWS CLI: output is never paged'),
    new Option('--color <when>', 'colour in tables').choices(['on', 'off', 'auto']),
  ];
}

/** Refuses the AWS CLI flags that mean nothing here, naming the flag and why (before commander sees it). */
export function refuseAwsFlags(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const flag = arg.split('=')[0] ?? arg;
    const why = REFUSED_AWS_FLAGS[flag];
    if (why) throw new ValidationError(`${flag}: not supported: ${why}`, { field: flag });
  }
}

/** What the flags (and AWS_CA_BUNDLE, as the AWS CLI reads it) ask of the SDK's HTTP handler. */
export function httpOptionsFromFlags(flags: AwsFlags, env: Env): HttpOptions | undefined {
  const caFile = flags.caBundle ?? env.AWS_CA_BUNDLE?.trim();
  let ca: string | undefined;
  if (caFile) {
    const source = flags.caBundle ? '--ca-bundle' : 'AWS_CA_BUNDLE';
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        source,
        `cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(source, `${caFile} holds no PEM certificate`);
    }
  }
  const options: HttpOptions = {
    ...(flags.cliReadTimeout === undefined ? {} : { requestTimeout: flags.cliReadTimeout * 1000 }),
    ...(flags.cliConnectTimeout === undefined ? {} : { connectionTimeout: flags.cliConnectTimeout * 1000 }),
    ...(flags.verifySsl === false ? { rejectUnauthorized: false } : {}),
    ...(ca ? { ca } : {}),
  };
  return Object.keys(options).length > 0 ? options : undefined;
}

/** Checks an endpoint URL (`--endpoint-url` or AWS_ENDPOINT_URL): http(s), with a host. */
export function checkEndpoint(value: string, source: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new ConfigError(
      source,
      `must be an http:// or https:// URL such as http://127.0.0.1:4566 (got "${value}")`,
    );
  }
  return url;
}
