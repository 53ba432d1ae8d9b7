/**
 * `mfa-remediation enroll` through `main()`, on injected streams, against the local cloud: the guided
 * session, the AWS CLI's own `enable-mfa-device` parameters, skeletons, `--submit`, and exit statuses.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { EnrollmentCodesTask, Outcome, TAGS } from '../../src/core/model.ts';
import { codeAt, consecutiveCodes } from '../../src/core/totp.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { CLOUD_ACCOUNT, createCloudDeps } from '../helpers/cloud-enrolment.ts';
import { expectNoSecrets } from '../helpers/custodial.ts';
import { createTerminal, type Terminal } from '../helpers/terminal.ts';

let cloud: LocalCloud;
/** The device the guided session creates with the caller's own credentials: `mfa/bob`, as the console names it. */
const BOB_DEVICE = `arn:aws:iam::${CLOUD_ACCOUNT}:mfa/bob`;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.reset();
});

interface Run {
  readonly status: Promise<number>;
  readonly terminal: Terminal;
  readonly stderr: () => string;
}

/** Runs the CLI against the local cloud with `--output json`; `tty` decides whether stdin is a terminal. */
function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}): Run {
  const terminal = createTerminal({ tty: options.tty ?? false });
  const errors = createTerminal({ tty: false });
  if (!options.tty) terminal.end();
  const status = main(['--endpoint-url', cloud.url, '--output', 'json', ...args], {
    stdin: terminal.input,
    stdout: terminal.output,
    stderr: errors.output,
    env: { AWS_REGION: 'us-east-1', ...options.env },
  });
  return { status, terminal, stderr: () => errors.text() };
}

/** The JSON document the command printed last. */
function printed(run: Run): Record<string, unknown> {
  const text = run.terminal.text();
  return JSON.parse(text.slice(text.lastIndexOf('\n{') + 1)) as Record<string, unknown>;
}

function seedBob(): void {
  cloud.seed({
    accountId: CLOUD_ACCOUNT,
    users: [{ userName: 'bob', consolePassword: true, tags: { [TAGS.state]: 'enrollment-required' } }],
  });
}

async function bobsPhone(): Promise<{ serial: string; seed: string }> {
  const { deps } = createCloudDeps(cloud);
  const { iam } = await deps.accounts.forAccount(CLOUD_ACCOUNT);
  const device = await iam.createVirtualMfaDevice('BobsMFADevice', '/');
  return { serial: device.serialNumber, seed: device.seedBase32 };
}

describe('enroll (guided, at a terminal)', () => {
  it('creates the device, shows the QR code, takes two codes and enables it', async () => {
    // Prepare
    seedBob();
    // Act
    const run = cli(['enroll', '--user-name', 'bob'], { tty: true });
    await run.terminal.waitFor('Scan this QR code');
    const seed = cloud.iam.deviceSeed(CLOUD_ACCOUNT, BOB_DEVICE) ?? '';
    const codes = consecutiveCodes(seed, Date.now());
    await run.terminal.waitFor('First code');
    run.terminal.type('12345');
    await run.terminal.waitFor('exactly six digits');
    await run.terminal.waitFor('First code');
    run.terminal.type(codes[0]);
    await run.terminal.waitFor('Second code');
    run.terminal.type(codes[1]);
    // Assess
    expect(await run.status).toBe(0);
    expect(printed(run)).toMatchObject({
      outcome: 'remediated',
      userName: 'bob',
      trigger: { source: 'enrollment' },
    });
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.mfaSerialNumbers).toEqual([BOB_DEVICE]);
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.tags).toEqual({});
    expectNoSecrets([run.stderr(), JSON.stringify(printed(run))], [seed, ...codes]);
  });

  it('old codes: enabled, warned as out of sync, and resynchronised on the spot', async () => {
    seedBob();
    const run = cli(['enroll', '--user-name', 'bob'], { tty: true });
    await run.terminal.waitFor('First code');
    const seed = cloud.iam.deviceSeed(CLOUD_ACCOUNT, BOB_DEVICE) ?? '';
    run.terminal.type(codeAt(seed, Date.now(), -6));
    await run.terminal.waitFor('Second code');
    run.terminal.type(codeAt(seed, Date.now(), -5));
    await run.terminal.waitFor('out of sync');
    expect(cloud.iam.isOutOfSync(CLOUD_ACCOUNT, BOB_DEVICE)).toBe(true);
    await run.terminal.waitFor('Resynchronise it now');
    run.terminal.type('y');
    const fresh = consecutiveCodes(seed, Date.now());
    await run.terminal.waitFor('First code');
    run.terminal.type(fresh[0]);
    await run.terminal.waitFor('Second code');
    run.terminal.type(fresh[1]);
    expect(await run.status).toBe(0);
    expect(printed(run)).toMatchObject({ outcome: 'remediated', actions: [{ action: 'resync-mfa-device' }] });
    expect(cloud.iam.isOutOfSync(CLOUD_ACCOUNT, BOB_DEVICE)).toBe(false);
  });

  it('invalid codes, then giving up: exit 1 and the unused device is deleted', async () => {
    seedBob();
    const run = cli(['enroll', '--user-name', 'bob'], { tty: true });
    await run.terminal.waitFor('First code');
    run.terminal.type('000000');
    await run.terminal.waitFor('Second code');
    run.terminal.type('999999');
    await run.terminal.waitFor('Try again with two new codes?');
    run.terminal.type('n');
    expect(await run.status).toBe(1);
    expect(printed(run)).toMatchObject({ outcome: 'invalid-code' });
    expect(cloud.iam.snapshot(CLOUD_ACCOUNT).virtualMfaDevices).toEqual([]);
  });
});

