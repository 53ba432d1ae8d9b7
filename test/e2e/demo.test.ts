/**
 * `npm start` (= `mfa-remediation local`) and `mfa-remediation local-cloud`: what a newcomer sees first must
 * work, finish in seconds and tell the truth about every demo user.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const ENV = { LOG_LEVEL: 'warn' };

describe('mfa-remediation local (npm start)', () => {
  it('runs the demo organisation through the pipeline and reports every user truthfully', async () => {
    const { status, stdout, stderr } = await runCli(['local', '--output', 'json'], { env: ENV });

    expect(status, stderr).toBe(0);
    const summary = JSON.parse(stdout) as {
      users: { accountId: string; userName: string; outcome: string; actions: string }[];
      counts: Record<string, number>;
      parkedOnDeadLetterQueue: number;
      apiCalls: Record<string, number>;
    };
    const outcomeOf = Object.fromEntries(summary.users.map((u) => [u.userName, u.outcome]));
    expect(outcomeOf).toEqual({
      alice: 'already-compliant',
      bob: 'enrollment-required',
      'break-glass': 'exempt',
      'svc-ci': 'not-applicable',
      dave: 'escalated',
      erin: 'remediated',
      frank: 'enrollment-required',
      hana: 'enrollment-required',
      gina: 'enrollment-required',
    });
    const actionsOf = Object.fromEntries(summary.users.map((u) => [u.userName, u.actions]));
    expect(actionsOf.bob).toContain('attach-guard-policy');
    expect(actionsOf.bob).toContain('update-finding');
    expect(actionsOf.dave).toContain('delete-login-profile');
    expect(actionsOf.erin).toContain('detach-guard-policy');
    // hana came from Security Hub's OCSF generation: her finding went through GetFindingsV2 and the V2 update.
    expect(actionsOf.hana).toContain('attach-guard-policy');
    expect(actionsOf.hana).toContain('update-finding');
    expect(summary.apiCalls['securityhub:GetFindingsV2']).toBeGreaterThanOrEqual(1);
    expect(summary.apiCalls['securityhub:BatchUpdateFindingsV2']).toBeGreaterThanOrEqual(1);
    expect(summary.counts.rejected).toBe(1);
    expect(summary.parkedOnDeadLetterQueue).toBe(1);
    // gina came from AWS Config: her user ID was resolved with ListUsers; frank needed AssumeRole.
    expect(summary.apiCalls['iam:ListUsers']).toBeGreaterThanOrEqual(1);
    expect(summary.apiCalls['sts:AssumeRole']).toBeGreaterThanOrEqual(1);
  });

  it('prints a table with counts on a terminal', async () => {
    const { status, stdout } = await runCli(['local'], { tty: true, env: ENV });

    expect(status).toBe(0);
    expect(stdout).toMatch(/ACCOUNT\s+USER\s+OUTCOME/);
    expect(stdout).toMatch(/bob\s+enrollment-required/);
    expect(stdout).toMatch(/Outcomes: .*remediated 1/);
    expect(stdout).toMatch(/Parked on the dead-letter queue: 1/);
  });

  it('fits 80 columns: the e-mail is quoted in whole paragraphs, every line of it behind the quote bar', async () => {
    const { status, stdout } = await runCli(['local', '--output', 'table'], {
      env: { ...ENV, COLUMNS: '80' },
    });

    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    const first = lines.findIndex((line) => line.startsWith('  │'));
    const last = lines.findIndex((line) => line.startsWith('Campaign report (HTML): '));
    expect(first).toBeGreaterThan(0);
    const quoted = lines.slice(first, last);
    for (const line of quoted) expect(line, line).toMatch(/^ {2}│( |$)/);
    const text = quoted.map((line) => line.slice(4)).join(' ');
    expect(text).toContain('so the user has been restricted until it has one.');
    expect(text).toContain('Nothing was deleted.');
  });

  it('rejects a bad flag with a usage error naming it', async () => {
    const { status, stderr } = await runCli(['local', '--users', 'many'], { env: ENV });

    expect(status).toBe(2);
    expect(stderr).toMatch(/--users/);
  });
});

describe('mfa-remediation local-cloud', () => {
  it('says which port is taken and how to choose another, with exit status 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { status, stdout, stderr } = await runCli(['local-cloud', '--port', String(port)], { env: ENV });

      expect(status).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `error: local-cloud: port ${port} of 127.0.0.1 is in use (another local cloud?); pick another with --port, or --port 0 for any free one\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('serves the seeded demo cloud until SIGTERM, for the SDK and the AWS CLI', async () => {
    const child = spawn(
      process.execPath,
      ['bin/mfa-remediation.js', 'local-cloud', '--port', '0', '--seed', 'demo'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        const match = /^ready (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const options = {
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
      };
      const iam = new IAMClient(options);
      const users = await iam.send(new ListUsersCommand({}));
      expect(users.Users?.map((u) => u.UserName)).toEqual(expect.arrayContaining(['alice', 'bob', 'dave']));
      const queueUrl = /^export REMEDIATION_QUEUE_URL=(\S+)$/m.exec(stderr)?.[1] ?? '';
      const sqs = new SQSClient(options);
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 8 });
      iam.destroy();
      sqs.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
