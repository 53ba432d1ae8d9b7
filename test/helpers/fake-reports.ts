/**
 * In-memory credential reports and task queue for sweep unit tests: a report is rendered as the CSV IAM
 * produces (the local cloud's columns, root row first), generation takes a scriptable number of polls, and
 * every call is counted.
 */

import type { TaskMessage } from '../../src/core/model.ts';
import type { CredentialReportPort, CredentialReportState, TaskQueuePort } from '../../src/core/ports.ts';
import { DependencyError } from '../../src/errors.ts';
import { CREDENTIAL_REPORT_COLUMNS } from '../../src/local/cloud/iam-credential-report.ts';

export interface ReportUser {
  userName: string;
  password?: boolean;
  mfa?: boolean;
  accessKeys?: number;
}

const CREATED = '2026-01-01T00:00:00+00:00';
const NA = 'N/A';
const NO_CERTS = ['false', NA, 'false', NA];

/** One access key's five columns: present and never used, or absent. */
function keyColumns(present: boolean): string[] {
  return [String(present), present ? CREATED : NA, NA, NA, NA];
}

/** Renders a credential report CSV as IAM does, `<root_account>` first, then `users` in the order given. */
export function renderReport(accountId: string, users: readonly ReportUser[], rootMfa = true): string {
  const root = [
    '<root_account>',
    `arn:aws:iam::${accountId}:root`,
    CREATED,
    'not_supported',
    'no_information',
    'not_supported',
    'not_supported',
    String(rootMfa),
    ...keyColumns(false),
    ...keyColumns(false),
    ...NO_CERTS,
  ];
  const rows = users.map((u) => {
    const password = u.password ?? true;
    const keys = u.accessKeys ?? 0;
    return [
      u.userName,
      `arn:aws:iam::${accountId}:user/${u.userName}`,
      CREATED,
      String(password),
      password ? 'no_information' : NA,
      password ? CREATED : NA,
      NA,
      String(u.mfa ?? false),
      ...keyColumns(keys >= 1),
      ...keyColumns(keys >= 2),
      ...NO_CERTS,
    ];
  });
  return [CREDENTIAL_REPORT_COLUMNS, root, ...rows].map((r) => r.join(',')).join('\n');
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
