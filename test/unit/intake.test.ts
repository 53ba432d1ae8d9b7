import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IntakeOptions, parseMessage } from '../../src/core/intake.ts';
import type { IntakeItem, TerminalItem, WorkItem } from '../../src/core/model.ts';
import {
  CONFIG_USER_ID,
  FINDING_ACCOUNT,
  makeConfigDetail,
  makeConfigEvent,
  makeFinding,
  makeSecurityHubEvent,
  makeTask,
  makeUserResource,
  toBody,
  userArn,
  wrapInSns,
} from '../../src/local/findings.ts';

const MESSAGE_ID = '5f1c2b3a-0000-4000-8000-00000000beef';
const OTHER_ACCOUNT = '999999999999';

function parse(value: unknown, options: Partial<IntakeOptions> = {}): IntakeItem[] {
  return parseMessage(toBody(value), { allowedAccounts: '*', messageId: MESSAGE_ID, ...options });
}

function works(items: readonly IntakeItem[]): WorkItem[] {
  return items.map((item) => {
    if (item.kind !== 'work') throw new Error(`expected work, got ${JSON.stringify(item)}`);
    return item.work;
  });
}

function terminals(items: readonly IntakeItem[]): TerminalItem[] {
  return items.map((item) => {
    if (item.kind !== 'terminal') throw new Error(`expected a terminal item, got ${JSON.stringify(item)}`);
    return item.terminal;
  });
}

function onlyTerminal(value: unknown, options: Partial<IntakeOptions> = {}): TerminalItem {
  const items = parse(value, options);
  expect(items).toHaveLength(1);
  return terminals(items)[0] as TerminalItem;
}

function onlyWork(value: unknown, options: Partial<IntakeOptions> = {}): WorkItem {
  const items = parse(value, options);
  expect(items).toHaveLength(1);
  return works(items)[0] as WorkItem;
}

/** What an item boils down to, for table-driven shape tests. */
function summary(item: IntakeItem): string {
  if (item.kind === 'terminal') return item.terminal.outcome;
  const w = item.work;
  return [w.type, w.userName ?? w.userId ?? w.sweepId, w.scope, w.forced ? 'forced' : undefined]
    .filter(Boolean)
    .join(' ');
}

const SHAPES: readonly [string, unknown, readonly string[]][] = [
  [
    'Security Hub Findings - Imported with several findings',
    makeSecurityHubEvent([
      makeFinding({ userName: 'alice' }),
      makeFinding({ controlId: 'IAM.19', userName: 'bob' }),
      makeFinding({ controlId: 'IAM.8', userName: 'carol' }),
    ]),
    ['mfa-missing alice console-users', 'mfa-missing bob all-users', 'ignored'],
  ],
  [
    'Security Hub Findings - Custom Action',
    makeSecurityHubEvent([makeFinding({ workflowStatus: 'NOTIFIED' })], { kind: 'custom-action' }),
    ['mfa-missing alice console-users forced'],
  ],
  ['a bare ASFF finding', makeFinding({ controlId: 'IAM.19' }), ['mfa-missing alice all-users']],
  [
    '{ findings: [...] }',
    { findings: [makeFinding(), makeFinding({ userName: 'bob' })] },
    ['mfa-missing alice console-users', 'mfa-missing bob console-users'],
  ],
  [
    '{ Findings: [...] } (GetFindings output)',
    { Findings: [makeFinding()] },
    ['mfa-missing alice console-users'],
  ],
  ['Config NON_COMPLIANT', makeConfigEvent(), [`mfa-missing ${CONFIG_USER_ID} console-users`]],
  [
    'Config COMPLIANT',
    makeConfigEvent({ complianceType: 'COMPLIANT' }),
    [`verify ${CONFIG_USER_ID} console-users`],
  ],
  ['Config NOT_APPLICABLE', makeConfigEvent({ complianceType: 'NOT_APPLICABLE' }), ['ignored']],
  ['Config INSUFFICIENT_DATA', makeConfigEvent({ complianceType: 'INSUFFICIENT_DATA' }), ['ignored']],
  [
    'Config for another resource type',
    makeConfigEvent({ resourceType: 'AWS::IAM::Role', resourceId: 'AROAEXAMPLE' }),
    ['ignored'],
  ],
  [
    'Config notification delivered bare by a Config SNS topic',
    makeConfigDetail(),
    [`mfa-missing ${CONFIG_USER_ID} console-users`],
  ],
  ['task mfa-missing', makeTask('mfa-missing'), ['mfa-missing alice']],
  ['task verify', makeTask('verify'), ['verify alice']],
  ['task enrollment-codes', makeTask('enrollment-codes'), ['enrollment-codes alice']],
  ['task resync-codes', makeTask('resync-codes'), ['resync-codes alice']],
  ['task sweep-account', makeTask('sweep-account'), ['sweep-account sweep-2026-11-23 all-users']],
];

