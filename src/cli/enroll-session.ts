/**
 * The guided enrolment behind `mfa-remediation enroll`: for a person at a terminal (the user, or a helpdesk
 * operator beside them). It creates the virtual device (or uses an existing one), shows its QR code, asks for
 * two consecutive codes, and submits them through the same core code as the worker, so the outcome is the
 * one a portal submission would get.
 *
 * The seed is shown here and only here: on the person's own terminal, as the QR code and as the key to type
 * by hand (IAM returns it once, at creation). It is never logged, and never part of the result.
 *
 * EnableMFADevice accepts codes up to ten minutes old but then associates the device "out of sync", so that
 * sign-ins fail until ResyncMFADevice. When the session created the device it knows the seed and can tell
 * old codes apart: it then offers to resync at once. A device the session created and could not enable is
 * deleted again, so no unusable device is left behind — except when the person enrols themselves: without
 * MFA they may not delete a device (see `selfEnrolment`), so it stays for their next attempt.
 */
import type { Readable, Writable } from 'node:stream';
import { isVirtualDevice } from '../core/claims/device.ts';
import type { Outcome } from '../core/model.ts';
import type { IamPort } from '../core/ports.ts';
import { type CodeDiagnosis, diagnoseCodes, groupedKey, otpauthUri, TOTP_PERIOD_MS } from '../core/totp.ts';
import { errorCode } from '../errors.ts';
import { createPrompter, PromptClosedError, type Prompter } from './prompt.ts';

export interface CodesRequest {
  readonly type: 'enrollment-codes' | 'resync-codes';
  readonly serialNumber: string;
  readonly code1: string;
  readonly code2: string;
}

/** What submitting codes gave: the outcome (enabled directly) or a queued task (`--submit`). */
export type Submission =
  | { readonly outcome: Outcome }
  | { readonly queued: { readonly requestId: string; readonly messageId?: string } };

/**
 * The path of a device created with the person's own credentials: the console's, and the only one the guard
 * lets a contained user create (`mfa/${aws:username}`, docs/security.md: The guard policy and its limits).
 */
export const OWN_DEVICE_PATH = '/';

export interface EnrolSessionOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly userName: string;
  readonly accountId: string;
  /** An existing device; otherwise the session creates `mfa<devicePath><user>`. */
  readonly serialNumber?: string;
  /**
   * Where a device the session creates lives: {@link OWN_DEVICE_PATH} for the caller's own credentials, the
   * product's `/mfa-remediation/` through the member role (which may create devices only there).
   */
  readonly devicePath: string;
  /**
   * The person enrols their own IAM user with their own credentials. Contained and without MFA, the guard lets
   * them create and enable `mfa/<user>` but not delete a device (AWS's self-manage pattern also keeps
   * DeleteVirtualMFADevice behind MFA), so the session deletes nothing: an unused device stays for their next
   * attempt, and one they cannot use is left for an administrator to delete, with the command to do it.
   */
  readonly selfEnrolment?: boolean;
  /** Resynchronise the (assigned) device instead of enabling it. */
  readonly resync?: boolean;
  readonly devices: Pick<
    IamPort,
    'createVirtualMfaDevice' | 'deleteVirtualMfaDevice' | 'listVirtualMfaDevices'
  >;
  readonly submit: (request: CodesRequest) => Promise<Submission>;
  /** Renders the otpauth URI as a QR code for the terminal. */
  readonly renderQr: (uri: string) => Promise<string>;
  /**
   * Renders the whole device panel (QR code and key) instead of `renderQr` and the default lines: the CLI
   * lays the key beside the code so both fit an 80×24 terminal.
   */
  readonly renderDevice?: (device: { readonly seed: string; readonly label: string }) => string;
  readonly now?: () => number;
  /** Pairs of codes the person may try before the session gives up. Default 5. */
  readonly maxAttempts?: number;
}