describe('enroll (the AWS CLI’s enable-mfa-device parameters)', () => {
  it('the documented invocation works with only the program name changed', async () => {
    seedBob();
    const { serial, seed } = await bobsPhone();
    const [code1, code2] = consecutiveCodes(seed, Date.now());
    const run = cli([
      'enroll',
      '--user-name',
      'bob',
      '--serial-number',
      serial,
      '--authentication-code1',
      code1,
      '--authentication-code2',
      code2,
    ]);
    expect(await run.status).toBe(0);
    expect(printed(run)).toMatchObject({ outcome: 'remediated' });
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.mfaSerialNumbers).toEqual([serial]);
  });

  it('--cli-input-json, with a flag overriding a JSON value', async () => {
    seedBob();
    const { serial, seed } = await bobsPhone();
    const [code1, code2] = consecutiveCodes(seed, Date.now());
    const json = JSON.stringify({
      UserName: 'bob',
      SerialNumber: serial,
      AuthenticationCode1: '000000',
      AuthenticationCode2: code2,
    });
    const run = cli(['enroll', '--cli-input-json', json, '--authentication-code1', code1]);
    expect(await run.status).toBe(0);
    expect(printed(run)).toMatchObject({ outcome: 'remediated' });
  });

  it('invalid codes without a terminal: exit 1 with the advice', async () => {
    seedBob();
    const { serial } = await bobsPhone();
    const run = cli([
      'enroll',
      '--user-name',
      'bob',
      '--serial-number',
      serial,
      '--authentication-code1',
      '000000',
      '--authentication-code2',
      '999999',
    ]);
    expect(await run.status).toBe(1);
    expect(printed(run)).toMatchObject({
      outcome: 'invalid-code',
      reason: expect.stringContaining('immediately'),
    });
  });

  it('--submit: enqueues an enrollment-codes task and prints its request id', async () => {
    seedBob();
    const { serial, seed } = await bobsPhone();
    const sqs = new SQSClient({
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'remediation' }));
    const [code1, code2] = consecutiveCodes(seed, Date.now());
    const run = cli(
      [
        'enroll',
        '--submit',
        '--user-name',
        'bob',
        '--serial-number',
        serial,
        '--authentication-code1',
        code1,
        '--authentication-code2',
        code2,
      ],
      { env: { REMEDIATION_QUEUE_URL: QueueUrl ?? '' } },
    );
    expect(await run.status).toBe(0);
    const { requestId } = printed(run);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    const task = EnrollmentCodesTask.parse(JSON.parse(received.Messages?.[0]?.Body ?? '{}'));
    expect(task).toEqual({
      type: 'enrollment-codes',
      accountId: CLOUD_ACCOUNT,
      userName: 'bob',
      serialNumber: serial,
      code1,
      code2,
      requestId,
    });
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.mfaSerialNumbers).toEqual([]);
    sqs.destroy();
  });
});

describe('enroll usage (exit 2, naming the flag)', () => {
  it.each([
    [['enroll', '--user-name', 'bob'], 'standard input is not a terminal'],
    [['enroll'], '--user-name is required'],
    [['enroll', '--user-name', 'bob smith'], '--user-name: must be'],
    [['enroll', '--user-name', 'bob', '--authentication-code1', '123456'], '--serial-number is required'],
    [
      [
        'enroll',
        '--user-name',
        'bob',
        '--serial-number',
        'arn:aws:iam::1:mfa/x',
        '--authentication-code1',
        '1234567',
      ],
      '--authentication-code1: must be six digits',
    ],
    [['enroll', '--user-name', 'bob', '--account', '12345'], '12 digits'],
    [
      ['enroll', '--generate-cli-skeleton', 'json-output'],
      '--generate-cli-skeleton: must be input, yaml-input or output',
    ],
    [['enroll', '--cli-input-yaml', 'UserName: [1'], '--cli-input-yaml: invalid YAML'],
  ])('%j', async (args, message) => {
    const run = cli(args);
    expect(await run.status).toBe(2);
    expect(run.stderr()).toContain(message);
  });

  it('--generate-cli-skeleton (input) prints the skeleton --cli-input-json takes', async () => {
    for (const args of [['--generate-cli-skeleton'], ['--generate-cli-skeleton', 'input']]) {
      const run = cli(['enroll', ...args]);
      expect(await run.status).toBe(0);
      expect(JSON.parse(run.terminal.text())).toEqual({
        UserName: '',
        SerialNumber: '',
        AuthenticationCode1: '',
        AuthenticationCode2: '',
      });
    }
  });

  it('--generate-cli-skeleton output prints a sample outcome, needing no other flag and calling nothing', async () => {
    const before = cloud.stats().requests;
    const run = cli(['enroll', '--generate-cli-skeleton', 'output']);
    expect(await run.status).toBe(0);
    expect(Outcome.parse(JSON.parse(run.terminal.text()))).toMatchObject({ outcome: 'remediated' });
    expect(cloud.stats().requests).toEqual(before);
  });

  it('--generate-cli-skeleton yaml-input, and --cli-input-yaml reading it back', async () => {
    const skeleton = cli(['enroll', '--generate-cli-skeleton', 'yaml-input']);
    expect(await skeleton.status).toBe(0);
    expect(skeleton.terminal.text()).toContain('AuthenticationCode1: ""');
    const run = cli(['enroll', '--cli-input-yaml', 'UserName: bob\nAuthenticationCode1: "123456"\n']);
    expect(await run.status).toBe(2);
    expect(run.stderr()).toContain('--serial-number is required');
  });
});