describe('parseMessage', () => {
  describe('message shapes', () => {
    it.each(SHAPES)('%s', (_name, payload, expected) => {
      expect(parse(payload).map(summary)).toEqual(expected);
    });

    it.each(SHAPES)('%s, in an SNS envelope', (_name, payload, expected) => {
      expect(parse(wrapInSns(payload)).map(summary)).toEqual(expected);
    });

    it('unwraps a hand-written SNS envelope without TopicArn or MessageId', () => {
      const envelope = { Type: 'Notification', Message: JSON.stringify(makeTask('verify')) };

      expect(parse(envelope).map(summary)).toEqual(['verify alice']);
    });

    it.each(SHAPES)('%s, in two nested SNS envelopes', (_name, payload, expected) => {
      expect(parse(wrapInSns(wrapInSns(payload))).map(summary)).toEqual(expected);
    });
  });

  describe('Security Hub findings', () => {
    it('builds the work item from the finding', () => {
      // Prepare
      const finding = makeFinding({ accountId: '222222222222', region: 'eu-west-1', userName: 'alice' });

      // Act
      const work = onlyWork(makeSecurityHubEvent([finding]));

      // Assess
      expect(work).toEqual({
        type: 'mfa-missing',
        accountId: '222222222222',
        region: 'eu-west-1',
        userName: 'alice',
        userArn: 'arn:aws:iam::222222222222:user/alice',
        trigger: { source: 'security-hub', findingId: finding.Id, controlId: 'IAM.5', messageId: MESSAGE_ID },
        finding: {
          generation: 'asff',
          id: finding.Id,
          productArn: 'arn:aws:securityhub:eu-west-1::product/aws/securityhub',
          controlId: 'IAM.5',
          region: 'eu-west-1',
          workflowStatus: 'NEW',
        },
        scope: 'console-users',
        findingIndex: 0,
        detectedAt: '2026-11-20T08:00:00.000Z',
      });
    });

    it('takes the user name from the ARN, path and all, when Details are absent', () => {
      const finding = makeFinding({ userName: 'alice', userPath: '/dept/eng/', withUserDetails: false });

      const work = onlyWork(finding);

      expect(work.userName).toBe('alice');
      expect(work.userArn).toBe('arn:aws:iam::111111111111:user/dept/eng/alice');
    });

    it('uses the first AwsIamUser resource', () => {
      const resources = [
        { Type: 'AwsAccount', Id: `AWS::::Account:${FINDING_ACCOUNT}` },
        makeUserResource('first'),
        makeUserResource('second'),
      ];

      expect(onlyWork(makeFinding({ resources })).userName).toBe('first');
    });

    it('keeps a user id when the resource names the user by id', () => {
      const resources = [{ Type: 'AwsIamUser', Id: 'AIDAQXAMPLEUSER000042' }];

      const work = onlyWork(makeFinding({ resources }));

      expect(work).toMatchObject({ userId: 'AIDAQXAMPLEUSER000042', accountId: FINDING_ACCOUNT });
      expect(work.userName).toBeUndefined();
    });

    it('takes the region from the resource when the finding has none', () => {
      const finding = makeFinding({ region: 'ap-southeast-2' }, { Region: undefined });

      expect(onlyWork(finding).region).toBe('ap-southeast-2');
    });

    it('falls back to CreatedAt, and drops a detectedAt that is not a timestamp', () => {
      const created = makeFinding({}, { FirstObservedAt: undefined, CreatedAt: '2026-11-01T00:00:00Z' });
      const garbled = makeFinding({}, { FirstObservedAt: 'yesterday', CreatedAt: undefined });

      expect(onlyWork(created).detectedAt).toBe('2026-11-01T00:00:00Z');
      expect(onlyWork(garbled).detectedAt).toBeUndefined();
    });

    it.each([
      ['NEW', 'imported'],
      ['NOTIFIED', 'imported'],
      ['NOTIFIED', 'custom-action'],
      ['RESOLVED', 'custom-action'],
    ] as const)('acts on Workflow.Status %s (%s)', (workflowStatus, kind) => {
      const event = makeSecurityHubEvent([makeFinding({ workflowStatus })], { kind });

      const work = onlyWork(event);

      expect(work.finding?.workflowStatus).toBe(workflowStatus);
      expect(work.forced).toBe(kind === 'custom-action' ? true : undefined);
    });

    it.each([
      ['PASSED', { complianceStatus: 'PASSED' }, 'imported', /^Compliance\.Status is PASSED, not FAILED$/],
      [
        'NOT_AVAILABLE',
        { complianceStatus: 'NOT_AVAILABLE' },
        'imported',
        /Compliance\.Status is NOT_AVAILABLE/,
      ],
      ['WARNING', { complianceStatus: 'WARNING' }, 'imported', /Compliance\.Status is WARNING/],
      ['ARCHIVED', { recordState: 'ARCHIVED' }, 'imported', /archived \(RecordState ARCHIVED\)/],
      [
        'SUPPRESSED',
        { workflowStatus: 'SUPPRESSED' },
        'imported',
        /suppressed \(Workflow\.Status SUPPRESSED\)/,
      ],
      ['SUPPRESSED, custom action', { workflowStatus: 'SUPPRESSED' }, 'custom-action', /SUPPRESSED/],
      [
        'RESOLVED and still FAILED',
        { workflowStatus: 'RESOLVED' },
        'imported',
        /Workflow\.Status is RESOLVED/,
      ],
      ['another control', { controlId: 'IAM.8' }, 'imported', /^control IAM\.8 is not an MFA control$/],
      [
        'a CIS recommendation that is not MFA',
        { generatorId: 'cis-aws-foundations-benchmark/v/3.0.0/1.12' },
        'imported',
        /^control CIS v3\.0\.0\/1\.12 is not an MFA control$/,
      ],
    ] as const)('ignores a finding: %s', (_name, options, kind, reason) => {
      const terminal = onlyTerminal(makeSecurityHubEvent([makeFinding(options)], { kind }));

      expect(terminal).toMatchObject({ outcome: 'ignored', accountId: FINDING_ACCOUNT, region: 'us-east-1' });
      expect(terminal.reason).toMatch(reason);
      expect(terminal.trigger).toMatchObject({ source: 'security-hub', messageId: MESSAGE_ID });
    });

    it('ignores a finding without Compliance (not a control finding)', () => {
      const terminal = onlyTerminal(makeFinding({}, { Compliance: undefined }));

      expect(terminal).toMatchObject({
        outcome: 'ignored',
        reason: expect.stringMatching(/no Compliance\.Status/),
      });
    });

    it('ignores a finding imported by another product, whatever control it claims', () => {
      const finding = makeFinding(
        {},
        { ProductArn: `arn:aws:securityhub:us-east-1:${FINDING_ACCOUNT}:product/${FINDING_ACCOUNT}/default` },
      );

      expect(onlyTerminal(finding)).toMatchObject({
        outcome: 'ignored',
        reason: expect.stringMatching(/not from a Security Hub control/),
      });
    });

    it.each([
      ['IAM.6', {}],
      ['IAM.9', {}],
      [
        'CIS v1.2.0 rule 1.13',
        { generatorId: 'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.13' },
      ],
      ['CIS v1.4.0 1.6', { generatorId: 'cis-aws-foundations-benchmark/v/1.4.0/1.6' }],
      ['CIS v3.0.0 1.5', { generatorId: 'cis-aws-foundations-benchmark/v/3.0.0/1.5' }],
      ['CIS v5.0.0 1.4', { generatorId: 'cis-aws-foundations-benchmark/v/5.0.0/1.4' }],
    ])('asks a person to act on root MFA: %s', (name, options) => {
      const resources = [{ Type: 'AwsAccount', Id: `AWS::::Account:${FINDING_ACCOUNT}` }];
      const controlId = name.startsWith('IAM') ? name : undefined;

      const terminal = onlyTerminal(
        makeFinding({ ...(controlId ? { controlId } : {}), ...options, resources }),
      );

      expect(terminal.outcome).toBe('manual-action-required');
      expect(terminal.reason).toMatch(/root user/);
      expect(terminal.trigger.controlId).toMatch(/^IAM\.(6|9)$/);
    });

    it('gives each finding of an event its own item, whatever its neighbours', () => {
      // Prepare
      const event = makeSecurityHubEvent([
        makeFinding({ userName: 'alice' }),
        makeFinding({ userName: 'bob' }, { AwsAccountId: '12345' }),
        makeFinding({ userName: 'carol' }),
      ]);

      // Act
      const items = parse(event);

      // Assess
      expect(items.map(summary)).toEqual([
        'mfa-missing alice console-users',
        'rejected',
        'mfa-missing carol console-users',
      ]);
      expect(terminals([items[1] as IntakeItem])[0]).toMatchObject({
        reason: 'detail.findings[1].AwsAccountId: must be a 12-digit AWS account id',
        field: 'detail.findings[1].AwsAccountId',
      });
    });
  });

  describe('Config compliance changes', () => {
    it('builds the work item from the event', () => {
      const work = onlyWork(makeConfigEvent({ accountId: '222222222222', region: 'eu-central-1' }));

      expect(work).toEqual({
        type: 'mfa-missing',
        accountId: '222222222222',
        region: 'eu-central-1',
        userId: CONFIG_USER_ID,
        compliance: 'NON_COMPLIANT',
        scope: 'console-users',
        trigger: {
          source: 'config',
          configRuleName: 'securityhub-mfa-enabled-for-iam-console-access-0d7a2f1c',
          messageId: MESSAGE_ID,
        },
        detectedAt: '2026-11-23T08:00:02.000Z',
      });
    });

    it('verifies on COMPLIANT', () => {
      const work = onlyWork(
        makeConfigEvent({ complianceType: 'COMPLIANT', configRuleName: 'iam-user-mfa-enabled' }),
      );

      expect(work).toMatchObject({
        type: 'verify',
        compliance: 'COMPLIANT',
        scope: 'all-users',
        userId: CONFIG_USER_ID,
      });
    });

    it('leaves the scope to configuration for a rule of unknown meaning', () => {
      expect(onlyWork(makeConfigEvent({ configRuleName: 'corp-require-mfa' })).scope).toBeUndefined();
    });

    it.each([
      ['NOT_APPLICABLE', {}, /compliance type NOT_APPLICABLE asks for nothing/],
      ['INSUFFICIENT_DATA', {}, /compliance type INSUFFICIENT_DATA asks for nothing/],
      [
        'NON_COMPLIANT',
        { resourceType: 'AWS::S3::Bucket', resourceId: 'my-bucket' },
        /resource type AWS::S3::Bucket is not AWS::IAM::User/,
      ],
    ])('ignores %s %o', (complianceType, options, reason) => {
      const terminal = onlyTerminal(makeConfigEvent({ complianceType, ...options }));

      expect(terminal).toMatchObject({
        outcome: 'ignored',
        accountId: FINDING_ACCOUNT,
        trigger: { source: 'config' },
      });
      expect(terminal.reason).toMatch(reason);
    });
  });

  describe('task messages', () => {
    it.each([
      ['mfa-missing', {}, { source: 'sweep', sweepId: 'sweep-2026-11-23' }],
      ['mfa-missing', { source: 'manual', sweepId: undefined }, { source: 'manual' }],
      ['verify', {}, { source: 'manual' }],
      ['enrollment-codes', {}, { source: 'enrollment', requestId: 'req-1' }],
      ['resync-codes', {}, { source: 'enrollment' }],
      ['sweep-account', {}, { source: 'sweep', sweepId: 'sweep-2026-11-23' }],
    ])('%s %o → trigger %o', (type, overrides, trigger) => {
      const work = onlyWork(makeTask(type, overrides));

      expect(work.trigger).toEqual({ ...trigger, messageId: MESSAGE_ID });
      expect(work).toMatchObject({ type, accountId: FINDING_ACCOUNT });
    });

    it('carries the codes of an enrolment task to the workflow', () => {
      const work = onlyWork(makeTask('enrollment-codes'));

      expect(work).toMatchObject({
        type: 'enrollment-codes',
        userName: 'alice',
        serialNumber: `arn:aws:iam::${FINDING_ACCOUNT}:mfa/mfa-remediation/alice`,
        code1: '123456',
        code2: '654321',
      });
    });
  });

  describe('rejections', () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => makeFinding({ userName: `user${i}` }));
    const mismatched = makeFinding({ resources: [makeUserResource('alice', { accountId: '222222222222' })] });
    it.each([
      ['a body that is not JSON', 'this is not json', 'body', /^body is not valid JSON: Unexpected token/],
      ['a JSON array', [makeFinding()], 'body', /^unrecognised message shape: expected .*; got an array$/],
      ['a JSON string', '"hello"', 'body', /^unrecognised message shape: expected /],
      [
        'an unknown shape',
        { hello: 'world' },
        'body',
        /^unrecognised message shape: expected an EventBridge event/,
      ],
      [
        'an unknown task type',
        makeTask('enrol-codes'),
        'type',
        /^type: unknown task type "enrol-codes"; expected one of mfa-missing, verify, enrollment-codes, resync-codes, sweep-account$/,
      ],
      [
        'a task with a bad user name',
        makeTask('verify', { userName: 'alice smith' }),
        'userName',
        /^userName: must be 1-64 characters/,
      ],
      [
        'a task with a bad serial number',
        makeTask('enrollment-codes', { serialNumber: 'short' }),
        'serialNumber',
        /^serialNumber: must be 9-256 characters/,
      ],
      [
        'a task with a bad code',
        makeTask('enrollment-codes', { code1: '12345a' }),
        'code1',
        /^code1: must be exactly six digits$/,
      ],
      [
        'a task with a bad account id',
        makeTask('verify', { accountId: '1234' }),
        'accountId',
        /^accountId: must be a 12-digit AWS account id$/,
      ],
      [
        'a task missing a field',
        makeTask('resync-codes', { code2: undefined }),
        'code2',
        /^code2: is required \(expected string\)$/,
      ],
      [
        'a task with an unknown field',
        makeTask('verify', { user: 'alice' }),
        'user',
        /^user: unknown field$/,
      ],
      [
        'a task with a bad source',
        makeTask('mfa-missing', { source: 'cron' }),
        'source',
        /^source: Invalid option/,
      ],
      [
        'a finding with a bad user name',
        makeFinding({ userName: 'bad name!' }),
        'Resources[0].Details.AwsIamUser.UserName',
        /^Resources\[0\]\.Details\.AwsIamUser\.UserName: must be 1-64 characters/,
      ],
      [
        'a finding with a bad account id',
        makeSecurityHubEvent([makeFinding({}, { AwsAccountId: 'abc' })]),
        'detail.findings[0].AwsAccountId',
        /^detail\.findings\[0\]\.AwsAccountId: must be a 12-digit AWS account id$/,
      ],
      [
        'a finding without an Id',
        makeSecurityHubEvent([makeFinding({}, { Id: undefined })]),
        'detail.findings[0].Id',
        /^detail\.findings\[0\]\.Id: is required/,
      ],
      [
        'a lacks-MFA finding without an AwsIamUser resource',
        makeSecurityHubEvent([
          makeFinding({ resources: [{ Type: 'AwsAccount', Id: 'AWS::::Account:111111111111' }] }),
        ]),
        'detail.findings[0].Resources',
        /^detail\.findings\[0\]\.Resources: no resource of Type AwsIamUser/,
      ],
      [
        'a user resource that is neither an ARN nor an id',
        makeFinding({ resources: [{ Type: 'AwsIamUser', Id: 'alice' }] }),
        'Resources[0].Id',
        /^Resources\[0\]\.Id: must be an IAM user ARN/,
      ],
      [
        'a user in another account than the finding',
        mismatched,
        'Resources[0].Id',
        /the user's account 222222222222 is not the finding's AwsAccountId/,
      ],
      [
        'too many findings',
        makeSecurityHubEvent(tooMany),
        'detail.findings',
        /^detail\.findings: 101 findings exceed the limit of 100 per message/,
      ],
      [
        'no findings',
        makeSecurityHubEvent([]),
        'detail.findings',
        /^detail\.findings: must contain at least one finding$/,
      ],
      [
        'findings that are not an array',
        { findings: { Id: 'x' } },
        'findings',
        /^findings: must be an array of ASFF findings$/,
      ],
      [
        'an unsupported Security Hub event',
        { ...makeSecurityHubEvent([makeFinding()]), 'detail-type': 'Security Hub Insight Results' },
        'detail-type',
        /unsupported Security Hub event/,
      ],
      [
        'an unsupported EventBridge source',
        { ...makeConfigEvent(), source: 'aws.guardduty' },
        'source',
        /^source: unsupported EventBridge source aws\.guardduty/,
      ],
      [
        'a Config event with a user name for an id',
        makeConfigEvent({ resourceId: 'alice' }),
        'detail.resourceId',
        /^detail\.resourceId: must be an IAM user's unique id/,
      ],
      [
        'a Config event with a bad account id',
        makeConfigEvent({ accountId: '42' }),
        'detail.awsAccountId',
        /^detail\.awsAccountId: must be a 12-digit AWS account id$/,
      ],
      [
        'a Config event with an unknown compliance type',
        makeConfigEvent({ complianceType: 'MAYBE' }),
        'detail.newEvaluationResult.complianceType',
        /must be one of COMPLIANT/,
      ],
      [
        'an SNS envelope whose Message is not JSON',
        wrapInSns('not json'),
        'Message',
        /^Message is not valid JSON: Unexpected token/,
      ],
      [
        'SNS envelopes nested three deep',
        wrapInSns(wrapInSns(wrapInSns(makeTask('verify')))),
        'Message.Message.Message',
        /nested more than 2 deep/,
      ],
      [
        'a rejection inside an SNS envelope',
        wrapInSns(makeTask('verify', { userName: '' })),
        'Message.userName',
        /^Message\.userName: must be 1-64/,
      ],
      [
        'an unknown task type inside an SNS envelope',
        wrapInSns(makeTask('enrol')),
        'Message.type',
        /^Message\.type: unknown task type "enrol"/,
      ],
      [
        'an SNS envelope whose Message is an object',
        { Type: 'Notification', Message: makeTask('verify') },
        'Message',
        /^Message: must be a string holding the JSON payload/,
      ],
      [
        'an SNS subscription confirmation',
        { ...wrapInSns('x'), Type: 'SubscriptionConfirmation' },
        'Type',
        /SubscriptionConfirmation carries no message/,
      ],
    ])('rejects %s', (_name, body, field, reason) => {
      const terminal = onlyTerminal(body);

      expect(terminal).toMatchObject({ outcome: 'rejected', field });
      expect(terminal.reason).toMatch(reason);
      expect(terminal.trigger.messageId).toBe(MESSAGE_ID);
    });

    it('names the account and user of a rejected task when they are valid', () => {
      const terminal = onlyTerminal(makeTask('enrollment-codes', { code2: 'nope' }));

      expect(terminal).toMatchObject({
        accountId: FINDING_ACCOUNT,
        userName: 'alice',
        trigger: { source: 'enrollment', requestId: 'req-1' },
      });
    });

    it('names the finding a rejection is about', () => {
      const finding = makeFinding({ userName: 'bad name!' });

      expect(onlyTerminal(finding).trigger).toEqual({
        source: 'security-hub',
        findingId: finding.Id,
        controlId: 'IAM.5',
        messageId: MESSAGE_ID,
      });
    });
  });

  describe('secrets', () => {
    const codes = ['987650', '13572468', '24680x', 'abcdef'];
    it.each([
      ['a bad code1', makeTask('enrollment-codes', { code1: '13572468', code2: '987650' })],
      ['a bad code2', makeTask('resync-codes', { code1: '987650', code2: '24680x' })],
      [
        'a bad serial next to good codes',
        makeTask('enrollment-codes', { code1: '987650', code2: 'abcdef', serialNumber: 'x' }),
      ],
      ['an unknown field next to codes', makeTask('enrollment-codes', { code1: '987650', extra: '987650' })],
      ['a disallowed account', makeTask('enrollment-codes', { accountId: OTHER_ACCOUNT, code1: '987650' })],
      ['an unknown type carrying codes', makeTask('enrolment-codes', { code1: '987650', code2: '24680x' })],
      ['broken JSON around codes', `{"type":"enrollment-codes","code1":"987650","code2":"24680x", oops}`],
      ['broken JSON right after a code', `{"code1":"987650"`],
      ['broken JSON in an SNS envelope', wrapInSns(`{"type":"resync-codes","code1":"987650"`)],
    ])('never puts authentication codes in a rejection: %s', (_name, body) => {
      const items = parse(body, { allowedAccounts: [FINDING_ACCOUNT] });

      const text = JSON.stringify(terminals(items));
      for (const code of codes) expect(text).not.toContain(code);
    });

    it('never echoes the raw body in a reason', () => {
      const body =
        '{"type": "verify", "accountId": "111111111111", "userName": "x" "trailing": "SECRETVALUE"}';

      const terminal = onlyTerminal(body);

      expect(terminal.reason).not.toContain('SECRETVALUE');
      expect(terminal.reason).not.toContain('userName');
    });
  });

  describe('allowed accounts', () => {
    const allowed = { allowedAccounts: [FINDING_ACCOUNT] };
    it.each([
      ['a finding', makeFinding({ accountId: OTHER_ACCOUNT })],
      ['an ignored finding', makeFinding({ accountId: OTHER_ACCOUNT, complianceStatus: 'PASSED' })],
      ['a root MFA finding', makeFinding({ accountId: OTHER_ACCOUNT, controlId: 'IAM.9' })],
      ['a Config event', makeConfigEvent({ accountId: OTHER_ACCOUNT })],
      [
        'an ignored Config event',
        makeConfigEvent({ accountId: OTHER_ACCOUNT, complianceType: 'NOT_APPLICABLE' }),
      ],
      ['a task', makeTask('enrollment-codes', { accountId: OTHER_ACCOUNT })],
      ['a sweep', makeTask('sweep-account', { accountId: OTHER_ACCOUNT })],
      [
        'an SNS-wrapped finding',
        wrapInSns(makeSecurityHubEvent([makeFinding({ accountId: OTHER_ACCOUNT })])),
      ],
    ])('rejects %s for an account not allowed', (_name, body) => {
      const terminal = onlyTerminal(body, allowed);

      expect(terminal).toMatchObject({
        outcome: 'rejected',
        reason: `account-not-allowed: ${OTHER_ACCOUNT} is not in ALLOWED_ACCOUNTS`,
        field: 'accountId',
        accountId: OTHER_ACCOUNT,
      });
      expect(terminal.trigger.messageId).toBe(MESSAGE_ID);
    });

    it('keeps the other findings of the event', () => {
      const event = makeSecurityHubEvent([makeFinding({ accountId: OTHER_ACCOUNT }), makeFinding()]);

      expect(parse(event, allowed).map(summary)).toEqual(['rejected', 'mfa-missing alice console-users']);
    });

    it.each([[[FINDING_ACCOUNT, OTHER_ACCOUNT]], ['*' as const], [['*']]])('allows %o', (allowedAccounts) => {
      expect(onlyWork(makeFinding({ accountId: OTHER_ACCOUNT }), { allowedAccounts }).accountId).toBe(
        OTHER_ACCOUNT,
      );
    });

    it('leaves a rejection as it is', () => {
      const terminal = onlyTerminal(makeTask('verify', { accountId: OTHER_ACCOUNT, userName: '' }), allowed);

      expect(terminal.field).toBe('userName');
    });
  });

  describe('message id', () => {
    it('is copied into every trigger', () => {
      const event = makeSecurityHubEvent([
        makeFinding(),
        makeFinding({ controlId: 'IAM.9' }),
        makeFinding({ complianceStatus: 'PASSED' }),
        makeFinding({}, { AwsAccountId: 'x' }),
      ]);

      const items = parse(wrapInSns(event));

      const triggers = items.map((item) =>
        item.kind === 'work' ? item.work.trigger : item.terminal.trigger,
      );
      expect(triggers).toHaveLength(4);
      for (const trigger of triggers) expect(trigger.messageId).toBe(MESSAGE_ID);
    });

    it('is left out when not given', () => {
      const items = parseMessage(toBody(makeFinding()), { allowedAccounts: '*' });

      expect(works(items)[0]?.trigger).not.toHaveProperty('messageId');
    });
  });

  describe('fixtures (recorded shapes of real events)', () => {
    const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

    it('Security Hub Findings - Imported, consolidated IAM.5, user with a path', () => {
      const work = onlyWork(fixture('securityhub-imported-iam5.json'));

      expect(work).toMatchObject({
        type: 'mfa-missing',
        accountId: '222222222222',
        userName: 'carol',
        userArn: 'arn:aws:iam::222222222222:user/engineering/carol',
        scope: 'console-users',
        trigger: { source: 'security-hub', controlId: 'IAM.5' },
      });
    });

    it('Security Hub Findings - Custom Action, CIS v1.2.0 rule 1.2, already NOTIFIED', () => {
      const work = onlyWork(fixture('securityhub-custom-action-cis-1.2.0.json'));

      expect(work).toMatchObject({
        userName: 'dave.oneil',
        region: 'eu-west-1',
        forced: true,
        finding: { controlId: 'IAM.5', workflowStatus: 'NOTIFIED' },
      });
    });

    it('GetFindings output with a root MFA finding and a CIS v5.0.0 finding', () => {
      const items = parse(fixture('securityhub-get-findings-output.json'));

      expect(items.map(summary)).toEqual(['manual-action-required', 'mfa-missing erin console-users']);
    });

    it('Config Rules Compliance Change for iam-user-mfa-enabled', () => {
      const work = onlyWork(fixture('config-compliance-change-noncompliant.json'));

      expect(work).toMatchObject({
        userId: 'AIDAQBSTEXAMPLE7CAROL',
        scope: 'all-users',
        trigger: { configRuleName: 'iam-user-mfa-enabled' },
      });
    });

    it('the same Config event delivered through SNS', () => {
      const work = onlyWork(wrapInSns(fixture('config-compliance-change-noncompliant.json')));

      expect(work.userId).toBe('AIDAQBSTEXAMPLE7CAROL');
    });
  });

  describe('robustness', () => {
    it('never throws and always yields an item, for any text', () => {
      fc.assert(
        fc.property(fc.string(), (body) => {
          expect(parseMessage(body, { allowedAccounts: [FINDING_ACCOUNT] }).length).toBeGreaterThan(0);
        }),
      );
    });

    it('never throws and always yields an item, for any JSON', () => {
      fc.assert(
        fc.property(fc.json(), (body) => {
          expect(parseMessage(body, { allowedAccounts: [FINDING_ACCOUNT] }).length).toBeGreaterThan(0);
        }),
      );
    });

    it('never throws for mangled findings', () => {
      const keys = [
        'Id',
        'AwsAccountId',
        'Resources',
        'Compliance',
        'Workflow',
        'ProductFields',
        'GeneratorId',
      ];
      fc.assert(
        fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
          const event = makeSecurityHubEvent([makeFinding({}, { [key]: value }), makeFinding()]);
          expect(parse(event)).toHaveLength(2);
        }),
      );
    });

    it('reads a user ARN in the user helper format', () => {
      expect(userArn('alice', '123456789012', '/a/b/')).toBe('arn:aws:iam::123456789012:user/a/b/alice');
    });
  });
});