export interface SessionResult {
  readonly status: 'enabled' | 'resynced' | 'queued' | 'failed' | 'cancelled';
  readonly serialNumber?: string;
  /** The last outcome, or the queued task. */
  readonly submission?: Submission;
}

interface Device {
  readonly serialNumber: string;
  /** Known only when this session created the device. */
  readonly seed?: string;
  readonly created: boolean;
}

/** Runs the guided enrolment to its end; never throws for what the person does (typos, Ctrl-D). */
export async function runEnrolSession(options: EnrolSessionOptions): Promise<SessionResult> {
  const prompt = createPrompter(options.input, options.output);
  let device: Device | undefined;
  let result: SessionResult = { status: 'cancelled' };
  try {
    const prepared = options.serialNumber
      ? ({ serialNumber: options.serialNumber, created: false } satisfies Device)
      : await prepareDevice(options, prompt);
    if (prepared === 'failed') {
      result = { status: 'failed' };
      return result;
    }
    if ('assigned' in prepared) {
      result = { status: 'enabled', serialNumber: prepared.assigned };
      result = await offerResync(options, prompt, prepared.assigned, result);
      return result;
    }
    device = prepared;
    if (options.resync) {
      result = await codesLoop(options, prompt, device, 'resync-codes');
      return result;
    }
    if (device.seed) await showDevice(options, prompt, device.seed);
    else prompt.say(`Open the authenticator app that holds the MFA device ${device.serialNumber}.`);
    result = await codesLoop(options, prompt, device, 'enrollment-codes');
    return result;
  } catch (error) {
    if (!(error instanceof PromptClosedError)) throw error;
    prompt.say('\nCancelled: the input ended.');
    return result;
  } finally {
    if (device?.created && !['enabled', 'resynced', 'queued'].includes(result.status)) {
      if (options.selfEnrolment) keepUnused(prompt, device.serialNumber);
      else await deleteUnused(options, prompt, device.serialNumber);
    }
    prompt.close();
  }
}

/**
 * Creates `mfa<devicePath><user>`. When the name is taken: a device already assigned to the user ends the
 * enrolment; an unassigned one is useless (its seed was shown once, to whoever created it) unless the person
 * still has it in their app, and is replaced if they agree — or, enrolling themselves, used if they have it.
 */
async function prepareDevice(
  options: EnrolSessionOptions,
  prompt: Prompter,
): Promise<Device | { readonly assigned: string } | 'failed'> {
  const { devices, userName } = options;
  const wanted = { accountId: options.accountId, path: options.devicePath, name: userName };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const created = await devices.createVirtualMfaDevice(userName, options.devicePath);
      return { serialNumber: created.serialNumber, seed: created.seedBase32, created: true };
    } catch (error) {
      if (errorCode(error) !== 'EntityAlreadyExists') throw error;
    }
    // Exactly the device IAM refused to create again: a path may contain `:mfa/`, so no suffix match.
    const existing = (await devices.listVirtualMfaDevices({ assignment: 'Any' })).find((d) =>
      isVirtualDevice(d.serialNumber, wanted),
    );
    if (existing?.userName === userName) {
      prompt.say(
        `IAM user ${userName} already has the MFA device ${existing.serialNumber}: nothing to enrol.`,
      );
      return { assigned: existing.serialNumber };
    }
    if (existing?.userName) {
      prompt.say(
        `The MFA device ${existing.serialNumber} belongs to IAM user ${existing.userName}; ask an administrator.`,
      );
      return 'failed';
    }
    if (existing && options.selfEnrolment) return useLeftover(options, prompt, existing.serialNumber);
    if (existing) {
      prompt.say(
        `An unused MFA device ${existing.serialNumber} already exists. Its secret key was shown only once, when it was created.`,
      );
      if (!(await prompt.confirm('Delete it and create a new one?', true))) return 'failed';
      await devices.deleteVirtualMfaDevice(existing.serialNumber);
    }
  }
  prompt.say('Could not create the MFA device: another enrolment seems to be running for this user.');
  return 'failed';
}

