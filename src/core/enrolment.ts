/**
 * Enabling a device from codes a person submitted (portal, chat-ops, helpdesk): EnableMFADevice or
 * ResyncMFADevice with two consecutive TOTP codes. The codes are secrets: they go to IAM and nowhere else.
 *
 * A message may name any device and any user, so the device claim is checked against IAM first
 * (`claims/device.ts`): only an unassigned virtual device of the user's account, named after the user, on a
 * user without MFA, is enabled; a resync only for a device already assigned to that very user. Anything else
 * is `rejected` (or `manual-action-required` where a person must look) and nothing changes.
 *
 * AWS's documented failure modes map to outcomes: InvalidAuthenticationCode → `invalid-code` (never retried,
 * the person must submit fresh codes); EntityAlreadyExists → a replay when the device is already this user's
 * (`remediated`), otherwise the device belongs to someone else (`manual-action-required`); LimitExceeded
 * (8 devices) → `manual-action-required`; NoSuchEntity → the user or the device is unknown.
 */
import { errorCode } from '../errors.ts';
import { checkDeviceClaim, type DeviceRefusal } from './claims/device.ts';
import type { ActionLog, ItemContext, WorkflowDeps } from './context.ts';
import type { Outcome, WorkItem } from './model.ts';
import { notifyReleased } from './notify/notifier.ts';
import type { IamPort } from './ports.ts';
import {
  FINDING_NOTES,
  isTracked,
  type OutcomeDetails,
  outcomeFor,
  release,
  type Subject,
  updateFinding,
} from './steps.ts';

export const INVALID_CODE_ADVICE =
  'IAM did not accept the codes. Open your authenticator app, enter the code shown, wait for it to change, ' +
  'enter the next one, and submit both immediately (codes expire after 30 seconds).';

/** Why a person enrolling themselves does not release the guard: the worker does (see `authority`). */
export const SELF_RELEASE_NOTE =
  "left to the worker: the user's own session may not release the guard; the worker's next check does";

/**
 * Runs an `enrollment-codes` or `resync-codes` item: the device claim checked against IAM (see
 * `claims/device.ts`), one EnableMFADevice / ResyncMFADevice call under tier-1 retry, its documented errors
 * mapped to outcomes, then the guard and tags released and the finding resolved.
 *
 * Why two consecutive codes: IAM learns the device's clock offset from them. Codes kept too long still pass
 * IAM's window, but the device is then associated "out of sync" and later sign-ins fail until a
 * ResyncMFADevice with two fresh consecutive codes; hence the advice to submit both immediately.
 */
