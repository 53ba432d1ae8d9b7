/**
 * Clients nobody on this project wrote, driving the local cloud from child processes: the AWS CLI and boto3
 * as Debian packages them (`apt-get install -y awscli python3-boto3`; .ci/run installs them). Debian's awscli
 * 2.9 and boto3 1.26 speak SQS's query protocol; a newer AWS CLI or boto3 found on PATH as well is tested too
 * (they speak SQS's JSON protocol). Each call checks the exit code and parses the output, so a wire mistake of
 * the local cloud fails the test.
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Client {
  /** e.g. `aws-cli/2.9.19` or `boto3 1.26.27`. */
  readonly version: string;
  readonly path: string;
}

/** `name` on PATH (after `preferred`), each real file once. */
function candidates(name: string, preferred: string): string[] {
  const found = [preferred, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name))];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const path of found) {
    if (!existsSync(path)) continue;
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(path);
  }
  return out;
}

async function probe(path: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(path, args, { timeout: 30_000, env: cleanEnv() });
    return `${stdout}${stderr}`.trim().split(/\s/)[0] || undefined;
  } catch {
    return undefined;
  }
}

/** Every AWS CLI found: Debian's `/usr/bin/aws` first. */
export async function findAwsClis(): Promise<Client[]> {
  const clis: Client[] = [];
  for (const path of candidates('aws', '/usr/bin/aws')) {
    const version = await probe(path, ['--version']);
    if (version?.startsWith('aws-cli/')) clis.push({ path, version });
  }
  return clis;
}

/** Every Python with boto3: Debian's `/usr/bin/python3` first. */
export async function findBoto3s(): Promise<Client[]> {
  const pythons: Client[] = [];
  for (const path of candidates('python3', '/usr/bin/python3')) {
    const version = await probe(path, ['-c', 'import boto3; print("boto3/" + boto3.__version__)']);
    if (version?.startsWith('boto3/')) pythons.push({ path, version });
  }
  return pythons;
}

/** The environment of a client: the local cloud's dummy credentials and nothing of the caller's AWS setup. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('BOTO')) env[key] = value;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'clients',
    AWS_SECRET_ACCESS_KEY: 'clients',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as JSON (the CLI's `--output json`, the scripts' last line). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs a client; never throws for a non-zero exit (the exit code is what tests check). */
export async function exec(
  path: string,
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Result> {
  const done = (code: number, stdout: string, stderr: string): Result => ({
    code,
    stdout,
    stderr,
    json: <T>() => JSON.parse(stdout) as T,
  });
  try {
    const child = run(path, [...args], { timeout: 60_000, env: cleanEnv(options.env), maxBuffer: 16 << 20 });
    if (options.input !== undefined) child.child.stdin?.end(options.input);
    const { stdout, stderr } = await child;
    return done(0, stdout, stderr);
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return done(e.code, e.stdout ?? '', e.stderr ?? '');
  }
}

/** The AWS CLI against the local cloud, JSON output (Debian's 2.9 predates AWS_ENDPOINT_URL). */
export function aws(cli: Client, endpoint: string, args: readonly string[]): Promise<Result> {
  return exec(cli.path, ['--endpoint-url', endpoint, '--output', 'json', ...args]);
}

/** A Python script with boto3 against the local cloud; the endpoint arrives as `ENDPOINT`. */
export function python(client: Client, endpoint: string, script: string): Promise<Result> {
  return exec(client.path, ['-c', `${PRELUDE}\n${script}`], { env: { ENDPOINT: endpoint } });
}

/** What every script starts with: boto3 clients on the local cloud and RFC 6238 TOTP with only hmac. */
const PRELUDE = `
import base64, hashlib, hmac, json, os, struct, sys, time
import boto3
ENDPOINT = os.environ["ENDPOINT"]
def client(name):
    return boto3.client(name, endpoint_url=ENDPOINT, region_name="us-east-1")
def totp(seed, step):
    digest = hmac.new(base64.b32decode(seed), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)
def consecutive_codes(seed):
    now = int(time.time()) // 30
    return totp(seed, now - 1), totp(seed, now)
`;

/** Clients found on this machine, once per test run. */
export const CLIENTS = { aws: await findAwsClis(), boto3: await findBoto3s() };

/** Why a suite is skipped, shown in the test title: CI always has the clients (.ci/run installs them). */
export function missing(kind: 'awscli' | 'python3-boto3', found: readonly Client[]): string {
  return found.length > 0 ? '' : ` (skipped: ${kind} is not installed; apt-get install -y ${kind})`;
}
