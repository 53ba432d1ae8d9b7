/**
 * The guided `enroll` as a person at an 80×24 terminal meets it: the installed binary in a real
 * pseudo-terminal (util-linux `script`, sized with `stty`), against the local cloud. The user is checked
 * before anything is created, and the QR code with the key beside it fits the screen.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS } from '../../src/core/model.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { makeTask } from '../../src/local/findings.ts';
import { BINARY, cleanEnv, ROOT } from '../helpers/binary.ts';
import { ACCOUNT, type Harness, startHarness } from './harness.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;

interface Session {
  screen(): string;
  waitFor(text: string): Promise<void>;
  type(line: string): void;
  exited: Promise<number | null>;
}

/** `mfa-remediation …args` in a pseudo-terminal of 80 columns and 24 rows. */
function terminal(args: readonly string[], extraEnv: Record<string, string> = {}): Session {
  const command = `stty cols 80 rows 24; exec node ${BINARY} ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: cleanEnv({
      AWS_ENDPOINT_URL: harness.cloud.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      TERM: 'xterm',
      ...extraEnv,
    }),
  });
  let output = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const wake of waiters) wake();
  });
  return {
    screen: () => output.replace(ANSI, ''),
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${text}" in:\n${output.replace(ANSI, '')}`)),
          20_000,
        );
        const check = () => {
          if (!output.replace(ANSI, '').includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    type: (line) => child.stdin.write(`${line}\n`),
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

describe('enroll at an 80×24 terminal', () => {
  it('says the user does not exist before creating a device or drawing a QR code', async () => {
    const before = harness.cloud.stats().requests['iam:CreateVirtualMFADevice'] ?? 0;
    const session = terminal(['enroll', '--user-name', 'nobody']);
    expect(await session.exited).toBe(1);
    expect(session.screen()).toContain(
      `IAM user nobody does not exist in account ${ACCOUNT}; nothing was created`,
    );
    expect(session.screen()).not.toContain('▀');
    expect(harness.cloud.stats().requests['iam:CreateVirtualMFADevice'] ?? 0).toBe(before);
  });

  it('shows the QR code with the key beside it within 80×24, then enables the device from two codes', async () => {
    harness.seed(ACCOUNT, [
      { userName: 'tty-bob', consolePassword: true, tags: { [TAGS.state]: 'enrollment-required' } },
    ]);
    const session = terminal(['enroll', '--user-name', 'tty-bob']);
    await session.waitFor('First code');

    const lines = session.screen().split('\n');
    const qrTop = lines.findIndex((l) => /^ {20,}/.test(l) && lines[lines.indexOf(l) + 1]?.includes('█'));
    const prompt = lines.findIndex((l) => l.includes('First code'));
    expect(qrTop).toBeGreaterThanOrEqual(0);
    expect(prompt - qrTop + 1, session.screen()).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    const serial = `arn:aws:iam::${ACCOUNT}:mfa/tty-bob`;
    const seed = harness.cloud.iam.deviceSeed(ACCOUNT, serial) ?? '';
    const keyLines = (seed.match(/.{1,16}/g) ?? []).map((part) => (part.match(/.{1,4}/g) ?? []).join(' '));
    const screen = session.screen();
    for (const key of keyLines) expect(screen).toContain(key);
    for (const line of lines.slice(qrTop, prompt)) expect(line.length).toBeLessThanOrEqual(80);

    const [code1, code2] = consecutiveCodes(seed, Date.now());
    session.type(code1);
    await session.waitFor('Second code');
    session.type(code2);
    expect(await session.exited).toBe(0);
    expect(session.screen()).toContain('MFA is enabled for tty-bob');
    expect(harness.cloud.iam.getUser(ACCOUNT, 'tty-bob')?.mfaSerialNumbers).toEqual([serial]);
  });
});

describe('worker at a terminal', () => {
  it('shows live progress on stderr (received, done, retried, by outcome) and one log line per outcome', async () => {
    harness.seed(ACCOUNT, [{ userName: 'tty-w1', consolePassword: true, mfa: true }]);
    await harness.send([makeTask('verify', { accountId: ACCOUNT, userName: 'tty-w1' })]);
    const session = terminal(['worker', '--until-empty'], harness.pipeline.env);
    expect(await session.exited).toBe(0);
    const screen = session.screen();
    expect(screen).toMatch(/worker: 1 received, 1 done, 0 retried · already-compliant 1/);
    expect(screen).toContain('"msg":"outcome"');
  });
});
