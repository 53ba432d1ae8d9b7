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
import { runCli } from '../helpers/cli.ts';
import { renderReport } from '../helpers/fake-reports.ts';

const SELF = '111111111111';
const QUEUE = `https://sqs.us-east-1.amazonaws.com/${SELF}/remediation`;
const iamMock = mockClient(IAMClient);
const sqsMock = mockClient(SQSClient);
const stsMock = mockClient(STSClient);

/** `mfa-remediation sweep …argv` with test credentials (the SDK clients are mocked). */
function sweep(argv: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  return runCli(['sweep', ...argv], {
    tty: options.tty,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...options.env,
    },
  });
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
    // Act (Prepare: the mocks in beforeEach)
    const { status, stdout, stderr } = await sweep(['--output', 'json'], {
      env: { REMEDIATION_QUEUE_URL: QUEUE },
    });

    // Assess
    expect(status).toBe(0);
    const doc = JSON.parse(stdout);
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
    expect(stderr).not.toContain('\r');
  });

  it('--no-enqueue lists the users in a table and sends nothing (no queue needed)', async () => {
    const { status, stdout } = await sweep(['--no-enqueue', '--output', 'table']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/Account 111111111111: 1 user\(s\) without MFA/);
    expect(stdout).toMatch(/USER\s+PASSWORD\s+ACCESS KEYS\s+CONTAINED\n-+.*\nalice\s+yes\s+0\s+no/);
    expect(stdout).toMatch(/ACCOUNT\s+STATUS\s+SCANNED\s+NON-COMPLIANT/);
    expect(stdout).toMatch(/111111111111\s+ok\s+2\s+1\s+0\s+0\s+MISSING/);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('--dry-run enqueues nothing and marks the summary', async () => {
    const { status, stdout } = await sweep(['--dry-run', '--output', 'json']);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).accounts[0].summary).toMatchObject({
      dryRun: true,
      enqueued: 0,
      nonCompliant: 1,
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('shows its stages on stderr when stderr is a terminal (whatever the output format), never otherwise', async () => {
    const tty = await sweep(['--no-enqueue', '--output', 'json'], { tty: true });
    expect(tty.stderr).toMatch(/report of \S+Z \(\d+ (s|min|h \d+ min) old\) parsed: \d+ users/);
    expect(tty.stderr).toContain('sweep: 1/1 accounts done');

    const piped = await sweep(['--no-enqueue', '--output', 'json'], { tty: false });
    expect(piped.stderr).not.toContain('\x1b');
    expect(piped.stderr).not.toContain('credential report');
  });

  it('keeps sweeping the other accounts when one fails, and exits 1', async () => {
    // Prepare: the second account's IAM denies the report (one account at a time, so the order is known)
    const member = '222222222222';
    iamMock
      .on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: 'COMPLETE' })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const { status, stdout } = await sweep([
      '--account',
      SELF,
      '--account',
      member,
      '--concurrency',
      '1',
      '--no-enqueue',
      '--output',
      'json',
    ]);

    // Assess
    expect(status).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.accounts.map((a: { accountId: string; status: string }) => [a.accountId, a.status])).toEqual([
      [SELF, 'ok'],
      [member, 'failed'],
    ]);
    expect(doc.accounts[1].error.code).toBe('AccessDenied');
  });

  it('skips accounts outside ALLOWED_ACCOUNTS when it is set', async () => {
    const { status, stdout } = await sweep(
      ['--account', '222222222222', '--no-enqueue', '--output', 'json'],
      {
        env: { ALLOWED_ACCOUNTS: SELF },
      },
    );
    expect(status).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.accounts).toEqual([]);
    expect(doc.skipped).toEqual([{ accountId: '222222222222', reason: 'not in ALLOWED_ACCOUNTS' }]);
  });

  it('is a usage error to enqueue without a queue, or to combine --account with --all-accounts', async () => {
    const noQueue = await sweep([]);
    expect(noQueue.status).toBe(2);
    expect(noQueue.stderr).toMatch(/REMEDIATION_QUEUE_URL/);

    expect((await sweep(['--account', SELF, '--all-accounts', '--no-enqueue'])).status).toBe(2);
    expect((await sweep(['--account', '12'])).status).toBe(2);
  });
});
