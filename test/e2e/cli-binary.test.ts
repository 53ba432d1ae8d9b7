/**
 * The installed `mfa-remediation` as a user meets it, run as a child process (test/helpers/binary.ts): its
 * version, help, usage errors, start-up validation of every flag and variable, and the AWS CLI's output
 * formats and `--query`, against the local cloud over HTTP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFinding, makeSecurityHubEvent, makeTask } from '../../src/local/findings.ts';
import { ROOT, runBinary } from '../helpers/binary.ts';
import { ACCOUNT, type Harness, startHarness } from './harness.ts';

const VERSION = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** The environment of a shell that ran the local cloud's export lines. */
function cloudEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: harness.cloud.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ALLOWED_ACCOUNTS: ACCOUNT,
    ...extra,
  };
}

describe('install and start', () => {
  it('--version prints this package version, from the compiled dist/', async () => {
    const { status, stdout } = await runBinary(['--version']);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
    const bin = readFileSync(`${ROOT}/bin/mfa-remediation.js`, 'utf8');
    expect(bin).toContain('../dist/cli/main.js');
    expect(bin).not.toContain('tsx');
  });

  it('every command has help with usage, examples, what it prints and exit status; `<command> help` too', async () => {
    for (const command of [
      ['local'],
      ['local-cloud'],
      ['process'],
      ['worker'],
      ['sweep'],
      ['enroll'],
      ['dlq', 'list'],
      ['dlq', 'redrive'],
    ]) {
      const flag = await runBinary([...command, '--help']);
      const word = await runBinary([...command, 'help']);
      expect(flag.status, command.join(' ')).toBe(0);
      expect(word.status, command.join(' ')).toBe(0);
      expect(word.stdout).toBe(flag.stdout);
      for (const section of ['Usage: mfa-remediation', 'Examples:', 'Prints:', 'Exit status:']) {
        expect(flag.stdout, `${command.join(' ')}: ${section}`).toContain(section);
      }
      for (const line of flag.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
    const top = await runBinary(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('--cli-read-timeout');
    for (const line of top.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe('usage errors exit 2 with one line', () => {
  it.each([
    [[], 'a command is required'],
    [['dlq'], 'a subcommand is required'],
    [['local-cloud', '--faults', 'bogus'], '--faults: invalid fault rule "bogus"'],
    [['--output', 'xml', 'process'], "argument 'xml' is invalid"],
    [['--no-sign-request', 'process'], '--no-sign-request: not supported'],
    [['--cli-binary-format', 'raw-in-base64-out', 'process'], '--cli-binary-format: not supported'],
    [['--query', '[', 'process'], '--query: invalid JMESPath expression'],
    [['--endpoint-url', 'localhost:4566', 'process'], '--endpoint-url: must be an http:// or https:// URL'],
    [['--cli-read-timeout', 'soon', 'process'], '--cli-read-timeout'],
    [['--ca-bundle', '/nonexistent.pem', 'process', '-'], '--ca-bundle: cannot read /nonexistent.pem'],
  ])('%j', async (args, message) => {
    const { status, stderr } = await runBinary(args, { env: cloudEnv(), stdin: '{}' });
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n').at(-1)).toMatch(/^error: /);
  });
});

describe('configuration is validated at start-up, one line naming it', () => {
  const body = JSON.stringify(makeTask('verify', { accountId: ACCOUNT, userName: 'nobody' }));

  it.each([
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
    [{ SWEEP_ACCOUNTS: 'foo' }, 'SWEEP_ACCOUNTS: "foo" is not a 12-digit account id'],
    [{ AWS_ENDPOINT_URL: 'not a url' }, 'AWS_ENDPOINT_URL: must be an http:// or https:// URL'],
    [{ REMEDIATION_MODE: 'bogus' }, 'REMEDIATION_MODE: must be one of'],
    [{ GRACE_PERIOD_HOURS: '-1' }, 'GRACE_PERIOD_HOURS: must be between'],
    [
      { OUTCOME_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:no-such-topic` },
      `OUTCOME_TOPIC_ARN: the topic arn:aws:sns:us-east-1:${ACCOUNT}:no-such-topic does not exist`,
    ],
  ])('%j', async (env, message) => {
    const { status, stderr } = await runBinary(['process', '-'], { env: cloudEnv(env), stdin: body });
    expect(status, stderr).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.startsWith(`error: ${message}`), stderr).toBe(true);
  });

  it('a queue that does not exist is named', async () => {
    const missing = `${harness.cloud.url}/${ACCOUNT}/no-such-queue`;
    const { status, stderr } = await runBinary(['worker', '--until-empty', '--queue-url', missing], {
      env: cloudEnv(harness.pipeline.env),
    });
    expect(status).toBe(2);
    expect(stderr).toContain(`error: --queue-url: the queue ${missing} does not exist`);
  });

  it('a missing region or credentials: one line saying which and how to set it, with the profile', async () => {
    const real = { AWS_ENDPOINT_URL: 'https://sqs.example.invalid' };
    const region = await runBinary(['process', '-'], { env: real, stdin: body });
    expect(region.status).toBe(2);
    expect(region.stderr.trim()).toBe(
      'error: --region: no AWS region: pass --region or set AWS_REGION (or region in ~/.aws/config)',
    );
    const credentials = await runBinary(['--region', 'eu-west-1', 'process', '-'], {
      env: real,
      stdin: body,
    });
    expect(credentials.status).toBe(2);
    expect(credentials.stderr.trim()).toMatch(
      /^error: credentials: no AWS credentials: set AWS_ACCESS_KEY_ID/,
    );
    const profile = await runBinary(['--profile', 'ops', 'process', '-'], { env: real, stdin: body });
    expect(profile.status).toBe(2);
    expect(profile.stderr).toMatch(/profile "ops"/);
  });
});

describe('AWS CLI output formats and --query', () => {
  const input = () =>
    [
      JSON.stringify(makeSecurityHubEvent([makeFinding({ userName: 'fmt-alice', accountId: ACCOUNT })])),
      JSON.stringify(makeTask('mfa-missing', { accountId: ACCOUNT, userName: 'fmt-bob', source: 'manual' })),
    ].join('\n');

  beforeAll(() => {
    harness.seed(ACCOUNT, [
      { userName: 'fmt-alice', consolePassword: true, mfa: true },
      { userName: 'fmt-bob', consolePassword: true, mfa: false },
    ]);
  });

  it('process --query outcome: the query applies to each outcome, then text prints one per line', async () => {
    const text = await runBinary(['--dry-run', '--query', 'outcome', '--output', 'text', 'process', '-'], {
      env: cloudEnv(),
      stdin: input(),
    });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toBe('already-compliant\nenrollment-required\n');

    const json = await runBinary(
      ['--dry-run', '--query', '[outcome, userName]', '--output', 'json', 'process', '-'],
      {
        env: cloudEnv(),
        stdin: input(),
      },
    );
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      ['already-compliant', 'fmt-alice'],
      ['enrollment-required', 'fmt-bob'],
    ]);
  });

  it('--output yaml and --output table with --query format the queried result, never JSON', async () => {
    const yaml = await runBinary(
      ['--dry-run', '--output', 'yaml', '--query', '{user: userName, outcome: outcome}', 'process', '-'],
      {
        env: cloudEnv(),
        stdin: input(),
      },
    );
    expect(yaml.status, yaml.stderr).toBe(0);
    expect(yaml.stdout).toBe(
      '---\nuser: fmt-alice\noutcome: already-compliant\n---\nuser: fmt-bob\noutcome: enrollment-required\n',
    );

    const table = await runBinary(
      ['--dry-run', '--output', 'table', '--query', '{user: userName, outcome: outcome}', 'process', '-'],
      {
        env: cloudEnv(),
        stdin: input(),
      },
    );
    expect(table.stdout).not.toContain('{');
    expect(table.stdout.split('\n')[0]).toMatch(/^user\s+outcome$/);
    expect(table.stdout).toMatch(/fmt-bob\s+enrollment-required/);
  });

  it('tables fit the terminal: what does not fit as columns is one record per outcome, nothing cut', async () => {
    const { stdout } = await runBinary(['--dry-run', '--output', 'table', 'process', '-'], {
      env: cloudEnv({ COLUMNS: '80' }),
      stdin: input(),
    });
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    // Account, user, outcome and deadline leave too little room for the actions and reason at 80 columns.
    expect(stdout).not.toContain('…');
    expect(lines.filter((line) => line.startsWith('USER '))).toEqual([
      'USER      fmt-alice',
      'USER      fmt-bob',
    ]);
    expect(stdout).toMatch(/^REASON {4}no MFA device; console password present$/m);
    expect(lines.filter((line) => line === '')).toHaveLength(1);
  });
});

describe('AWS CLI global flags that mean something here', () => {
  it('--cli-read-timeout bounds a call to an endpoint that never answers', async () => {
    // A server that accepts connections and never says a word.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const url = `http://127.0.0.1:${port}`;
      const run = await runBinary(
        [
          '--endpoint-url',
          url,
          '--cli-read-timeout',
          '1',
          'dlq',
          'list',
          '--queue-url',
          `${url}/${ACCOUNT}/q`,
        ],
        { env: { ...cloudEnv(), AWS_ENDPOINT_URL: url }, timeoutMs: 40_000 },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^error: .*(timed out|timeout|Timeout)/im);
      expect(run.ms).toBeLessThan(30_000);
    } finally {
      silent.close();
    }
  });

  it('--debug logs the SDK requests at debug on stderr, and never an authentication code', async () => {
    harness.seed(ACCOUNT, [{ userName: 'debug-bob', consolePassword: true }]);
    const serial = `arn:aws:iam::${ACCOUNT}:mfa/debug-bob`;
    const run = await runBinary(
      [
        '--debug',
        '--output',
        'json',
        'enroll',
        '--user-name',
        'debug-bob',
        '--serial-number',
        serial,
        '--authentication-code1',
        '482913',
        '--authentication-code2',
        '774201',
      ],
      { env: cloudEnv() },
    );
    expect(run.stderr).toContain('"msg":"aws_sdk"');
    expect(run.stderr).toContain('"level":"debug"');
    expect(run.stderr + run.stdout).not.toContain('482913');
    expect(run.stderr + run.stdout).not.toContain('774201');
  });

  it('--no-verify-ssl and --ca-bundle decide whether a self-signed endpoint is trusted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfa-remediation-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    // Answers every request with SQS's QueueDoesNotExist, so a request that got through says so.
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
      });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.sqs#QueueDoesNotExist',
          message: 'The specified queue does not exist.',
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const args = (...flags: string[]) => [
      ...flags,
      '--endpoint-url',
      url,
      'dlq',
      'list',
      '--queue-url',
      `${url}/${ACCOUNT}/q`,
    ];
    const env = { ...cloudEnv(), AWS_ENDPOINT_URL: url };
    try {
      const verified = await runBinary(args(), { env });
      expect(verified.status).toBe(1);
      expect(verified.stderr).toMatch(/self[- ]signed certificate/i);
      const unverified = await runBinary(args('--no-verify-ssl'), { env });
      expect(unverified.stderr).toContain('does not exist');
      const bundled = await runBinary(args('--ca-bundle', cert), { env });
      expect(bundled.stderr).toContain('does not exist');
    } finally {
      server.close();
    }
  });
});
