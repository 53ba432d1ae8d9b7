/**
 * The checks every reliability run ends with: a terminal outcome per finding (at least once), the
 * dead-letter queue holding only what the design parks there, each user's IAM end state as its story
 * requires, and no side effect twice — counted from the writes the cloud applied, as seen on the wire.
 */
import { expect } from 'vitest';
import { escrowSecretName, guardPolicyArn, NAMES, type Outcome, TAGS } from '../../src/core/model.ts';
import { seedFromUri } from '../../src/core/totp.ts';
import type { LocalCloud } from '../../src/local/cloud/server.ts';
import { ourSerial } from './custodial.ts';
import {
  ACCOUNTS,
  EXPECTED_OUTCOMES,
  MAIN_ACCOUNT,
  type PlannedMessage,
  type PlannedUser,
} from './reliability-population.ts';
import { queryParam, type WireExchange } from './wire-tap.ts';

/** A message on the dead-letter queue. */
export interface ParkedMessage {
  readonly body: string;
  readonly attributes: Record<string, string>;
  /** Moved by SQS's redrive (retries exhausted) rather than parked by the worker. */
  readonly redriven: boolean;
}

const userKey = (accountId: string | undefined, userName: string | undefined) => `${accountId}/${userName}`;

/**
 * What the design guarantees for outcomes: every finding or task of every valid message has at least one
 * outcome (delivery is at least once), each one its user's story allows, unless the whole message ended on
 * the dead-letter queue after exhausting its retries (then SNS may have been unreachable for its `failed`).
 * Every malformed body is `rejected`. Every outcome belongs to a message that was sent.
 */
export function expectOutcomes(
  messages: readonly PlannedMessage[],
  outcomes: readonly Outcome[],
  redriven: ReadonlySet<string>,
): { duplicates: number } {
  const byMessage = new Map<string, Outcome[]>();
  for (const outcome of outcomes) {
    const id = outcome.trigger.messageId ?? '';
    byMessage.set(id, [...(byMessage.get(id) ?? []), outcome]);
  }
  const problems: string[] = [];
  let duplicates = 0;
  for (const message of messages) {
    const got = byMessage.get(message.messageId ?? '') ?? [];
    byMessage.delete(message.messageId ?? '');
    if (message.invalid) {
      if (got.length === 0 || got.some((o) => o.outcome !== 'rejected')) {
        problems.push(
          `malformed ${message.messageId}: ${got.map((o) => o.outcome).join(',') || 'no outcome'}`,
        );
      }
      duplicates += Math.max(0, got.length - 1);
      continue;
    }
    if (redriven.has(message.body) && got.every((o) => o.outcome === 'failed')) continue;
    for (const { user } of message.items) {
      const mine = got.filter(
        (o) => userKey(o.accountId, o.userName) === userKey(user.accountId, user.userName),
      );
      const allowed = EXPECTED_OUTCOMES[user.kind];
      if (mine.length === 0 || mine.some((o) => !allowed.includes(o.outcome))) {
        problems.push(
          `${message.messageId} ${user.accountId}/${user.userName} (${user.kind}): ${
            mine.map((o) => `${o.outcome} (${o.reason ?? ''})`).join(', ') || 'no outcome'
          }`,
        );
      }
      duplicates += Math.max(0, mine.length - 1);
    }
    const strangers = got.filter(
      (o) =>
        !message.items.some(
          (i) => userKey(i.user.accountId, i.user.userName) === userKey(o.accountId, o.userName),
        ),
    );
    for (const o of strangers)
      problems.push(`${message.messageId}: outcome for ${userKey(o.accountId, o.userName)}`);
  }
  for (const [id, got] of byMessage) problems.push(`outcome(s) of unknown message ${id}: ${got.length}`);
  expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
  return { duplicates };
}

/**
 * The dead-letter queue holds exactly the malformed bodies, parked by the worker with their
 * `rejection-reason`, `outcome: rejected` and the id of the message they came in, plus whatever SQS redrove
 * after MAX_RECEIVE_COUNT receives (returned, to excuse those messages' missing outcomes). Each body is parked
 * once, or with `crashes`, at least once: a worker killed between parking and acknowledging parks it again
 * on the next receive, and every copy then names the same source message.
 */
