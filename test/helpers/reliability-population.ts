/**
 * The reliability suite's population: users in two accounts, each with a story that decides its
 * outcomes and its IAM end state — lacking MFA, compliant, exempt, programmatic only, contained earlier and
 * enrolled since, enrolled custodially, enrolling with codes from their own device, or gone — and the messages
 * that report them, as they reach the queue: Security Hub events of several findings, bare findings, Config
 * changes, task messages, twin findings of a second standard, malformed bodies, and attempts to enable an
 * attacker's device on a user who has MFA. Everything is drawn from a seeded PRNG, so a seed replays a run.
 */
import { AttachUserPolicyCommand, CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { guardPolicyArn, type OutcomeName, TAGS } from '../../src/core/model.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { createPrng } from '../../src/local/cloud/faults.ts';
import type { LocalCloud } from '../../src/local/cloud/server.ts';
import {
  makeConfigEvent,
  makeFinding,
  makeSecurityHubEvent,
  makeTask,
  wrapInSns,
} from '../../src/local/findings.ts';
import { memberAdmin } from '../../src/local/member-role.ts';

export const MAIN_ACCOUNT = '123456789012';
export const MEMBER_ACCOUNT = '210987654321';
export const ACCOUNTS = [MAIN_ACCOUNT, MEMBER_ACCOUNT] as const;

/** The story of a user, which decides its outcomes and its end state. */
export type UserKind =
  | 'no-mfa'
  | 'compliant'
  | 'exempt'
  | 'programmatic'
  | 'enrolled'
  | 'custodial'
  | 'codes'
  | 'missing';

/**
 * Outcomes a finding about a user of each kind may have. A user released by one delivery reads as compliant
 * to the next (a duplicate finding, or a redelivery after a failed publish or a crash): IAM is the only state.
 */
export const EXPECTED_OUTCOMES: Readonly<Record<UserKind, readonly OutcomeName[]>> = {
  'no-mfa': ['enrollment-required'],
  compliant: ['already-compliant'],
  exempt: ['exempt'],
  programmatic: ['not-applicable'],
  enrolled: ['remediated', 'already-compliant'],
  custodial: ['remediated', 'already-compliant'],
  // Codes are valid for about a minute: a task retried after the clock moved on has stale codes.
  codes: ['remediated', 'invalid-code'],
  missing: ['user-not-found'],
};

export interface PlannedUser {
  readonly accountId: string;
  readonly userName: string;
  readonly kind: UserKind;
  /** Set once seeded (Config events name users by id). */
  userId?: string;
  /** `codes` users: the virtual device they created (named after them), once seeded. */
  device?: { readonly serialNumber: string; readonly seed: string };
}

/** One finding or task of a message, about one user. */
export interface PlannedItem {
  readonly user: PlannedUser;
}

export interface PlannedMessage {
  readonly body: string;
  /** What the body reports; empty for a malformed body. */
  readonly items: readonly PlannedItem[];
  /** A body the worker must reject and park. */
  readonly invalid: boolean;
  /** The SQS message id, once sent. */
  messageId?: string;
}

export interface PopulationOptions {
  /** About this many findings and tasks (the population grows until it is reached). */
  readonly findings: number;
  readonly seed: number;
  /**
   * Weight of users enrolled custodially (needs Secrets Manager and `REMEDIATION_MODE=enforce`) against 91
   * for all other kinds together. Default 0: none.
   */
  readonly custodial?: number;
  /** Weight of users who submit `enrollment-codes` from a device of their own. Default 0: none. */
  readonly codes?: number;
}

const WEIGHTS: readonly [UserKind, number][] = [
  ['no-mfa', 40],
  ['compliant', 14],
  ['exempt', 8],
  ['programmatic', 10],
  ['enrolled', 14],
  ['missing', 5],
];

function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

function chooseKind(random: () => number, custodial: number, codes: number): UserKind {
  const weights: readonly [UserKind, number][] = [...WEIGHTS, ['custodial', custodial], ['codes', codes]];
  let draw = random() * weights.reduce((sum, [, w]) => sum + w, 0);
  for (const [kind, weight] of weights) {
    draw -= weight;
    if (draw < 0) return kind;
  }
  return 'no-mfa';
}

/** Users and their reports; message bodies that name users by id are built by {@link buildMessages}. */
export function planPopulation(options: PopulationOptions): PlannedUser[] {
  const random = createPrng(options.seed);
  const users: PlannedUser[] = [];
  // About one in ten users lacking MFA is reported twice (Security Hub re-imports the same finding).
  while (users.length * 1.05 < options.findings) {
    const kind = chooseKind(random, options.custodial ?? 0, options.codes ?? 0);
    const accountId = random() < 0.7 ? MAIN_ACCOUNT : MEMBER_ACCOUNT;
    users.push({ accountId, userName: `${kind}-${users.length}`, kind });
  }
  return users;
}

function controlFor(user: PlannedUser): string {
  return user.kind === 'programmatic' ? 'IAM.19' : 'IAM.5';
}

/** A finding about `user`; a twin is the CIS v1.4.0 1.10 finding an account without consolidation also gets. */
function findingFor(user: PlannedUser, twin = false): Record<string, unknown> {
  return makeFinding({
    userName: user.userName,
    accountId: user.accountId,
    ...(twin
      ? { generatorId: 'cis-aws-foundations-benchmark/v/1.4.0/1.10' }
      : { controlId: controlFor(user) }),
  });
}

/**
 * Attempts to enable a device the sender holds on a user who already has MFA (AWS-2023-001): each must be
 * rejected and parked, and the user left untouched.
 */
function hijackBodies(users: readonly PlannedUser[], count: number): string[] {
  const victims = users.filter((u) => u.kind === 'compliant');
  return victims.slice(0, count).map((victim, i) =>
    JSON.stringify(
      makeTask('enrollment-codes', {
        accountId: victim.accountId,
        userName: victim.userName,
        serialNumber: `arn:aws:iam::${victim.accountId}:mfa/attacker-${i}`,
        code1: '123456',
        code2: '654321',
      }),
    ),
  );
}

/** Malformed bodies, all different, each to be rejected with a reason and parked. */
function malformedBodies(count: number): string[] {
  const shapes: ((i: number) => unknown)[] = [
    (i) => `{"type":"mfa-missing","accountId":"${MAIN_ACCOUNT}","userName":"u${i}"`,
    (i) => makeTask('mfa-missing', { accountId: 'not-an-account', userName: `mallory-${i}` }),
    (i) => makeTask('verify', { accountId: MAIN_ACCOUNT, userName: `bad name ${i}` }),
    (i) => makeTask('enrollment-codes', { accountId: MAIN_ACCOUNT, userName: `eve-${i}`, code1: '12345' }),
    (i) => makeSecurityHubEvent([makeFinding({ accountId: '999999999999', userName: `trent-${i}` })]),
    (i) => `plain text, not JSON (${i})`,
  ];
  return Array.from({ length: count }, (_, i) => {
    const body = (shapes[i % shapes.length] as (i: number) => unknown)(i);
    return typeof body === 'string' ? body : JSON.stringify(body);
  });
}

/**
 * The messages reporting `users`: most findings in Security Hub events of one to ten findings, some as bare
 * findings or `{findings: […]}`; Config changes (by user id), task messages (some in SNS envelopes) for
 * others; for about one user lacking MFA in five, a twin finding of a second standard in the same or the next
 * event (so both reach the worker in one batch); and a few malformed bodies, scattered among the rest.
 */
export function buildMessages(users: readonly PlannedUser[], seed: number): PlannedMessage[] {
  const random = createPrng(seed ^ 0x5bd1e995);
  const singles: PlannedMessage[] = [];
  const single = (body: unknown, user: PlannedUser) =>
    singles.push({ body: JSON.stringify(body), items: [{ user }], invalid: false });
  const reported: PlannedUser[] = [];
  for (const user of users) {
    const draw = random();
    if (user.kind === 'codes') {
      // Codes for the current 30-second step and the one before, as a person would type them now.
      const [code1, code2] = consecutiveCodes(user.device?.seed ?? '', Date.now());
      const task = makeTask('enrollment-codes', {
        accountId: user.accountId,
        userName: user.userName,
        serialNumber: user.device?.serialNumber,
        code1,
        code2,
      });
      single(draw < 0.5 ? task : wrapInSns(task), user);
    } else if (user.kind === 'no-mfa' && user.userId && draw < 0.08) {
      single(makeConfigEvent({ accountId: user.accountId, resourceId: user.userId }), user);
    } else if (user.kind === 'enrolled' && user.userId && draw < 0.1) {
      single(
        makeConfigEvent({ accountId: user.accountId, resourceId: user.userId, complianceType: 'COMPLIANT' }),
        user,
      );
    } else if (user.kind === 'enrolled' && draw < 0.2) {
      single(makeTask('verify', { accountId: user.accountId, userName: user.userName }), user);
    } else if ((user.kind === 'no-mfa' || user.kind === 'custodial') && draw < 0.15) {
      const task = makeTask('mfa-missing', {
        accountId: user.accountId,
        userName: user.userName,
        source: 'manual',
        sweepId: undefined,
      });
      single(draw < 0.12 ? task : wrapInSns(task), user);
    } else {
      reported.push(user);
    }
  }
  shuffle(random, reported);
  // Twins go a few places after their original: into the same event if it has room, else the next one.
  const queue: { user: PlannedUser; twin: boolean }[] = reported.map((user) => ({ user, twin: false }));
  for (const user of reported.filter((u) => u.kind === 'no-mfa' && random() < 0.2)) {
    const at = queue.findIndex((entry) => entry.user === user);
    queue.splice(at + 1 + Math.floor(random() * 6), 0, { user, twin: true });
  }
  const events: PlannedMessage[] = [];
  while (queue.length > 0) {
    const shape = random();
    if (shape < 0.1 && !queue[0]?.twin) {
      const { user } = queue.shift() as { user: PlannedUser };
      events.push({
        body: JSON.stringify(shape < 0.05 ? findingFor(user) : { findings: [findingFor(user)] }),
        items: [{ user }],
        invalid: false,
      });
      continue;
    }
    // An event never names the same user twice; a twin waits for the next event.
    const size = 1 + Math.floor(random() * 10);
    const batch: { user: PlannedUser; twin: boolean }[] = [];
    for (let i = 0; i < queue.length && batch.length < size; ) {
      const entry = queue[i] as { user: PlannedUser; twin: boolean };
      if (batch.some((b) => b.user === entry.user)) i++;
      else batch.push(...queue.splice(i, 1));
    }
    events.push({
      body: JSON.stringify(makeSecurityHubEvent(batch.map((b) => findingFor(b.user, b.twin)))),
      items: batch.map(({ user }) => ({ user })),
      invalid: false,
    });
  }
  const invalidCount = Math.max(3, Math.round((events.length + singles.length) * 0.04));
  const others = [
    ...singles,
    ...[...malformedBodies(invalidCount), ...hijackBodies(users, Math.ceil(invalidCount / 3))].map(
      (body): PlannedMessage => ({ body, items: [], invalid: true }),
    ),
  ];
  // Scatter the others among the events without reordering the events themselves.
  const messages = [...events];
  for (const message of others) messages.splice(Math.floor(random() * (messages.length + 1)), 0, message);
  return messages;
}

/** The findings and tasks the messages report (a malformed body reports none). */
export function countFindings(messages: readonly PlannedMessage[]): number {
  return messages.reduce((n, m) => n + m.items.length, 0);
}

/**
 * Seeds every user (straight into the cloud, not through the worker's endpoint) and contains the `enrolled`
 * ones as an earlier run would have: tags, then the guard. Imports the Security Hub findings too.
 */
export async function seedPopulation(
  cloud: LocalCloud,
  clientOptions: ClientOptions,
  users: PlannedUser[],
  now: number,
): Promise<void> {
  const iso = (hours: number) => new Date(now + hours * 3_600_000).toISOString();
  for (const accountId of ACCOUNTS) {
    const seeded = users.filter((u) => u.accountId === accountId && u.kind !== 'missing');
    const result = cloud.seed({
      accountId,
      users: seeded.map((u) => ({
        userName: u.userName,
        consolePassword: u.kind !== 'programmatic',
        mfa: u.kind === 'compliant' || u.kind === 'enrolled',
        accessKeys: u.kind === 'programmatic' ? 2 : 1,
        tags: {
          ...(u.kind === 'exempt' ? { [TAGS.exempt]: 'reviewed' } : {}),
          ...(u.kind === 'custodial' ? { [TAGS.custodial]: 'true' } : {}),
          ...(u.kind === 'enrolled'
            ? {
                [TAGS.state]: 'enrollment-required',
                [TAGS.since]: iso(-24),
                [TAGS.deadline]: iso(48),
              }
            : {}),
        },
      })),
    });
    for (const s of result.users) {
      const user = seeded.find((u) => u.userName === s.userName);
      if (user) user.userId = s.userId;
    }
    // An administrator of the member account (OrganizationAccountAccessRole) contained them earlier.
    const options = accountId === MAIN_ACCOUNT ? clientOptions : await memberAdmin(clientOptions, accountId);
    const iam = new IAMClient(options);
    for (const u of seeded.filter((s) => s.kind === 'enrolled')) {
      await iam.send(
        new AttachUserPolicyCommand({ UserName: u.userName, PolicyArn: guardPolicyArn(accountId) }),
      );
    }
    // A `codes` user created a virtual device named after them (as the guard lets them), seed in hand.
    for (const u of seeded.filter((s) => s.kind === 'codes')) {
      const { VirtualMFADevice: device } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: u.userName, Path: '/' }),
      );
      u.device = {
        serialNumber: device?.SerialNumber ?? '',
        seed: new TextDecoder().decode(device?.Base32StringSeed),
      };
    }
    iam.destroy();
  }
  const hub = new SecurityHubClient(clientOptions);
  const findings = users.map((user) => findingFor(user));
  for (let i = 0; i < findings.length; i += 100) {
    await hub.send(new BatchImportFindingsCommand({ Findings: findings.slice(i, i + 100) as never }));
  }
  hub.destroy();
}

/** Sends every message (ten at a time) and records its SQS message id. */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: PlannedMessage[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, index) => ({ Id: String(index), MessageBody: m.body })),
      }),
    );
    expect(sent.Failed ?? []).toEqual([]);
    for (const entry of sent.Successful ?? []) {
      const message = chunk[Number(entry.Id)];
      if (message) message.messageId = entry.MessageId;
    }
  }
}
