import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import {
  type CodesRequest,
  OWN_DEVICE_PATH,
  runEnrolSession,
  type Submission,
} from '../../src/cli/enroll-session.ts';
import type { ItemContext } from '../../src/core/context.ts';
import { SELF_RELEASE_NOTE } from '../../src/core/enrolment.ts';
import { NAMES, TAGS, type WorkItem } from '../../src/core/model.ts';
import { codeAt, consecutiveCodes, groupedKey } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { expectNoSecrets } from '../helpers/custodial.ts';
import { ACCOUNT, createTestDeps, itemContext, type TestDeps } from '../helpers/deps.ts';
import { createTerminal, type Terminal } from '../helpers/terminal.ts';

/** The device `enroll` creates with the caller's own credentials: `mfa/bob`, as the console names it. */
const SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/bob`;
const LEFTOVER_SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Submits through the worker's own code path, as the command does. */
function directSubmit(
  deps: TestDeps,
  seen: CodesRequest[] = [],
  authority: ItemContext['authority'] = 'operator',
) {
  return async (request: CodesRequest): Promise<Submission> => {
    seen.push(request);
    const work: WorkItem = {
      ...request,
      accountId: ACCOUNT,
      userName: 'bob',
      trigger: { source: 'enrollment', requestId: 'req-1' },
    };
    const [outcome] = await runWorkItem(work, deps, itemContext(deps, authority ? { authority } : {}));
    if (!outcome) throw new Error('no outcome');
    return { outcome };
  };
}

function start(
  deps: TestDeps,
  terminal: Terminal,
  overrides: Partial<Parameters<typeof runEnrolSession>[0]> = {},
) {
  return runEnrolSession({
    input: terminal.input,
    output: terminal.output,
    userName: 'bob',
    accountId: ACCOUNT,
    devicePath: OWN_DEVICE_PATH,
    devices: deps.iam,
    submit: directSubmit(deps),
    renderQr: async () => '[QR]',
    ...overrides,
  });
}

const seedOf = (deps: TestDeps, serial = SERIAL) => deps.iam.virtualDevices.get(serial)?.seed ?? '';

/** Answers the two code prompts. */
async function typeCodes(terminal: Terminal, code1: string, code2: string): Promise<void> {
  await terminal.waitFor('First code');
  terminal.type(code1);
  await terminal.waitFor('Second code');
  terminal.type(code2);
}

function setup(): TestDeps {
  const deps = createTestDeps();
  deps.iam.addUser('bob', { tags: { [TAGS.state]: 'enrollment-required' } });
  return deps;
}

describe('guided enrolment session', () => {
  it('creates the device, shows the QR code and key, enables it from two consecutive codes', async () => {
    // Prepare
    const deps = setup();
    const terminal = createTerminal();
    const renderQr = (uri: string) => QRCode.toString(uri, { type: 'terminal', small: true });
    // Act
    const session = start(deps, terminal, { renderQr });
    await terminal.waitFor('Scan this QR code');
    const seed = seedOf(deps);
    const [code1, code2] = consecutiveCodes(seed, Date.now());
    await typeCodes(terminal, code1, code2);
    const result = await session;
    // Assess
    expect(result).toMatchObject({ status: 'enabled', serialNumber: SERIAL });
    expect(terminal.text()).toContain(groupedKey(seed));
    expect(terminal.text()).toContain('▄');
    expect(terminal.text()).toContain('MFA is enabled for bob');
    expect(deps.iam.users.get('bob')?.devices).toEqual([SERIAL]);
    expect(deps.iam.users.get('bob')?.tags).toEqual({});
    expectNoSecrets([JSON.stringify(result), ...deps.lines], [seed, code1, code2]);
  });

  it('re-asks on a typo and on the same code twice', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const session = start(deps, terminal);
    await terminal.waitFor('First code');
    const [code1, code2] = consecutiveCodes(seedOf(deps), Date.now());
    terminal.type('12 34 5');
    await terminal.waitFor('exactly six digits');
    await terminal.waitFor('First code');
    terminal.type(code1.replace(/^(...)/, '$1 '));
    await terminal.waitFor('Second code');
    terminal.type(code1);
    await terminal.waitFor('same code');
    await terminal.waitFor('Second code');
    terminal.type(code2);
    expect((await session).status).toBe('enabled');
    expect(deps.iam.calls.get('EnableMFADevice')).toBe(1);
  });

  it('explains invalid codes, and enables on the retry', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const session = start(deps, terminal);
    await terminal.waitFor('Scan');
    const seed = seedOf(deps);
    await typeCodes(terminal, codeAt(seed, Date.now(), -4), codeAt(seed, Date.now(), 0));
    await terminal.waitFor('not consecutive');
    await terminal.waitFor('Try again with two new codes?');
    terminal.type('');
    await typeCodes(terminal, '000000', '111111');
    await terminal.waitFor('do not come from this device');
    terminal.type('y');
    await typeCodes(terminal, ...consecutiveCodes(seed, Date.now()));
    expect((await session).status).toBe('enabled');
  });

  it('giving up deletes the device it created: nothing orphaned', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const session = start(deps, terminal);
    await typeCodes(terminal, '000000', '111111');
    await terminal.waitFor('Try again');
    terminal.type('n');
    const result = await session;
    expect(result.status).toBe('failed');
    expect(result.submission).toMatchObject({ outcome: { outcome: 'invalid-code' } });
    expect(deps.iam.virtualDevices.size).toBe(0);
    expect(terminal.text()).toContain('was deleted');
  });

  it('the input ending (Ctrl-D) cancels and deletes the device', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const session = start(deps, terminal);
    await terminal.waitFor('First code');
    terminal.end();
    expect((await session).status).toBe('cancelled');
    expect(deps.iam.virtualDevices.size).toBe(0);
  });

  it('an existing device already enabled: offers and performs a resync', async () => {
    // Prepare: bob's device enabled by an earlier session.
    const deps2 = setup();
    const serial = 'arn:aws:iam::111111111111:mfa/bob';
    deps2.iam.virtualDevices.set(serial, { seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    await runWorkItem(
      {
        type: 'enrollment-codes',
        accountId: ACCOUNT,
        userName: 'bob',
        serialNumber: serial,
        code1: deps2.iam.codesFor(serial)[0],
        code2: deps2.iam.codesFor(serial)[1],
        trigger: { source: 'enrollment' },
      },
      deps2,
      itemContext(deps2),
    );
    const seen: CodesRequest[] = [];
    const again = createTerminal();
    // Act
    const session = start(deps2, again, { serialNumber: serial, submit: directSubmit(deps2, seen) });
    await typeCodes(again, ...deps2.iam.codesFor(serial));
    await again.waitFor('was already enabled');
    await again.waitFor('fail when you sign in');
    again.type('y');
    await typeCodes(again, ...deps2.iam.codesFor(serial));
    // Assess
    expect(await session).toMatchObject({ status: 'resynced' });
    expect(seen.map((r) => r.type)).toEqual(['enrollment-codes', 'resync-codes']);
    expect(deps2.iam.calls.get('ResyncMFADevice')).toBe(1);
  });

  it('replaces a leftover unassigned device when the person agrees', async () => {
    const deps = setup();
    deps.iam.virtualDevices.set(SERIAL, { seed: LEFTOVER_SEED });
    const terminal = createTerminal();
    const session = start(deps, terminal);
    await terminal.waitFor('Delete it and create a new one?');
    terminal.type('y');
    await terminal.waitFor('Scan');
    expect(seedOf(deps)).not.toBe(LEFTOVER_SEED);
    await typeCodes(terminal, ...consecutiveCodes(seedOf(deps), Date.now()));
    expect((await session).status).toBe('enabled');
  });

  it('--submit: queues the codes and keeps the device for the worker', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const seen: CodesRequest[] = [];
    const session = start(deps, terminal, {
      submit: async (request) => {
        seen.push(request);
        return { queued: { requestId: 'req-42' } };
      },
    });
    await terminal.waitFor('Scan');
    const codes = consecutiveCodes(seedOf(deps), Date.now());
    await typeCodes(terminal, ...codes);
    expect(await session).toMatchObject({
      status: 'queued',
      submission: { queued: { requestId: 'req-42' } },
    });
    expect(seen).toEqual([
      { type: 'enrollment-codes', serialNumber: SERIAL, code1: codes[0], code2: codes[1] },
    ]);
    expect(deps.iam.virtualDevices.has(SERIAL)).toBe(true);
    expect(terminal.text()).toContain('request req-42');
  });

  it.each([
    ['its own credentials', OWN_DEVICE_PATH],
    ['the member role', NAMES.devicePath],
  ])(
    'with %s, takes exactly the device IAM refused to create again, never one whose path ends alike',
    async (_, path) => {
      // Prepare: a decoy whose path holds ":mfa<path>" (IAM paths may hold any printable character), so its
      // serial number ends exactly like the wanted one, listed first; then the real leftover.
      const deps = setup();
      const decoy = `arn:aws:iam::${ACCOUNT}:mfa/x:mfa${path}bob`;
      const leftover = `arn:aws:iam::${ACCOUNT}:mfa${path}bob`;
      deps.iam.virtualDevices.set(decoy, { seed: LEFTOVER_SEED });
      deps.iam.virtualDevices.set(leftover, { seed: LEFTOVER_SEED });
      const terminal = createTerminal();
      // Act
      const session = start(deps, terminal, { devicePath: path });
      await terminal.waitFor('Delete it and create a new one?');
      expect(terminal.text()).toContain(`An unused MFA device ${leftover} already exists`);
      terminal.type('y');
      await terminal.waitFor('Scan');
      await typeCodes(terminal, ...consecutiveCodes(seedOf(deps, leftover), Date.now()));
      // Assess: the leftover was replaced and enabled; the decoy is untouched.
      expect(await session).toMatchObject({ status: 'enabled', serialNumber: leftover });
      expect(deps.iam.virtualDevices.get(decoy)).toEqual({ seed: LEFTOVER_SEED });
      expect(deps.iam.users.get('bob')?.devices).toEqual([leftover]);
    },
  );

  it("another user's device of that exact name ends the session; a look-alike of someone else does not", async () => {
    const deps = setup();
    deps.iam.virtualDevices.set(`arn:aws:iam::${ACCOUNT}:mfa/x:mfa/bob`, {
      seed: LEFTOVER_SEED,
      userName: 'carol',
    });
    deps.iam.virtualDevices.set(SERIAL, { seed: LEFTOVER_SEED, userName: 'dave' });
    const terminal = createTerminal();
    const result = await start(deps, terminal);
    expect(result.status).toBe('failed');
    expect(terminal.text()).toContain(`The MFA device ${SERIAL} belongs to IAM user dave`);
  });
});

describe("guided enrolment of one's own user (contained, no MFA: the guard allows no DeleteVirtualMFADevice)", () => {
  const own = (deps: TestDeps, seen: CodesRequest[] = []) => ({
    selfEnrolment: true,
    submit: directSubmit(deps, seen, 'self'),
  });

  it('enables mfa/<user> and leaves the guard and tags to the worker', async () => {
    // Prepare
    const deps = setup();
    deps.iam.users.get('bob')?.policies.add('guard');
    const terminal = createTerminal();
    // Act
    const session = start(deps, terminal, own(deps));
    await terminal.waitFor('Scan');
    await typeCodes(terminal, ...consecutiveCodes(seedOf(deps), Date.now()));
    const result = await session;
    // Assess
    expect(result).toMatchObject({
      status: 'enabled',
      serialNumber: SERIAL,
      submission: {
        outcome: {
          outcome: 'remediated',
          actions: [
            { action: 'enable-mfa-device', result: 'applied' },
            { action: 'detach-guard-policy', result: 'skipped', reason: SELF_RELEASE_NOTE },
            { action: 'untag-user', result: 'skipped', reason: SELF_RELEASE_NOTE },
          ],
        },
      },
    });
    expect(deps.iam.users.get('bob')?.tags).toEqual({ [TAGS.state]: 'enrollment-required' });
    for (const call of ['ListUserTags', 'DetachUserPolicy', 'UntagUser']) {
      expect(deps.iam.calls.get(call) ?? 0, call).toBe(0);
    }
  });

  it('giving up keeps the device, deletes nothing, and says what an administrator may delete', async () => {
    const deps = setup();
    const terminal = createTerminal();
    const session = start(deps, terminal, own(deps));
    await typeCodes(terminal, '000000', '111111');
    await terminal.waitFor('Try again');
    terminal.type('n');
    expect((await session).status).toBe('failed');
    expect(deps.iam.calls.get('DeleteVirtualMFADevice') ?? 0).toBe(0);
    expect(deps.iam.virtualDevices.has(SERIAL)).toBe(true);
    expect(terminal.text()).toContain(`aws iam delete-virtual-mfa-device --serial-number ${SERIAL}`);
  });

  it('a leftover device from an earlier attempt: used when the app has it', async () => {
    const deps = setup();
    deps.iam.virtualDevices.set(SERIAL, { seed: LEFTOVER_SEED });
    const terminal = createTerminal();
    const session = start(deps, terminal, own(deps));
    await terminal.waitFor(`Does your authenticator app have it, as "AWS: bob@${ACCOUNT}"`);
    terminal.type('y');
    await terminal.waitFor('Open the authenticator app');
    await typeCodes(terminal, ...consecutiveCodes(LEFTOVER_SEED, Date.now()));
    expect(await session).toMatchObject({ status: 'enabled', serialNumber: SERIAL });
    expect(deps.iam.users.get('bob')?.devices).toEqual([SERIAL]);
    expect(deps.iam.calls.get('DeleteVirtualMFADevice') ?? 0).toBe(0);
  });

  it("a leftover device the app does not have: the administrator's command, nothing deleted", async () => {
    const deps = setup();
    deps.iam.virtualDevices.set(SERIAL, { seed: LEFTOVER_SEED });
    const terminal = createTerminal();
    const session = start(deps, terminal, own(deps));
    await terminal.waitFor('Does your authenticator app have it');
    terminal.type('');
    expect((await session).status).toBe('failed');
    expect(terminal.text()).toContain(`aws iam delete-virtual-mfa-device --serial-number ${SERIAL}`);
    expect(deps.iam.calls.get('DeleteVirtualMFADevice') ?? 0).toBe(0);
    expect(deps.iam.virtualDevices.get(SERIAL)).toEqual({ seed: LEFTOVER_SEED });
  });
});
