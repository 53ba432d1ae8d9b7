/**
 * Secrets scan (docs/reference.md, Outcomes: outcomes and logs never contain a TOTP seed, an authentication code, a
 * password or credentials). One run through every path that handles a secret — custodial enrolment (the
 * worker creates devices, escrows seeds, derives codes), codes people submit (valid, wrong, and inside a
 * message that is rejected), resynchronisation, findings in a member account (STS session credentials) —
 * with debug logging, then every log line and every published outcome is searched for every secret that
 * existed in the run. The fault soak and the crash test run the same scan over their own logs, outcomes and
 * worker output (`assessRun`).
 *
 * The scan is shown to be real: the secrets it looks for are the run's own (read back from the cloud and the
 * wire), and a positive control leaks some of them into a log line and expects each to be reported.
 */
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateVirtualMFADeviceCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escrowSecretName, type Outcome, TAGS } from '../../src/core/model.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { makeFinding, makeSecurityHubEvent, makeTask } from '../../src/local/findings.ts';
import { captureLogger } from '../helpers/deps.ts';
import { MAIN_ACCOUNT, MEMBER_ACCOUNT } from '../helpers/reliability-population.ts';
import { createInProcessWorker, readOutcomes, startWorld, type World } from '../helpers/reliability-world.ts';
import {
  findLeaks,
  linesOf,
  type SecretSet,
  secretsFromCloud,
  secretsFromWire,
} from '../helpers/secrets-scan.ts';

const PASSWORD = 'Correct-Horse-Battery-Staple-7';

let world: World;
/** What the run left behind, for the scan and the positive control. */
let run: { lines: string[]; outcomeTexts: string[]; outcomes: Outcome[]; secrets: SecretSet };

function wrongCodes(i: number): [string, string] {
  return [String(314_159 + i * 7919).padStart(6, '0'), String(271_828 + i * 104_729).slice(-6)];
}