/**
 * Enrolling themselves, a person cannot delete a leftover device (that needs MFA), but an earlier attempt of
 * theirs may have put it in their app already: then its codes work, and it is enabled like any other.
 */
async function useLeftover(
  options: EnrolSessionOptions,
  prompt: Prompter,
  serialNumber: string,
): Promise<Device | 'failed'> {
  prompt.say(
    `An unused MFA device ${serialNumber} already exists: an earlier enrolment did not finish. Its secret key was shown only once, when it was created.`,
  );
  const entry = `AWS: ${options.userName}@${options.accountId}`;
  if (await prompt.confirm(`Does your authenticator app have it, as "${entry}", from then?`, false)) {
    return { serialNumber, created: false };
  }
  prompt.say(
    `Deleting it needs MFA, which you do not have yet: ask an administrator to delete it, then run this command again:\n\n    ${deleteCommand(serialNumber)}\n`,
  );
  return 'failed';
}

function deleteCommand(serialNumber: string): string {
  return `aws iam delete-virtual-mfa-device --serial-number ${serialNumber}`;
}

async function showDevice(options: EnrolSessionOptions, prompt: Prompter, seed: string): Promise<void> {
  const label = `${options.userName}@${options.accountId}`;
  if (options.renderDevice) {
    prompt.say(options.renderDevice({ seed, label }));
    return;
  }
  prompt.say(`Scan this QR code with your authenticator app (it adds "AWS: ${label}"):`);
  prompt.say(await options.renderQr(otpauthUri(seed, options.userName, options.accountId)));
  prompt.say(
    `Cannot scan it? Add a time-based account named ${label} with this key:\n\n    ${groupedKey(seed)}\n`,
  );
}

/** Asks for pairs of codes and submits them until IAM accepts a pair, the person gives up, or it fails. */
async function codesLoop(
  options: EnrolSessionOptions,
  prompt: Prompter,
  device: Device,
  type: CodesRequest['type'],
): Promise<SessionResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const now = options.now ?? Date.now;
  const { serialNumber } = device;
  for (let attempt = 1; ; attempt++) {
    const [code1, code2] = await askCodes(prompt);
    let submission: Submission;
    try {
      submission = await options.submit({ type, serialNumber, code1, code2 });
    } catch (error) {
      prompt.say(`The request failed: ${(error as Error).message}`);
      if (attempt < maxAttempts && (await prompt.confirm('Try again?', true))) continue;
      return { status: 'failed', serialNumber };
    }
    if ('queued' in submission) {
      prompt.say(
        `Submitted as request ${submission.queued.requestId}: the worker will ${type === 'resync-codes' ? 'resynchronise' : 'enable'} the device and publish the outcome.`,
      );
      return { status: 'queued', serialNumber, submission };
    }
    const { outcome } = submission;
    const diagnosis = device.seed ? diagnoseCodes(device.seed, code1, code2, now()) : undefined;
    if (outcome.outcome === 'remediated') {
      const enabled: SessionResult = {
        status: type === 'resync-codes' ? 'resynced' : 'enabled',
        serialNumber,
        submission,
      };
      if (type === 'resync-codes') {
        prompt.say(`The MFA device ${serialNumber} is in sync again.`);
        return enabled;
      }
      const replay = outcome.actions.some(
        (a) => a.action === 'enable-mfa-device' && a.result === 'already-applied',
      );
      prompt.say(
        replay
          ? `The MFA device ${serialNumber} was already enabled for ${options.userName}.`
          : `MFA is enabled for ${options.userName}: from now on, signing in asks for a code from this device.`,
      );
      if (diagnosis?.kind === 'consecutive' && diagnosis.offsetSteps <= -2) {
        prompt.say(
          `Those codes were about ${-diagnosis.offsetSteps * (TOTP_PERIOD_MS / 1000)} seconds old, so AWS may have stored the device out of sync (sign-ins would then fail).`,
        );
        if (await prompt.confirm('Resynchronise it now with two fresh codes?', true)) {
          return codesLoop(options, prompt, device, 'resync-codes');
        }
        return enabled;
      }
      return replay ? offerResync(options, prompt, serialNumber, enabled) : enabled;
    }
    if (outcome.outcome !== 'invalid-code') {
      prompt.say(`Not done (${outcome.outcome}): ${outcome.reason ?? 'no reason given'}`);
      return { status: 'failed', serialNumber, submission };
    }
    prompt.say(`AWS did not accept the codes. ${explain(diagnosis, options)}`);
    if (attempt >= maxAttempts || !(await prompt.confirm('Try again with two new codes?', true))) {
      return { status: 'failed', serialNumber, submission };
    }
  }
}

