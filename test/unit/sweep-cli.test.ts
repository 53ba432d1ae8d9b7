import { PassThrough } from 'node:stream';
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListEntitiesForPolicyCommand,
} from '@aws-sdk/client-iam';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { main } from '../../src/cli/main.ts';
import { renderReport } from '../helpers/fake-reports.ts';

const SELF = '111111111111';
const QUEUE = `https://sqs.us-east-1.amazonaws.com/${SELF}/remediation`;
const iamMock = mockClient(IAMClient);
const sqsMock = mockClient(SQSClient);
const stsMock = mockClient(STSClient);

function io(options: { tty?: boolean; env?: Record<string, string> } = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const value: CliIo = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...options.env,
    },
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

beforeEach(() => {
  iamMock.reset();
  sqsMock.reset();
  stsMock.reset();
  stsMock.on(GetCallerIdentityCommand).resolves({ Account: SELF });
  stsMock.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'a',
      SecretAccessKey: 's',
      SessionToken: 't',
      Expiration: new Date(Date.now() + 3.6e6),
    },
  });
  iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iamMock.on(GetCredentialReportCommand).resolves({
    Content: new TextEncoder().encode(
      renderReport(
        SELF,
        [
          { userName: 'alice', password: true, mfa: false },
          { userName: 'bob', password: true, mfa: true },
        ],
        false,
      ),
    ),
    GeneratedTime: new Date('2026-11-23T09:00:00Z'),
  });
  iamMock.on(ListEntitiesForPolicyCommand).resolves({ PolicyUsers: [] });
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
});

describe('mfa-remediation sweep', () => {
  it('sweeps the own account, enqueues and prints one JSON document', async () => {
    // Prepare
    const t = io({ env: { REMEDIATION_QUEUE_URL: QUEUE } });

    // Act
    const status = await main(['sweep', '--output', 'json'], t.io);

    // Assess
    expect(status).toBe(0);
    const doc = JSON.parse(t.out());
    expect(doc.accounts).toEqual([
      expect.objectContaining({
        accountId: SELF,
        status: 'ok',
        summary: expect.objectContaining({
          usersScanned: 2,
          nonCompliant: 1,
          enqueued: 1,
          rootWithoutMfa: true,
        }),
        outcomes: [expect.objectContaining({ outcome: 'manual-action-required' })],
      }),
    ]);
    expect(doc.accounts[0].nonCompliantUsers).toBeUndefined();
    const entries = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => JSON.parse(e.MessageBody ?? '').userName)).toEqual(['alice']);
    expect(t.err()).not.toContain('\r');
  });

  it('--no-enqueue lists the users in a table and sends nothing (no queue needed)', async () => {
    const t = io();
    const status = await main(['sweep', '--no-enqueue', '--output', 'table'], t.io);
    expect(status).toBe(0);
    expect(t.out()).toMatch(/Account 111111111111: 1 user\(s\) without MFA/);
    expect(t.out()).toMatch(/USER\s+PASSWORD\s+ACCESS KEYS\s+CONTAINED\n-+.*\nalice\s+yes\s+0\s+no/);
    expect(t.out()).toMatch(/ACCOUNT\s+STATUS\s+SCANNED\s+NON-COMPLIANT/);
    expect(t.out()).toMatch(/111111111111\s+ok\s+2\s+1\s+0\s+0\s+MISSING/);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('--dry-run enqueues nothing and marks the summary', async () => {
    const t = io();
    const status = await main(['sweep', '--dry-run', '--output', 'json'], t.io);
    expect(status).toBe(0);
    expect(JSON.parse(t.out()).accounts[0].summary).toMatchObject({
      dryRun: true,
      enqueued: 0,
      nonCompliant: 1,
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('draws a progress bar on a terminal, but not with --output json', async () => {
    const tty = io({ tty: true });
    await main(['sweep', '--no-enqueue'], tty.io);
    expect(tty.err()).toMatch(/sweep \[#+\] 1\/1 accounts/);

    const json = io({ tty: true });
    await main(['sweep', '--no-enqueue', '--output', 'json'], json.io);
    expect(json.err()).not.toMatch(/sweep \[/);
  });

  it('keeps sweeping the other accounts when one fails, and exits 1', async () => {
    // Prepare: the second account's IAM denies the report (one account at a time, so the order is known)
    const member = '222222222222';
    iamMock
      .on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: 'COMPLETE' })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const t = io();

    // Act
    const status = await main(
      [
        'sweep',
        '--account',
        SELF,
        '--account',
        member,
        '--concurrency',
        '1',
        '--no-enqueue',
        '--output',
        'json',
      ],
      t.io,
    );

    // Assess
    expect(status).toBe(1);
    const doc = JSON.parse(t.out());
    expect(doc.accounts.map((a: { accountId: string; status: string }) => [a.accountId, a.status])).toEqual([
      [SELF, 'ok'],
      [member, 'failed'],
    ]);
    expect(doc.accounts[1].error.code).toBe('AccessDenied');
  });

  it('skips accounts outside ALLOWED_ACCOUNTS when it is set', async () => {
    const t = io({ env: { ALLOWED_ACCOUNTS: SELF } });
    const status = await main(
      ['sweep', '--account', '222222222222', '--no-enqueue', '--output', 'json'],
      t.io,
    );
    expect(status).toBe(0);
    const doc = JSON.parse(t.out());
    expect(doc.accounts).toEqual([]);
    expect(doc.skipped).toEqual([{ accountId: '222222222222', reason: 'not in ALLOWED_ACCOUNTS' }]);
  });

  it('is a usage error to enqueue without a queue, or to combine --account with --all-accounts', async () => {
    const noQueue = io();
    expect(await main(['sweep'], noQueue.io)).toBe(2);
    expect(noQueue.err()).toMatch(/REMEDIATION_QUEUE_URL/);

    const both = io();
    expect(await main(['sweep', '--account', SELF, '--all-accounts', '--no-enqueue'], both.io)).toBe(2);
    expect(await main(['sweep', '--account', '12'], io().io)).toBe(2);
  });
});
