/**
 * The AWS CLI against the local cloud: the documented `aws iam enable-mfa-device` flow, an `enrollment-codes`
 * task sent with `aws sqs send-message` that the worker turns into `remediated`, and the calls an operator
 * makes (STS, Security Hub, SNS, Organizations). Exit codes and parsed output, per CLI found.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFinding } from '../../src/local/findings.ts';
import { makeOcsfFinding } from '../../src/local/findings-ocsf.ts';
import { aws, CLIENTS, missing } from './support.ts';
import { ACCOUNT, type ClientWorld, consecutiveCodes, startClientWorld } from './world.ts';

/** What the AWS CLI exits with when the service answers an error (v2: 254; v1: 255). */
const SERVICE_ERROR = [254, 255];

describe.skipIf(CLIENTS.aws.length === 0)(`the AWS CLI${missing('awscli', CLIENTS.aws)}`, () => {
  let world: ClientWorld;
  let dir: string;

  beforeAll(async () => {
    world = await startClientWorld();
    dir = mkdtempSync(join(tmpdir(), 'mfa-remediation-cli-'));
  });
  afterAll(async () => {
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(CLIENTS.aws)('$version', (cli) => {
    const suffix = cli.version.replace(/[^a-z0-9]/gi, '');
    const call = (...args: string[]) => aws(cli, world.cloud.url, args);

    it('enables a virtual MFA device as AWS documents it: wrong codes refused, real ones accepted once', async () => {
      // Prepare
      const userName = `carol-${suffix}`;
      world.cloud.seed({ users: [{ userName, consolePassword: true }] });
      const seedFile = join(dir, `${userName}.txt`);

      // Act
      const created = await call(
        'iam',
        'create-virtual-mfa-device',
        '--virtual-mfa-device-name',
        userName,
        '--outfile',
        seedFile,
        '--bootstrap-method',
        'Base32StringSeed',
      );
      const serial = created.json<{ VirtualMFADevice: { SerialNumber: string } }>().VirtualMFADevice
        .SerialNumber;
      const seed = readFileSync(seedFile, 'utf8').trim();
      const enable = (code1: string, code2: string) =>
        call(
          'iam',
          'enable-mfa-device',
          '--user-name',
          userName,
          '--serial-number',
          serial,
          '--authentication-code1',
          code1,
          '--authentication-code2',
          code2,
        );
      const wrong = await enable('123456', '654321');
      const [code1, code2] = consecutiveCodes(seed);
      const right = await enable(code1, code2);
      const again = await enable(code1, code2);
      const listed = await call('iam', 'list-mfa-devices', '--user-name', userName);

      // Assess
      expect(created.code, created.stderr).toBe(0);
      expect(serial).toBe(`arn:aws:iam::${ACCOUNT}:mfa/${userName}`);
      expect(seed).toBe(world.cloud.iam.deviceSeed(ACCOUNT, serial));
      expect(SERVICE_ERROR).toContain(wrong.code);
      expect(wrong.stderr).toContain('(InvalidAuthenticationCode)');
      expect(right.code, right.stderr).toBe(0);
      expect(right.stdout).toBe('');
      expect(SERVICE_ERROR).toContain(again.code);
      expect(again.stderr).toContain('(EntityAlreadyExists)');
      expect(listed.json<{ MFADevices: { SerialNumber: string }[] }>().MFADevices).toEqual([
        expect.objectContaining({ SerialNumber: serial, UserName: userName }),
      ]);
    });

    it('sends an enrollment-codes task with aws sqs send-message that the worker turns into remediated', async () => {
      // Prepare
      const userName = `dana-${suffix}`;
      world.cloud.seed({ users: [{ userName, consolePassword: true }] });
      const device = await world.createDevice(userName);
      const [code1, code2] = consecutiveCodes(device.seed);
      const task = {
        type: 'enrollment-codes',
        accountId: ACCOUNT,
        userName,
        serialNumber: device.serialNumber,
        code1,
        code2,
      };

      // Act
      const sent = await call(
        'sqs',
        'send-message',
        '--queue-url',
        world.pipeline.queueUrl,
        '--message-body',
        JSON.stringify(task),
      );
      const outcomes = await world.runWorker();

      // Assess
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.json()).toMatchObject({
        MessageId: expect.any(String),
        MD5OfMessageBody: expect.any(String),
      });
      expect(outcomes.filter((o) => o.userName === userName).map((o) => o.outcome)).toEqual(['remediated']);
      expect(world.cloud.iam.getUser(ACCOUNT, userName)?.mfaSerialNumbers).toEqual([device.serialNumber]);
    });

    it('is refused aws sts assume-role for a role that does not exist', async () => {
      // Act
      const result = await call(
        'sts',
        'assume-role',
        '--role-arn',
        `arn:aws:iam::${ACCOUNT}:role/MfaRemediationMemberRole`,
        '--role-session-name',
        'cli-test',
      );

      // Assess
      expect(SERVICE_ERROR).toContain(result.code);
      expect(result.stderr).toContain('(AccessDenied)');
      expect(result.stderr).toContain('is not authorized to perform: sts:AssumeRole');
    });

    it('reads findings with aws securityhub get-findings', async () => {
      // Prepare
      const hub = new SecurityHubClient(world.options);
      const finding = makeFinding({ userName: `erin-${suffix}`, accountId: ACCOUNT });
      await hub.send(new BatchImportFindingsCommand({ Findings: [finding] as never }));
      hub.destroy();

      // Act
      const result = await call(
        'securityhub',
        'get-findings',
        '--filters',
        JSON.stringify({ Id: [{ Value: finding.Id, Comparison: 'EQUALS' }] }),
      );

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(result.json<{ Findings: Record<string, unknown>[] }>().Findings).toEqual([
        expect.objectContaining({
          Id: finding.Id,
          ProductName: 'Security Hub',
          CompanyName: 'AWS',
          Workflow: { Status: 'NEW' },
        }),
      ]);
    });

    // Security Hub's V2 calls came with AWS CLI 1.40 / 2.27; Debian's 2.9 predates them (it says so and skips).
    it('reads and updates OCSF findings with get-findings-v2 and batch-update-findings-v2', async (context) => {
      // Prepare: the finding Security Hub would hold, imported through the admin API (AWS has no import call).
      const finding = makeOcsfFinding({ userName: `erin-${suffix}`, accountId: ACCOUNT });
      const uid = (finding.metadata as { uid: string }).uid;
      const imported = await fetch(`${world.cloud.url}/_local/securityhub/v2/findings`, {
        method: 'POST',
        body: JSON.stringify({ findings: [finding] }),
      });
      expect(imported.status).toBe(200);
      const byUid = JSON.stringify({
        CompositeFilters: [
          { StringFilters: [{ FieldName: 'metadata.uid', Filter: { Value: uid, Comparison: 'EQUALS' } }] },
        ],
      });

      // Act
      const before = await call('securityhub', 'get-findings-v2', '--filters', byUid);
      if (/Invalid choice/i.test(before.stderr)) return context.skip(`${cli.version} has no get-findings-v2`);
      const updated = await call(
        'securityhub',
        'batch-update-findings-v2',
        '--metadata-uids',
        uid,
        'unknown-uid',
        '--status-id',
        '2',
        '--comment',
        'contained until Friday',
      );
      const after = await call('securityhub', 'get-findings-v2', '--filters', byUid);
      const refused = await call('securityhub', 'batch-update-findings-v2', '--status-id', '2');

      // Assess
      expect(before.code, before.stderr).toBe(0);
      expect(before.json<{ Findings: Record<string, unknown>[] }>().Findings).toEqual([
        expect.objectContaining({ status_id: 1, metadata: expect.objectContaining({ uid }) }),
      ]);
      expect(updated.code, updated.stderr).toBe(0);
      expect(updated.json()).toEqual({
        ProcessedFindings: [{ MetadataUid: uid }],
        UnprocessedFindings: [
          {
            MetadataUid: 'unknown-uid',
            ErrorCode: 'ResourceNotFoundException',
            ErrorMessage: expect.any(String),
          },
        ],
      });
      const [stored] = after.json<{ Findings: Record<string, unknown>[] }>().Findings;
      expect(stored).toMatchObject({
        status_id: 2,
        status: 'In Progress',
        comment: 'contained until Friday',
      });
      expect(stored?.finding_info).toEqual(finding.finding_info);
      expect(SERVICE_ERROR).toContain(refused.code);
      expect(refused.stderr).toContain('(ValidationException)');
    });

    it('publishes with aws sns publish', async () => {
      // Prepare: a topic of its own, so the outcome topic carries only outcomes
      const sns = new SNSClient(world.options);
      const { TopicArn = '' } = await sns.send(new CreateTopicCommand({ Name: `cli-${suffix}` }));
      sns.destroy();

      // Act
      const result = await call(
        'sns',
        'publish',
        '--topic-arn',
        TopicArn,
        '--message',
        `hello from ${cli.version}`,
        '--message-attributes',
        '{"outcome":{"DataType":"String","StringValue":"ignored"}}',
      );

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const { MessageId } = result.json<{ MessageId: string }>();
      expect(world.cloud.sns.published(TopicArn)).toContainEqual(
        expect.objectContaining({ messageId: MessageId, message: `hello from ${cli.version}` }),
      );
    });

    it('lists the organisation with aws organizations list-accounts', async () => {
      // Act
      const result = await call('organizations', 'list-accounts');

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const { Accounts } = result.json<{ Accounts: { Id: string; Status: string; Arn: string }[] }>();
      expect(Accounts).toContainEqual(expect.objectContaining({ Id: ACCOUNT, Status: 'ACTIVE' }));
      expect(Accounts[0]?.Arn).toMatch(/^arn:aws:organizations::\d{12}:account\/o-[a-z0-9]{10,32}\/\d{12}$/);
    });
  });
});