export function expectDeadLetterQueue(
  messages: readonly PlannedMessage[],
  parked: readonly ParkedMessage[],
  options: { crashes?: boolean } = {},
): Set<string> {
  const byWorker = parked.filter((p) => !p.redriven);
  const malformed = messages.filter((m) => m.invalid);
  const bodies = byWorker.map((p) => p.body);
  if (options.crashes) expect([...new Set(bodies)].sort()).toEqual(malformed.map((m) => m.body).sort());
  else expect(bodies.sort()).toEqual(malformed.map((m) => m.body).sort());
  for (const p of byWorker) {
    const source = malformed.find((m) => m.body === p.body);
    expect(p.attributes['rejection-reason']?.length ?? 0, p.body).toBeGreaterThan(0);
    expect(p.attributes, p.body).toMatchObject({
      outcome: 'rejected',
      'source-message-id': source?.messageId,
    });
  }
  return new Set(parked.filter((p) => p.redriven).map((p) => p.body));
}

function remediationTags(tags: Readonly<Record<string, string>>): string[] {
  return [TAGS.state, TAGS.since, TAGS.deadline].filter((key) => key in tags);
}

/** Each user's IAM end state, as its story requires. */
export function expectEndState(
  cloud: LocalCloud,
  users: readonly PlannedUser[],
  options: { gracePeriodHours?: number } = {},
): void {
  const grace = (options.gracePeriodHours ?? 72) * 3_600_000;
  const problems: string[] = [];
  for (const user of users) {
    const state = cloud.iam.getUser(user.accountId, user.userName);
    const where = `${user.accountId}/${user.userName} (${user.kind})`;
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(`${where}: ${what} — ${JSON.stringify(state)}`);
    };
    if (user.kind === 'missing') {
      check(state === undefined, 'exists');
      continue;
    }
    if (!state) {
      problems.push(`${where}: vanished`);
      continue;
    }
    const guard = guardPolicyArn(user.accountId);
    switch (user.kind) {
      case 'no-mfa': {
        check(state.tags[TAGS.state] === 'enrollment-required', 'state tag');
        const since = Date.parse(state.tags[TAGS.since] ?? '');
        const deadline = Date.parse(state.tags[TAGS.deadline] ?? '');
        check(Number.isFinite(since) && deadline - since === grace, 'since/deadline tags');
        check(JSON.stringify(state.attachedPolicyArns) === JSON.stringify([guard]), 'guard attached once');
        check(state.mfaSerialNumbers.length === 0, 'no device');
        check(state.hasLoginProfile, 'password kept');
        break;
      }
      case 'compliant':
      case 'enrolled':
        check(remediationTags(state.tags).length === 0, 'no remediation tags');
        check(state.attachedPolicyArns.length === 0, 'no guard');
        check(state.mfaSerialNumbers.length === 1, 'its one device');
        break;
      case 'exempt':
      case 'programmatic':
        check(remediationTags(state.tags).length === 0, 'no remediation tags');
        check(state.attachedPolicyArns.length === 0, 'no guard');
        check(state.mfaSerialNumbers.length === 0, 'no device');
        check(
          state.accessKeys.every((k) => k.status === 'Active'),
          'access keys active',
        );
        break;
      case 'codes': {
        // Enabled from its codes, or (stale codes) left as it was: never half-done, never another device.
        const enabled =
          JSON.stringify(state.mfaSerialNumbers) === JSON.stringify([user.device?.serialNumber]);
        check(enabled || state.mfaSerialNumbers.length === 0, 'its own device or none');
        check(remediationTags(state.tags).length === 0, 'no remediation tags');
        check(state.attachedPolicyArns.length === 0, 'no guard');
        break;
      }
      case 'custodial': {
        const serial = ourSerial(user.userName, user.accountId);
        check(remediationTags(state.tags).length === 0, 'no remediation tags');
        check(state.attachedPolicyArns.length === 0, 'no guard');
        check(JSON.stringify(state.mfaSerialNumbers) === JSON.stringify([serial]), 'one custodial device');
        const uri = cloud.secretsManager.secretString(
          user.accountId,
          escrowSecretName(user.accountId, user.userName),
        );
        const seed = uri ? seedFromUri(uri) : undefined;
        check(seed !== undefined && seed === cloud.iam.deviceSeed(user.accountId, serial), 'seed escrowed');
        break;
      }
    }
  }
  // No device of ours left unassigned (an interrupted custodial enrolment must be cleaned up or replaced).
  for (const accountId of ACCOUNTS) {
    for (const device of cloud.iam.snapshot(accountId).virtualMfaDevices) {
      if (device.serialNumber.includes(`:mfa${NAMES.devicePath}`) && !device.userName) {
        problems.push(`${accountId}: unassigned device ${device.serialNumber}`);
      }
    }
  }
  expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
}

