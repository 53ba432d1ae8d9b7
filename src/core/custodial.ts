/**
 * Custodial enrolment (opt-in): for users tagged `mfa-remediation:custodial` or listed in
 * `CUSTODIAL_USERS`, in `enforce` mode, the product enrols a virtual MFA device itself and escrows the seed in
 * Secrets Manager (`mfa-remediation/<account>/<user>`), for shared or break-glass identities whose second
 * factor must be held by the organisation rather than by one person's phone.
 *
 * ## Crash safety
 *
 * IAM returns a virtual device's seed exactly once, in the CreateVirtualMFADevice response, and an enabled
 * device whose seed is lost locks the user out. So the steps run in this order, every write under tier-1
 * retry:
 *
 * 1. **Lease.** Tag the user `mfa-remediation:enrolling` = now. A fresh lease (< {@link LEASE_TTL_MS}) found
 *    on entry means another delivery is mid-enrolment: retry later through SQS rather than touch its device.
 * 2. **Create** `/mfa-remediation/<user>` → seed, held in a local variable only. If the device already exists
 *    unassigned, it is left over from an interrupted run: its seed is gone for good, so it is deleted and
 *    created again, but only when that run's lease has expired (a fresh or missing lease may be a concurrent
 *    run that is about to escrow and enable it).
 * 3. **Escrow** the seed (CreateSecret / PutSecretValue, with a ClientRequestToken fixed for this device so
 *    a retried write cannot create a second version). An escrowed seed of a device never enabled is harmless.
 * 4. **Enable** with two consecutive codes derived from the seed for the current time.
 * 5. **Release** the lease, then the guard and tracking tags; resolve the finding.
 *
 * Hence: an enabled device always has its seed escrowed (3 precedes 4, and only this run knows the seed).
 * Any failure between 2 and 4 is rolled back — the device is deleted and, once it is confirmed gone, the
 * secret too — so no device or secret is orphaned. A rollback that itself fails (or a crash) leaves an
 * unassigned device, possibly with a secret naming it; the next run deletes that device once the lease has
 * expired and overwrites the secret. If IAM's answer to EnableMFADevice is lost, the rollback's
 * DeleteVirtualMFADevice fails with DeleteConflict (the device is assigned) and the secret is kept: it holds
 * that device's seed. A device assigned to this user on entry never reaches this flow: the user has MFA.
 * Such a device is not re-checked against the escrow: the order above guarantees it was escrowed, and if a
 * person deleted the secret since, no program can recover the seed (IAM never returns it again); an
 * administrator must deactivate the device so that the next run enrols a new one.
 */
import { randomUUID } from 'node:crypto';
import { matchesUserPattern } from '../config.ts';
import { describeError, errorCode, isRetryable, MfaRemediationError } from '../errors.ts';
import { isVirtualDevice } from './claims/device.ts';
import type { ActionLog, ItemContext, WorkflowDeps } from './context.ts';
import { type ActionName, escrowSecretName, NAMES, type Outcome, TAGS, type WorkItem } from './model.ts';
import type { IamPort, SecretsPort } from './ports.ts';
import {
  FINDING_NOTES,
  isTracked,
  type OutcomeDetails,
  outcomeFor,
  release,
  type Subject,
  updateFinding,
} from './steps.ts';
import { consecutiveCodes, otpauthUri } from './totp.ts';

/** The lease tag: when a run started creating the user's custodial device. */
export const ENROLLING_TAG = TAGS.enrolling;
/** Longer than any run can take between creating and enabling a device (a Lambda runs at most 15 minutes). */
export const LEASE_TTL_MS = 15 * 60_000;
/** Tags on the escrow secret, naming whose seed it holds. */
export const SECRET_TAGS = { user: `${TAGS.prefix}user`, account: `${TAGS.prefix}account` } as const;

const CUSTODIAL_ACTIONS: readonly ActionName[] = [
  'create-virtual-mfa-device',
  'escrow-seed',
  'enable-mfa-device',
];

/** Whether the user is enrolled custodially: tagged, or matching `CUSTODIAL_USERS`. */
export function isCustodialUser(
  userName: string,
  tags: Readonly<Record<string, string>>,
  config: WorkflowDeps['config'],
): boolean {
  return TAGS.custodial in tags || matchesUserPattern(userName, config.custodialUsers);
}

export interface CustodialRun {
  readonly work: WorkItem;
  readonly subject: Subject;
  readonly iam: IamPort;
  readonly deps: WorkflowDeps;
  readonly item: ItemContext;
  readonly actions: ActionLog;
  /** The user's tags as read on entry (before any write of this run). */
  readonly tags: Readonly<Record<string, string>>;
  /** Why the user needs MFA, e.g. `no MFA device; console password present`. */
  readonly reason: string;
  readonly deadline: Date;
  /**
   * The clock codes are derived from: real time, because IAM checks codes against its own clock, whatever
   * clock the workflow runs on (tests move theirs). Defaults to `Date.now`.
   */
  readonly totpNow?: () => number;
}