/** For a device that is already enabled: codes that fail at sign-in mean it is out of sync. */
async function offerResync(
  options: EnrolSessionOptions,
  prompt: Prompter,
  serialNumber: string,
  result: SessionResult,
): Promise<SessionResult> {
  if (!(await prompt.confirm('Do codes from this device fail when you sign in (resynchronise it)?', false))) {
    return result;
  }
  return codesLoop(options, prompt, { serialNumber, created: false }, 'resync-codes');
}

async function askCodes(prompt: Prompter): Promise<[string, string]> {
  prompt.say('Enter two consecutive codes from your app, each as soon as it appears.');
  const code1 = await askCode(prompt, 'First code (the one shown now): ');
  const code2 = await askCode(
    prompt,
    'Second code (wait for the code to change, then type the new one): ',
    code1,
  );
  return [code1, code2];
}

async function askCode(prompt: Prompter, question: string, previous?: string): Promise<string> {
  for (;;) {
    const code = (await prompt.ask(question)).replace(/\s+/g, '');
    if (!/^[0-9]{6}$/.test(code)) prompt.say('A code is exactly six digits; please type it again.');
    else if (code === previous) prompt.say('That is the same code: wait until your app shows a new one.');
    else return code;
  }
}

/** Why a pair was refused, when the seed tells (the session created the device), else the general advice. */
function explain(diagnosis: CodeDiagnosis | undefined, options: EnrolSessionOptions): string {
  const general =
    'Type the code shown, wait for it to change, type the new one, and submit both at once (codes last 30 seconds).';
  switch (diagnosis?.kind) {
    case 'unknown-device':
      return `These codes do not come from this device: scan the QR code again, and use the entry "AWS: ${options.userName}@${options.accountId}".`;
    case 'not-consecutive':
      return `The two codes are not consecutive. ${general}`;
    case 'consecutive': {
      const seconds = Math.abs(diagnosis.offsetSteps) * (TOTP_PERIOD_MS / 1000);
      return diagnosis.offsetSteps > 0
        ? `Your device's clock is about ${seconds} seconds ahead: set its time to automatic. ${general}`
        : `The codes were about ${seconds} seconds old. ${general} Check that your device's time is set to automatic.`;
    }
    default:
      return general;
  }
}

/** Enrolling themselves: the device stays, usable from the app next time, or deleted by an administrator. */
function keepUnused(prompt: Prompter, serialNumber: string): void {
  prompt.say(
    `The MFA device ${serialNumber} was not enabled. It stays (deleting it needs MFA): run this command again to use it from your app, or ask an administrator to delete it:\n\n    ${deleteCommand(serialNumber)}\n`,
  );
}

async function deleteUnused(
  options: EnrolSessionOptions,
  prompt: Prompter,
  serialNumber: string,
): Promise<void> {
  try {
    await options.devices.deleteVirtualMfaDevice(serialNumber);
    prompt.say(`The unused MFA device ${serialNumber} was deleted; run the command again to start over.`);
  } catch (error) {
    prompt.say(`The unused MFA device ${serialNumber} could not be deleted (${errorCode(error)}).`);
  }
}