beforeAll(async () => {
  world = await startWorld({ seed: 99, services: ['iam', 'sts', 'sns', 'secretsmanager', 'securityhub'] });
  const { cloud, pipeline, sqs, tap } = world;
  const consoleUsers = (names: string[], tags: Record<string, string> = {}) =>
    names.map((userName) => ({ userName, consolePassword: true, accessKeys: 1, tags }));
  cloud.seed({
    accountId: MAIN_ACCOUNT,
    users: [
      ...consoleUsers(['vault-main'], { [TAGS.custodial]: 'true' }),
      ...consoleUsers(['alice', 'bob', 'carol', 'dave']),
      { userName: 'erin' },
    ],
  });
  cloud.seed({
    accountId: MEMBER_ACCOUNT,
    users: [...consoleUsers(['vault-member'], { [TAGS.custodial]: 'true' }), ...consoleUsers(['frank'])],
  });

  // People enrolling themselves: devices created outside the worker, whose seeds the test holds.
  const iam = new IAMClient(world.direct);
  const seeds = new Map<string, { serial: string; seed: string }>();
  for (const userName of ['alice', 'bob', 'carol', 'dave']) {
    const created = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName }));
    const device = created.VirtualMFADevice;
    seeds.set(userName, {
      serial: device?.SerialNumber ?? '',
      seed: Buffer.from(device?.Base32StringSeed ?? new Uint8Array()).toString('utf8'),
    });
  }
  // Secrets that exist in the account without the worker ever touching them.
  await iam.send(new CreateLoginProfileCommand({ UserName: 'erin', Password: PASSWORD }));
  await iam.send(new CreateAccessKeyCommand({ UserName: 'erin' }));
  iam.destroy();

  const device = (name: string) => seeds.get(name) as { serial: string; seed: string };
  const codes = (name: string) => consecutiveCodes(device(name).seed, world.clock.now());
  const submit = (name: string, type: string, pair: [string, string], serial = device(name).serial) =>
    makeTask(type, {
      accountId: MAIN_ACCOUNT,
      userName: name,
      serialNumber: serial,
      code1: pair[0],
      code2: pair[1],
      requestId: `req-${name}-${type}`,
    });
  const bodies = [
    makeSecurityHubEvent([
      makeFinding({ userName: 'vault-main', accountId: MAIN_ACCOUNT }),
      makeFinding({ userName: 'vault-member', accountId: MEMBER_ACCOUNT }),
      makeFinding({ userName: 'frank', accountId: MEMBER_ACCOUNT }),
    ]),
    submit('alice', 'enrollment-codes', codes('alice')),
    submit('bob', 'enrollment-codes', wrongCodes(1)),
    submit('carol', 'enrollment-codes', codes('carol')),
    // Rejected at intake (serial number too short): the body, codes and all, is parked; nothing else keeps them.
    submit('dave', 'enrollment-codes', wrongCodes(2), 'arn:x'),
  ];
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pipeline.queueUrl,
      Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) })),
    }),
  );

  const { log, lines } = captureLogger();
  const worker = () => createInProcessWorker(world, { log }).run();
  await worker();
  // Carol resynchronises her (enabled) device with two fresh codes.
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pipeline.queueUrl,
      Entries: [{ Id: '0', MessageBody: JSON.stringify(submit('carol', 'resync-codes', codes('carol'))) }],
    }),
  );
  await worker();

  const { outcomes, texts } = await readOutcomes(sqs, pipeline);
  const secrets = secretsFromWire(tap.exchanges);
  secrets.addAll(secretsFromCloud(cloud, [MAIN_ACCOUNT, MEMBER_ACCOUNT]));
  // The codes of messages that never reached IAM (wrong ones, the rejected message's) are secrets too.
  for (const pair of [wrongCodes(1), wrongCodes(2)]) for (const code of pair) secrets.add('code', code);
  secrets.add('password', PASSWORD);
  run = { lines, outcomeTexts: texts, outcomes, secrets };
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('secrets scan', () => {
  it('the run went through every path that handles a secret', () => {
    const byUser = new Map(run.outcomes.map((o) => [o.userName, o.outcome]));
    expect(Object.fromEntries(byUser)).toMatchObject({
      'vault-main': 'remediated',
      'vault-member': 'remediated',
      frank: 'enrollment-required',
      alice: 'remediated',
      bob: 'invalid-code',
      carol: 'remediated',
    });
    expect(run.outcomes.filter((o) => o.outcome === 'rejected')).toHaveLength(1);
    expect(run.outcomes.some((o) => o.reason === 'MFA device resynchronised')).toBe(true);
    for (const accountId of [MAIN_ACCOUNT, MEMBER_ACCOUNT]) {
      const vault = accountId === MAIN_ACCOUNT ? 'vault-main' : 'vault-member';
      expect(world.cloud.secretsManager.secretString(accountId, escrowSecretName(accountId, vault))).toMatch(
        /^otpauth:/,
      );
    }
    // Seeds: four created by the test, two by the worker, each also in IAM's base64 wire form.
    expect(run.secrets.count('seed')).toBeGreaterThanOrEqual(12);
    // Codes: four submitted by people (alice, carol ×2 pairs) and two derived by the worker per custodial user.
    expect(run.secrets.count('code')).toBeGreaterThanOrEqual(10);
    expect(run.secrets.count('credential')).toBeGreaterThanOrEqual(3);
    expect(run.secrets.count('escrowed')).toBe(2);
    expect(run.secrets.count('password')).toBe(1);
    // One log line per outcome at least, besides the worker's own.
    expect(run.lines.length).toBeGreaterThan(run.outcomes.length);
  });

  it('no seed, code, password, credential or escrowed secret appears in any log line or outcome', () => {
    const leaks = findLeaks(
      [...linesOf('log', run.lines), ...run.outcomeTexts.map((text, i) => ({ label: `outcome ${i}`, text }))],
      run.secrets,
    );
    expect(leaks).toEqual([]);
  });

  it('positive control: the scan reports each kind of secret of this run when it does leak', () => {
    // Each leak uses a secret of its own: the scan reports the first place each secret occurs.
    const of = (kind: string) => run.secrets.all().filter((s) => s.kind === kind && s.value.length !== 0);
    const [seed = '', otherSeed = ''] = of('seed').map((s) => s.value);
    const codes = of('code').map((s) => s.value);
    // A code leaked as a JSON number keeps its digits only when it has no leading zero.
    const otherCode = codes.find((c) => !c.startsWith('0')) ?? '';
    const [code = '', redactedCode = ''] = codes.filter((c) => c !== otherCode);
    const credential = of('credential').find((s) => s.value.length > 100)?.value;
    const { log, lines } = captureLogger();
    log.info({ note: `device ready: ${seed}` }, 'leak_seed');
    log.info({ hint: otherSeed.slice(0, 16) }, 'leak_truncated_seed');
    log.info({ detail: `submitted ${code} then more` }, 'leak_code');
    log.info({ values: [Number(otherCode)] }, 'leak_code_as_number');
    log.info({ token: credential }, 'leak_session_token');
    log.info({ login: `pw=${PASSWORD}` }, 'leak_password');
    log.info({ link: 'otpauth://totp/AWS:x?secret=ABC' }, 'leak_uri');
    // Redacted fields and look-alikes are not leaks.
    log.info({ seed: otherSeed, code1: redactedCode, sessionToken: credential }, 'redacted');
    log.info({ id: `${redactedCode}7`, other: `x${redactedCode}` }, 'longer_tokens');

    const leaks = findLeaks(linesOf('control', lines), run.secrets);
    const reported = (message: string) =>
      leaks.filter((l) => lines[Number(/^control:(\d+)/.exec(l.where)?.[1]) - 1]?.includes(message));
    expect(reported('leak_seed').map((l) => l.kind)).toContain('seed');
    expect(reported('leak_truncated_seed').map((l) => l.kind)).toContain('seed');
    expect(reported('leak_code"').map((l) => l.kind)).toContain('code');
    expect(reported('leak_code_as_number').map((l) => l.kind)).toContain('code');
    expect(reported('leak_session_token').map((l) => l.kind)).toContain('credential');
    expect(reported('leak_password').map((l) => l.kind)).toContain('password');
    expect(reported('leak_uri').map((l) => l.kind)).toContain('otpauth-uri');
    expect(reported('"redacted"')).toEqual([]);
    expect(reported('longer_tokens')).toEqual([]);
  });
});