/** Another run holds the lease, or its device is in the way: retried through SQS, never deleted under it. */
function inProgress(userName: string, detail: string): MfaRemediationError {
  return new MfaRemediationError(`custodial enrolment of ${userName} is in progress elsewhere: ${detail}`, {
    code: 'EnrolmentInProgress',
    retryable: true,
  });
}

/** Enrols the user custodially, or in notify mode / dry run reports what it would do. */
export async function runCustodialEnrolment(run: CustodialRun): Promise<Outcome> {
  const { work, subject, iam, deps, item, actions, tags } = run;
  const done = (fields: OutcomeDetails) => outcomeFor(work, subject, deps, item, actions, fields);
  const { config } = deps;

  if (config.mode === 'notify' || config.dryRun) {
    const why = config.dryRun ? 'dry run' : 'notify mode';
    for (const action of CUSTODIAL_ACTIONS) actions.record(action, 'skipped', why);
    if (work.finding && config.securityHubUpdates) actions.record('update-finding', 'skipped', why);
    return done({
      outcome: 'enrollment-required',
      deadline: run.deadline,
      reason: `${run.reason}; custodial enrolment not performed (${why})`,
    });
  }
  const { secrets } = await deps.accounts.forAccount(subject.accountId);
  if (!secrets) {
    throw new MfaRemediationError('custodial enrolment needs Secrets Manager, which is not configured', {
      code: 'SecretsUnavailable',
    });
  }

  const { userName, accountId } = subject;
  const now = deps.now();
  const lease = Date.parse(tags[ENROLLING_TAG] ?? '');
  if (Number.isFinite(lease) && now.getTime() - lease < LEASE_TTL_MS) {
    throw inProgress(userName, `lease taken at ${tags[ENROLLING_TAG]}`);
  }
  await actions.retry('TagUser', () => iam.tagUser(userName, { [ENROLLING_TAG]: now.toISOString() }));

  let created: Awaited<ReturnType<typeof createDevice>>;
  try {
    created = await createDevice(run, Number.isFinite(lease));
  } catch (error) {
    // Nothing of ours to roll back, unless IAM created the device and the answer was lost: then the device
    // is left unassigned, and the next run replaces it once a lease of its own has expired.
    if (errorCode(error) !== 'EnrolmentInProgress') {
      actions.record('create-virtual-mfa-device', 'failed', errorCode(error));
      await releaseLease(run);
    }
    throw error;
  }
  if (typeof created === 'string') {
    actions.record('create-virtual-mfa-device', 'failed', created);
    await releaseLease(run);
    return done({ outcome: 'manual-action-required', reason: created });
  }
  actions.record('create-virtual-mfa-device', 'applied');
  const { serialNumber } = created;
  const secretName = escrowSecretName(accountId, userName);
  const rollback = () => abandon(run, secrets, serialNumber, secretName);

  try {
    // One token per device: a retried write of the same seed is a no-op, a new device gets a new version.
    const clientRequestToken = randomUUID();
    await actions.apply('escrow-seed', 'PutSecretValue', async () => {
      await secrets.putSecret({
        name: secretName,
        value: otpauthUri(created.seedBase32, userName, accountId),
        ...(config.escrowKmsKeyId ? { kmsKeyId: config.escrowKmsKeyId } : {}),
        tags: { [SECRET_TAGS.user]: userName, [SECRET_TAGS.account]: accountId },
        clientRequestToken,
      });
    });
  } catch (error) {
    await rollback();
    // A secret deleted moments ago (an earlier rollback) cannot be re-created at once: InvalidRequest.
    if (errorCode(error) === 'InvalidRequest')
      throw inProgress(userName, 'the escrow secret is being deleted');
    return failure(run, error, 'escrowing the seed');
  }

  const [code1, code2] = consecutiveCodes(created.seedBase32, (run.totpNow ?? deps.totpNow ?? Date.now)());
  try {
    await actions.retry('EnableMFADevice', () => iam.enableMfaDevice(userName, serialNumber, code1, code2));
    actions.record('enable-mfa-device', 'applied');
  } catch (error) {
    const code = errorCode(error);
    const own =
      code === 'EntityAlreadyExists' &&
      (await iam.listMfaDevices(userName)).some((d) => d.serialNumber === serialNumber);
    if (!own) {
      actions.record('enable-mfa-device', 'failed', code);
      await rollback();
      if (code === 'LimitExceeded') {
        return done({
          outcome: 'manual-action-required',
          reason: 'the user already has the maximum of 8 MFA devices; the custodial device was removed again',
        });
      }
      // The user or the device vanished under us (a concurrent run, a person): the next delivery decides.
      if (code === 'NoSuchEntity') throw inProgress(userName, 'the user or device changed during enrolment');
      return failure(run, error, 'enabling the device');
    }
    // IAM's answer to our own EnableMFADevice was lost and the SDK's retry found it done.
    actions.record('enable-mfa-device', 'already-applied');
  }

  await releaseLease(run);
  // The lease is gone now (releaseLease), whatever the tags read on entry said.
  const { [ENROLLING_TAG]: _lease, ...tracking } = tags;
  if (isTracked(tracking)) await release(subject, tracking, iam, deps, actions);
  await updateFinding(work, subject, deps, item, actions, 'RESOLVED', FINDING_NOTES.custodial);
  return done({
    outcome: 'remediated',
    reason: `custodial enrolment: virtual MFA device ${serialNumber} enabled; seed escrowed in Secrets Manager secret ${secretName}`,
  });
}