const IAM_WRITE = /^(Attach|Detach|Tag|Untag|Enable|Create|Delete|Resync|Update|Deactivate)/;

/** A write the cloud applied: an IAM change, an escrowed seed, a published outcome or a finding update. */
export function isAppliedWrite(e: WireExchange): boolean {
  if (e.status !== 200) return false;
  if (e.service === 'iam') return IAM_WRITE.test(e.operation);
  if (e.service === 'secretsmanager') return /^(Create|Put|Delete)/.test(e.operation);
  if (e.service === 'sns') return e.operation === 'PublishBatch';
  return e.service === 'securityhub' && e.operation.includes('batchupdate');
}

/** IAM writes that succeeded, per `account/user` and operation, as seen on the wire. */
export function successfulIamWrites(exchanges: readonly WireExchange[]): Map<string, Map<string, number>> {
  // Role sessions belong to the account whose role was assumed; every other key is the main account's.
  const sessionAccount = new Map<string, string>();
  for (const e of exchanges) {
    if (e.service !== 'sts' || e.operation !== 'AssumeRole' || e.status !== 200) continue;
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(e.responseBody)?.[1];
    const account = /<Arn>arn:aws:sts::(\d{12}):assumed-role\//.exec(e.responseBody)?.[1];
    if (key && account) sessionAccount.set(key, account);
  }
  const writes = new Map<string, Map<string, number>>();
  for (const e of exchanges) {
    if (e.service !== 'iam' || !isAppliedWrite(e)) continue;
    // DeleteVirtualMFADevice names only the device: ours are named after their user.
    const userName =
      queryParam(e, 'UserName') ??
      queryParam(e, 'VirtualMFADeviceName') ??
      queryParam(e, 'SerialNumber')?.split('/').pop() ??
      '';
    const key = `${sessionAccount.get(e.accessKeyId) ?? MAIN_ACCOUNT}/${userName}`;
    const perUser = writes.get(key) ?? new Map<string, number>();
    perUser.set(e.operation, (perUser.get(e.operation) ?? 0) + 1);
    writes.set(key, perUser);
  }
  return writes;
}

/**
 * No side effect twice: a contained user was tagged once and got the guard once; a released user lost the
 * guard and the tags once; a custodial user's device was enabled once; users with nothing to fix saw no
 * write at all; and no other user was written to.
 */
export function expectSideEffectsOnce(
  users: readonly PlannedUser[],
  exchanges: readonly WireExchange[],
): Record<string, number> {
  const writes = successfulIamWrites(exchanges);
  const totals: Record<string, number> = {};
  const problems: string[] = [];
  for (const [key, perUser] of writes) {
    for (const [op, n] of perUser) totals[op] = (totals[op] ?? 0) + n;
    if (!users.some((u) => `${u.accountId}/${u.userName}` === key)) {
      problems.push(`${key}: written to but not in the population: ${JSON.stringify([...perUser])}`);
    }
  }
  for (const user of users) {
    const key = `${user.accountId}/${user.userName}`;
    const got = Object.fromEntries(writes.get(key) ?? []);
    let expected: Record<string, number> | undefined;
    if (user.kind === 'no-mfa') expected = { TagUser: 1, AttachUserPolicy: 1 };
    else if (user.kind === 'enrolled') expected = { DetachUserPolicy: 1, UntagUser: 1 };
    else if (user.kind === 'custodial') {
      // Its lease is taken and released on every attempt, and a device left by a killed run is replaced.
      if (got.EnableMFADevice !== 1) problems.push(`${key}: EnableMFADevice ×${got.EnableMFADevice ?? 0}`);
      if ((got.CreateVirtualMFADevice ?? 0) !== 1 + (got.DeleteVirtualMFADevice ?? 0)) {
        problems.push(
          `${key}: created ${got.CreateVirtualMFADevice} devices, deleted ${got.DeleteVirtualMFADevice}`,
        );
      }
      if (got.AttachUserPolicy) problems.push(`${key}: guard attached`);
      continue;
    } else if (user.kind === 'codes') {
      // Its own device enabled at most once, and nothing else written.
      if ((got.EnableMFADevice ?? 0) > 1) problems.push(`${key}: EnableMFADevice ×${got.EnableMFADevice}`);
      const others = Object.keys(got).filter((op) => op !== 'EnableMFADevice');
      if (others.length > 0) problems.push(`${key}: writes ${JSON.stringify(got)}`);
      continue;
    } else expected = {};
    if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
      problems.push(
        `${key} (${user.kind}): writes ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }
  expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
  return totals;
}