export async function runEnrolmentCodes(
  work: WorkItem,
  subject: Subject,
  iam: IamPort,
  deps: WorkflowDeps,
  item: ItemContext,
  actions: ActionLog,
): Promise<Outcome> {
  const resync = work.type === 'resync-codes';
  const action = resync ? 'resync-mfa-device' : 'enable-mfa-device';
  const done = (fields: OutcomeDetails) => outcomeFor(work, subject, deps, item, actions, fields);
  const refuse = (refusal: DeviceRefusal) => {
    actions.record(action, 'failed', refusal.reason.slice(0, 200));
    item.log.warn({ type: work.type, reason: refusal.reason }, 'device_claim_refused');
    return done(refusal);
  };
  const { serialNumber, code1, code2 } = work;
  let replay = false;
  if (!serialNumber || !code1 || !code2)
    throw new TypeError(`${work.type} work item lacks its device or codes`);

  if (deps.config.dryRun) {
    actions.record(action, 'skipped', 'dry run');
    return done({ outcome: 'enrollment-required', reason: 'dry run: the codes were not submitted to IAM' });
  }

  // The user's devices now (NoSuchEntity here: the user does not exist, which is user-not-found).
  const devices = await iam.listMfaDevices(subject.userName);
  const own = devices.some((d) => d.serialNumber === serialNumber);
  if (resync && !own) {
    return refuse({
      outcome: 'rejected',
      reason: `serialNumber: MFA device ${serialNumber} is not assigned to IAM user ${subject.userName}`,
    });
  }
  if (!resync && own) {
    // Our own earlier request (a redelivery, or one whose answer was lost): nothing to enable again.
    actions.record(action, 'already-applied');
    replay = true;
  } else if (!resync && item.authority === undefined) {
    const refusal =
      devices.length > 0
        ? {
            outcome: 'rejected' as const,
            reason: `IAM user ${subject.userName} already has an MFA device; another one can only be added by the user, signed in with MFA (AWS-2023-001)`,
          }
        : (checkDeviceClaim(serialNumber, subject) ?? (await unassignedDeviceRefusal(iam, serialNumber)));
    if (refusal) return refuse(refusal);
  }

  if (!replay) {
    try {
      await actions.retry(resync ? 'ResyncMFADevice' : 'EnableMFADevice', () =>
        resync
          ? iam.resyncMfaDevice(subject.userName, serialNumber, code1, code2)
          : iam.enableMfaDevice(subject.userName, serialNumber, code1, code2),
      );
      actions.record(action, 'applied');
    } catch (error) {
      switch (errorCode(error)) {
        case 'InvalidAuthenticationCode':
          actions.record(action, 'failed', 'invalid authentication codes');
          return done({ outcome: 'invalid-code', reason: INVALID_CODE_ADVICE });
        case 'EntityAlreadyExists': {
          const mine = (await iam.listMfaDevices(subject.userName)).some(
            (d) => d.serialNumber === serialNumber,
          );
          if (!mine) {
            actions.record(action, 'failed', 'device is assigned to another user');
            return done({
              outcome: 'manual-action-required',
              reason: `MFA device ${serialNumber} is already assigned to another IAM user`,
            });
          }
          // The SDK retried a request whose answer was lost, and found it done.
          actions.record(action, 'already-applied');
          replay = true;
          break;
        }
        case 'LimitExceeded':
          actions.record(action, 'failed', 'MFA device limit reached');
          return done({
            outcome: 'manual-action-required',
            reason: 'the user already has the maximum of 8 MFA devices; remove one before enrolling another',
          });
        case 'NoSuchEntity': {
          // Tell apart an unknown user from an unknown device: ListMFADevices raises NoSuchEntity for the former.
          await iam.listMfaDevices(subject.userName);
          actions.record(action, 'failed', 'unknown MFA device');
          return done({
            outcome: 'rejected',
            reason: resync
              ? `serialNumber: MFA device ${serialNumber} is not assigned to IAM user ${subject.userName}`
              : `serialNumber: no MFA device ${serialNumber} exists in this account`,
          });
        }
        default:
          throw error;
      }
    }
  }

  const reason = resync
    ? 'MFA device resynchronised'
    : replay
      ? `MFA device ${serialNumber} was already enabled for this user`
      : 'MFA device enabled from the submitted codes';
  if (item.authority === 'self') {
    // The person's own session: the guard denies it ListUserTags and DetachUserPolicy until it signs in with
    // MFA, and people rarely may detach policies from themselves anyway. The worker's next check of the user
    // (the sweep's `verify`, or the finding's next delivery) finds the device and releases guard and tags.
    for (const step of ['detach-guard-policy', 'untag-user'] as const) {
      actions.record(step, 'skipped', SELF_RELEASE_NOTE);
    }
    return done({
      outcome: 'remediated',
      reason: `${reason}; the worker releases the guard at its next check`,
    });
  }
  const tags = await iam.listUserTags(subject.userName);
  if (isTracked(tags)) await release(subject, tags, iam, deps, actions);
  if (isTracked(tags)) await notifyReleased({ subject, tags }, deps, item, actions);
  await updateFinding(work, subject, deps, item, actions, 'RESOLVED', FINDING_NOTES.compliant);
  return done({ outcome: 'remediated', reason });
}

/**
 * Whether IAM holds the device unassigned, and if not, why: it belongs to someone (a person must look), or
 * it does not exist. Unassigned devices are few, so the common case is one short listing.
 */
async function unassignedDeviceRefusal(
  iam: IamPort,
  serialNumber: string,
): Promise<DeviceRefusal | undefined> {
  const unassigned = await iam.listVirtualMfaDevices({ assignment: 'Unassigned' });
  if (unassigned.some((d) => d.serialNumber === serialNumber)) return undefined;
  const assigned = (await iam.listVirtualMfaDevices({ assignment: 'Assigned' })).find(
    (d) => d.serialNumber === serialNumber,
  );
  return assigned
    ? {
        outcome: 'manual-action-required',
        reason: `MFA device ${serialNumber} is already assigned to another IAM user`,
      }
    : { outcome: 'rejected', reason: `serialNumber: no MFA device ${serialNumber} exists in this account` };
}
