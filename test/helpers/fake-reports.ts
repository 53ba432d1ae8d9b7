/**
 * In-memory credential reports and task queue for sweep unit tests: a report is rendered as the CSV IAM
 * produces (root row first), generation takes a scriptable number of polls, and every call is counted.
 */

import type { TaskMessage } from '../../src/core/model.ts';
import type { CredentialReportPort, CredentialReportState, TaskQueuePort } from '../../src/core/ports.ts';
import { DependencyError } from '../../src/errors.ts';

export interface ReportUser {
  userName: string;
  password?: boolean;
  mfa?: boolean;
  accessKeys?: number;
}

const HEADER = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
];

/** Renders a credential report CSV as IAM does, `<root_account>` first. */
export function renderReport(accountId: string, users: readonly ReportUser[], rootMfa = true): string {
  const created = '2026-01-01T00:00:00+00:00';
  const root = [
    '<root_account>',
    `arn:aws:iam::${accountId}:root`,
    created,
    'not_supported',
    'no_information',
    'not_supported',
    'not_supported',
    String(rootMfa),
    'false',
    'N/A',
    'N/A',
    'N/A',
    'N/A',
    'false',
    'N/A',
    'N/A',
    'N/A',
    'N/A',
    'false',
    'N/A',
    'false',
    'N/A',
  ];
  const rows = users.map((u) => {
    const keys = u.accessKeys ?? 0;
    return [
      u.userName,
      `arn:aws:iam::${accountId}:user/${u.userName}`,
      created,
      String(u.password ?? true),
      u.password === false ? 'N/A' : 'no_information',
      u.password === false ? 'N/A' : created,
      'N/A',
      String(u.mfa ?? false),
      String(keys >= 1),
      keys >= 1 ? created : 'N/A',
      'N/A',
      'N/A',
      'N/A',
      String(keys >= 2),
      keys >= 2 ? created : 'N/A',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'N/A',
      'false',
      'N/A',
    ];
  });
  return [HEADER, root, ...rows].map((r) => r.join(',')).join('\n');
}

export interface FakeReports extends CredentialReportPort {
  users: ReportUser[];
  rootMfa: boolean;
  guarded: Set<string>;
  /** GenerateCredentialReport answers INPROGRESS this many times after STARTED before COMPLETE. */
  pollsUntilComplete: number;
  /** Errors GetCredentialReport throws next, one per call (e.g. `ReportExpired`). */
  getErrors: string[];
  readonly calls: Record<'generate' | 'get' | 'listGuardedUsers', number>;
}

function reportError(code: string): DependencyError {
  return new DependencyError(`iam:GetCredentialReport failed: ${code}`, {
    service: 'iam',
    operation: 'GetCredentialReport',
    code,
    retryable: code === 'ReportInProgress',
  });
}

export function createFakeReports(accountId: string, users: ReportUser[] = []): FakeReports {
  let generating: number | undefined;
  let present = false;
  const fake: FakeReports = {
    users,
    rootMfa: true,
    guarded: new Set(),
    pollsUntilComplete: 0,
    getErrors: [],
    calls: { generate: 0, get: 0, listGuardedUsers: 0 },
    async generate(): Promise<CredentialReportState> {
      fake.calls.generate++;
      if (present && generating === undefined) return 'COMPLETE';
      if (generating === undefined) {
        generating = fake.pollsUntilComplete;
        if (generating === 0) {
          generating = undefined;
          present = true;
        }
        return 'STARTED';
      }
      if (generating > 0) {
        generating--;
        return 'INPROGRESS';
      }
      generating = undefined;
      present = true;
      return 'COMPLETE';
    },
    async get() {
      fake.calls.get++;
      const error = fake.getErrors.shift();
      if (error) {
        if (error !== 'ReportInProgress') present = false;
        throw reportError(error);
      }
      if (!present) throw reportError(generating === undefined ? 'ReportNotPresent' : 'ReportInProgress');
      return {
        content: renderReport(accountId, fake.users, fake.rootMfa),
        generatedAt: new Date('2026-11-23T09:59:00.000Z'),
      };
    },
    async listGuardedUsers() {
      fake.calls.listGuardedUsers++;
      return [...fake.guarded];
    },
  };
  return fake;
}

export interface FakeTaskQueue extends TaskQueuePort {
  readonly sent: TaskMessage[];
  /** The next call fails this many entries (reported as failed, not sent). */
  failNext: number;
}

export function createFakeTaskQueue(): FakeTaskQueue {
  const queue: FakeTaskQueue = {
    sent: [],
    failNext: 0,
    async sendBatch(tasks) {
      const failed = Math.min(queue.failNext, tasks.length);
      queue.failNext = 0;
      queue.sent.push(...tasks.slice(failed));
      return { sent: tasks.length - failed, failed };
    },
  };
  return queue;
}