/**
 * CreateVirtualMFADevice; when the name is taken, decides whether the device in the way may be replaced.
 * Returns a reason string when a person must act.
 */
async function createDevice(
  run: CustodialRun,
  leaseExpired: boolean,
): Promise<{ serialNumber: string; seedBase32: string } | string> {
  const { iam, actions, subject } = run;
  // Exactly ours: this account, our path, the user's name (a suffix match would also take `/x/mfa-remediation/`).
  const ours = { accountId: subject.accountId, path: NAMES.devicePath, name: subject.userName };
  const isOurs = (serialNumber: string) => isVirtualDevice(serialNumber, ours);
  for (let attempt = 1; ; attempt++) {
    try {
      return await actions.retry('CreateVirtualMFADevice', () =>
        iam.createVirtualMfaDevice(subject.userName, NAMES.devicePath),
      );
    } catch (error) {
      if (errorCode(error) !== 'EntityAlreadyExists' || attempt > 2) throw error;
    }
    const existing = (await iam.listVirtualMfaDevices({ assignment: 'Any' })).find((d) =>
      isOurs(d.serialNumber),
    );
    if (!existing) continue;
    if (existing.userName === subject.userName)
      throw inProgress(subject.userName, 'its device was just enabled');
    if (existing.userName) {
      return `the virtual MFA device ${existing.serialNumber} is assigned to IAM user ${existing.userName}`;
    }
    if (!leaseExpired)
      throw inProgress(subject.userName, `unassigned device ${existing.serialNumber} exists`);
    // Left by an interrupted run whose lease expired: its seed was returned once and is lost.
    run.item.log.warn({ serialNumber: existing.serialNumber }, 'custodial_replacing_unassigned_device');
    await actions.retry('DeleteVirtualMFADevice', () => iam.deleteVirtualMfaDevice(existing.serialNumber));
  }
}

/**
 * Rolls a failed enrolment back: the device, then (only once the device is confirmed gone) its escrowed seed,
 * then the lease. Best effort: whatever fails is left for the next run (see the crash-safety notes above).
 */
async function abandon(
  run: CustodialRun,
  secrets: SecretsPort,
  serialNumber: string,
  secretName: string,
): Promise<void> {
  const { iam, actions, item } = run;
  try {
    await actions.retry('DeleteVirtualMFADevice', async () => {
      try {
        await iam.deleteVirtualMfaDevice(serialNumber);
      } catch (error) {
        if (errorCode(error) !== 'NoSuchEntity') throw error;
      }
    });
    await actions.retry('DeleteSecret', () => secrets.deleteSecret(secretName));
    await releaseLease(run);
  } catch (error) {
    item.log.warn({ serialNumber, code: errorCode(error) }, 'custodial_rollback_incomplete');
  }
}

async function releaseLease(run: CustodialRun): Promise<void> {
  try {
    await run.actions.retry('UntagUser', () => run.iam.untagUser(run.subject.userName, [ENROLLING_TAG]));
  } catch (error) {
    // Harmless if it lingers: an expired lease only allows replacing an unassigned device.
    run.item.log.warn({ code: errorCode(error) }, 'custodial_lease_not_released');
  }
}

function failure(run: CustodialRun, error: unknown, step: string): Outcome {
  if (isRetryable(error) || !(error instanceof MfaRemediationError)) throw error;
  run.item.log.error({ err: describeError(error), step }, 'custodial_enrolment_failed');
  return outcomeFor(run.work, run.subject, run.deps, run.item, run.actions, {
    outcome: 'failed',
    reason: `custodial enrolment failed while ${step} (${errorCode(error)}); the device was removed again`,
    error: describeError(error),
  });
}
