/**
 * Intake of AWS Security Hub's OCSF findings (docs/reference.md: Messages, item 7): "Findings Imported V2"
 * events, bare findings and `{findings}` lists, SNS-wrapped — every control, status and rejection, as
 * intake.test.ts does for ASFF.
 *
 * Fixtures: `securityhub-v2-imported-iam5.json` is the event envelope of AWS's "EventBridge event formats"
 * page of the Security Hub user guide (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html),
 * verbatim but for the `<finding content>` it leaves open, filled with the attributes of an OCSF Compliance
 * Finding that "OCSF findings in Security Hub" and the BatchUpdateFindingsV2 / GetFindingsV2 references name
 * (`metadata.uid`, `finding_info.uid`, `metadata.product.uid`, `cloud.account.uid`, `compliance.control`,
 * `status_id`); `securityhub-v2-get-findings-output.json` is a GetFindingsV2 answer (`Findings`) with a root
 * MFA finding and a standard-specific CIS v1.4.0 1.10 finding.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IntakeOptions, parseMessage } from '../../src/core/intake.ts';
import type { IntakeItem, TerminalItem, WorkItem } from '../../src/core/model.ts';
import { FINDING_ACCOUNT, makeFinding, toBody, wrapInSns } from '../../src/local/findings.ts';
import { makeOcsfEvent, makeOcsfFinding, makeOcsfUserResource } from '../../src/local/findings-ocsf.ts';

const MESSAGE_ID = '0c7f0f4e-0000-4000-8000-00000000c0de';
const OTHER_ACCOUNT = '999999999999';

function parse(value: unknown, options: Partial<IntakeOptions> = {}): IntakeItem[] {
  return parseMessage(toBody(value), { allowedAccounts: '*', messageId: MESSAGE_ID, ...options });
}

function only(value: unknown, options: Partial<IntakeOptions> = {}): IntakeItem {
  const items = parse(value, options);
  expect(items).toHaveLength(1);
  return items[0] as IntakeItem;
}

function onlyWork(value: unknown): WorkItem {
  const item = only(value);
  if (item.kind !== 'work') throw new Error(`expected work, got ${JSON.stringify(item)}`);
  return item.work;
}

function onlyTerminal(value: unknown, options: Partial<IntakeOptions> = {}): TerminalItem {
  const item = only(value, options);
  if (item.kind !== 'terminal') throw new Error(`expected a terminal item, got ${JSON.stringify(item)}`);
  return item.terminal;
}

function summary(item: IntakeItem): string {
  if (item.kind === 'terminal') return `${item.terminal.outcome} ${item.terminal.trigger.source}`;
  const w = item.work;
  return [w.type, w.userName ?? w.userId, w.scope, w.trigger.source].filter(Boolean).join(' ');
}

const uidOf = (finding: Record<string, unknown>) => (finding.metadata as { uid: string }).uid;

describe('parseMessage: Security Hub OCSF findings', () => {
  describe('message shapes', () => {
    const SHAPES: readonly [string, unknown, readonly string[]][] = [
      [
        'Findings Imported V2 (one finding, as AWS sends)',
        makeOcsfEvent([makeOcsfFinding()]),
        ['mfa-missing alice console-users security-hub-v2'],
      ],
      [
        'Findings Imported V2 with several findings',
        makeOcsfEvent([
          makeOcsfFinding({ userName: 'alice' }),
          makeOcsfFinding({ userName: 'bob', controlId: 'IAM.19' }),
          makeOcsfFinding({ userName: 'carol', controlId: 'IAM.8' }),
        ]),
        [
          'mfa-missing alice console-users security-hub-v2',
          'mfa-missing bob all-users security-hub-v2',
          'ignored security-hub-v2',
        ],
      ],
      [
        'a bare OCSF finding',
        makeOcsfFinding({ controlId: 'IAM.19' }),
        ['mfa-missing alice all-users security-hub-v2'],
      ],
      [
        '{ findings: [...] } of OCSF findings',
        { findings: [makeOcsfFinding(), makeOcsfFinding({ userName: 'bob' })] },
        ['mfa-missing alice console-users security-hub-v2', 'mfa-missing bob console-users security-hub-v2'],
      ],
      [
        '{ Findings: [...] } (GetFindingsV2 output) mixing OCSF and ASFF',
        { Findings: [makeOcsfFinding(), makeFinding({ userName: 'bob' })] },
        ['mfa-missing alice console-users security-hub-v2', 'mfa-missing bob console-users security-hub'],
      ],
    ];

    it.each(SHAPES)('%s', (_name, payload, expected) => {
      expect(parse(payload).map(summary)).toEqual(expected);
    });

    it.each(SHAPES)('%s, in an SNS envelope', (_name, payload, expected) => {
      expect(parse(wrapInSns(payload)).map(summary)).toEqual(expected);
    });

    it('reads the findings of an ASFF event as ASFF, whatever they look like', () => {
      const event = makeOcsfEvent([makeOcsfFinding()]);
      const asffEvent = { ...event, 'detail-type': 'Security Hub Findings - Imported' };

      const terminal = onlyTerminal(asffEvent);

      expect(terminal).toMatchObject({ outcome: 'rejected', trigger: { source: 'security-hub' } });
      expect(terminal.field).toMatch(/^detail\.findings\[0\]\./);
    });
  });

  describe('the work item', () => {
    it('carries the user, the OCSF identity of the finding and a security-hub-v2 trigger', () => {
      // Prepare
      const finding = makeOcsfFinding({ accountId: '222222222222', region: 'eu-west-1', userName: 'alice' });

      // Act
      const work = onlyWork(makeOcsfEvent([finding]));

      // Assess
      expect(work).toEqual({
        type: 'mfa-missing',
        accountId: '222222222222',
        region: 'eu-west-1',
        userName: 'alice',
        userArn: 'arn:aws:iam::222222222222:user/alice',
        trigger: {
          source: 'security-hub-v2',
          findingId: uidOf(finding),
          controlId: 'IAM.5',
          messageId: MESSAGE_ID,
        },
        finding: {
          generation: 'ocsf',
          id: uidOf(finding),
          productArn: 'arn:aws:securityhub:eu-west-1::productv2/aws/securityhub',
          controlId: 'IAM.5',
          region: 'eu-west-1',
          workflowStatus: 'NEW',
        },
        scope: 'console-users',
        // Where the finding sits in the event: the unfinished part of a record can be sent on.
        findingIndex: 0,
        detectedAt: '2026-11-20T08:00:00.000Z',
      });
    });

    it.each([
      ['AWS::IAM::User', {}],
      ['AwsIamUser', { resourceType: 'AwsIamUser' }],
    ])('finds the user in a resource of type %s', (_type, options) => {
      expect(onlyWork(makeOcsfFinding({ userName: 'dora', ...options })).userName).toBe('dora');
    });

    it('takes the name from the ARN, path and all, when the resource has no name', () => {
      const resource = { ...makeOcsfUserResource('alice', { path: '/dept/eng/' }), name: undefined };

      const work = onlyWork(makeOcsfFinding({ resources: [resource] }));

      expect(work).toMatchObject({
        userName: 'alice',
        userArn: 'arn:aws:iam::111111111111:user/dept/eng/alice',
      });
    });

    it('reads the ARN from uid_alt when uid is the name', () => {
      const resource = {
        type: 'AWS::IAM::User',
        uid: 'alice',
        uid_alt: 'arn:aws:iam::111111111111:user/alice',
      };

      const work = onlyWork(makeOcsfFinding({ resources: [resource] }));

      expect(work).toMatchObject({ userName: 'alice', userArn: 'arn:aws:iam::111111111111:user/alice' });
    });

    it('keeps a user id when the resource names the user by id only', () => {
      const work = onlyWork(
        makeOcsfFinding({ resources: [{ type: 'AWS::IAM::User', uid: 'AIDAQXAMPLEUSER000042' }] }),
      );

      expect(work).toMatchObject({ userId: 'AIDAQXAMPLEUSER000042', accountId: FINDING_ACCOUNT });
      expect(work.userName).toBeUndefined();
    });

    it('uses the first IAM user resource', () => {
      const resources = [
        { type: 'AwsAccount', uid: `AWS::::Account:${FINDING_ACCOUNT}` },
        makeOcsfUserResource('first'),
        makeOcsfUserResource('second'),
      ];

      expect(onlyWork(makeOcsfFinding({ resources })).userName).toBe('first');
    });

    it('takes the region from the resource when cloud.region is absent', () => {
      const finding = makeOcsfFinding({ region: 'ap-southeast-2' });
      (finding.cloud as Record<string, unknown>).region = undefined;

      expect(onlyWork(finding).region).toBe('ap-southeast-2');
    });

    it.each([
      [1, 'NEW'],
      [2, 'NOTIFIED'],
      [0, 'NEW'],
      [99, 'NEW'],
    ])('acts on status_id %i (workflow %s)', (statusId, workflow) => {
      expect(onlyWork(makeOcsfFinding({ statusId })).finding?.workflowStatus).toBe(workflow);
    });

    it('reads the status captions when the ids are absent', () => {
      const finding = makeOcsfFinding({}, { status_id: undefined, status: 'In Progress' });
      (finding.compliance as Record<string, unknown>).status_id = undefined;

      expect(onlyWork(finding).finding?.workflowStatus).toBe('NOTIFIED');
    });
  });

  describe('controls', () => {
    it.each([
      ['IAM.5', { controlId: 'IAM.5' }, 'console-users'],
      ['IAM.19', { controlId: 'IAM.19' }, 'all-users'],
      [
        'FSBP IAM.5 (standard-specific)',
        { standardControl: 'aws-foundational-security-best-practices/v/1.0.0/IAM.5' },
        'console-users',
      ],
      [
        'FSBP IAM.19 (standard-specific)',
        { standardControl: 'aws-foundational-security-best-practices/v/1.0.0/IAM.19' },
        'all-users',
      ],
      ['CIS v1.2.0 1.2', { standardControl: 'cis-aws-foundations-benchmark/v/1.2.0/1.2' }, 'console-users'],
      ['CIS v1.4.0 1.10', { standardControl: 'cis-aws-foundations-benchmark/v/1.4.0/1.10' }, 'console-users'],
      ['CIS v3.0.0 1.10', { standardControl: 'cis-aws-foundations-benchmark/v/3.0.0/1.10' }, 'console-users'],
      ['CIS v5.0.0 1.9', { standardControl: 'cis-aws-foundations-benchmark/v/5.0.0/1.9' }, 'console-users'],
    ])('%s → lacks MFA', (_name, options, scope) => {
      const work = onlyWork(makeOcsfFinding(options));

      expect(work).toMatchObject({
        scope,
        trigger: { controlId: scope === 'all-users' ? 'IAM.19' : 'IAM.5' },
      });
    });

    it('reads a CIS number in compliance.control with the CIS standard in compliance.standards', () => {
      const finding = makeOcsfFinding({ standardControl: 'cis-aws-foundations-benchmark/v/5.0.0/1.9' });
      (finding.finding_info as Record<string, unknown>).uid =
        'arn:aws:securityhub:us-east-1:111111111111:finding/opaque';

      expect(onlyWork(finding).trigger.controlId).toBe('IAM.5');
    });

    it.each([
      ['IAM.6', { controlId: 'IAM.6' }],
      ['IAM.9', { controlId: 'IAM.9' }],
      ['CIS v1.4.0 1.6', { standardControl: 'cis-aws-foundations-benchmark/v/1.4.0/1.6' }],
      ['CIS v5.0.0 1.4', { standardControl: 'cis-aws-foundations-benchmark/v/5.0.0/1.4' }],
    ])('asks a person to act on root MFA: %s', (_name, options) => {
      const resources = [{ type: 'AwsAccount', uid: `AWS::::Account:${FINDING_ACCOUNT}` }];

      const terminal = onlyTerminal(makeOcsfFinding({ ...options, resources }));

      expect(terminal).toMatchObject({
        outcome: 'manual-action-required',
        trigger: { source: 'security-hub-v2' },
      });
      expect(terminal.reason).toMatch(/root user/);
      expect(terminal.trigger.controlId).toMatch(/^IAM\.(6|9)$/);
    });
  });

  describe('findings that ask for nothing', () => {
    it.each([
      ['Pass', { complianceStatusId: 1 }, {}, /^compliance\.status_id is 1 \(Pass\), not 3 \(Fail\)$/],
      ['Warning', { complianceStatusId: 2 }, {}, /compliance\.status_id is 2 \(Warning\)/],
      ['Unknown', { complianceStatusId: 0 }, {}, /compliance\.status_id is 0 \(Unknown\)/],
      ['no compliance result', {}, { compliance: { control: 'IAM.5' } }, /no compliance\.status_id/],
      ['Suppressed', { statusId: 3 }, {}, /suppressed \(status_id 3, Suppressed\)/],
      ['Resolved although still failing', { statusId: 4 }, {}, /status_id is 4 \(Resolved\)/],
      ['Archived', { statusId: 5 }, {}, /closed/],
      ['closed (activity_id 3)', { activityId: 3 }, {}, /closed/],
      ['another control', { controlId: 'IAM.8' }, {}, /^control IAM\.8 is not an MFA control$/],
      [
        'a CIS recommendation that is not MFA',
        { standardControl: 'cis-aws-foundations-benchmark/v/3.0.0/1.12' },
        {},
        /^control CIS v3\.0\.0\/1\.12 is not an MFA control$/,
      ],
      [
        'no control at all',
        {},
        {
          compliance: { status_id: 3 },
          finding_info: { uid: 'arn:aws:securityhub:us-east-1:111111111111:finding/x' },
        },
        /names no Security Hub control/,
      ],
      [
        'another OCSF class (Detection Finding)',
        {},
        { class_uid: 2004, compliance: undefined },
        /class_uid 2004 is not a Compliance Finding/,
      ],
      [
        'another product, whatever control it claims',
        {},
        {
          metadata: {
            uid: 'm-1',
            product: {
              uid: `arn:aws:securityhub:us-east-1:${FINDING_ACCOUNT}:product/${FINDING_ACCOUNT}/default`,
            },
          },
        },
        /not from a Security Hub control/,
      ],
      [
        "Security Hub CSPM's ASFF product ARN (OCSF findings carry productv2)",
        {},
        {
          metadata: {
            uid: 'm-1',
            product: { uid: 'arn:aws:securityhub:us-east-1::product/aws/securityhub' },
          },
        },
        /not from a Security Hub control/,
      ],
      [
        "Security Hub's exposure findings (another of its products)",
        {},
        {
          metadata: {
            uid: 'm-1',
            product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub-risk' },
          },
        },
        /not from a Security Hub control/,
      ],
    ])('ignores %s', (_name, options, overrides, reason) => {
      const terminal = onlyTerminal(makeOcsfEvent([makeOcsfFinding(options, overrides)]));

      expect(terminal).toMatchObject({
        outcome: 'ignored',
        accountId: FINDING_ACCOUNT,
        trigger: { source: 'security-hub-v2', messageId: MESSAGE_ID },
      });
      expect(terminal.reason).toMatch(reason);
    });
  });

  describe('rejections', () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => makeOcsfFinding({ userName: `user${i}` }));
    const event = (finding: unknown) => makeOcsfEvent([finding]);
    const withResource = (resource: Record<string, unknown>) => makeOcsfFinding({ resources: [resource] });
    it.each([
      [
        'no findings',
        makeOcsfEvent([]),
        'detail.findings',
        /^detail\.findings: must contain at least one finding$/,
      ],
      [
        'too many findings',
        makeOcsfEvent(tooMany),
        'detail.findings',
        /^detail\.findings: 101 findings exceed the limit of 100/,
      ],
      [
        'findings that are not an array',
        { ...makeOcsfEvent([]), detail: { findings: { uid: 'x' } } },
        'detail.findings',
        /^detail\.findings: must be an array of OCSF findings$/,
      ],
      [
        'a finding that is not an object',
        makeOcsfEvent(['x']),
        'detail.findings[0]',
        /^detail\.findings\[0\]: /,
      ],
      [
        'a bad account id',
        event(makeOcsfFinding({}, { cloud: { account: { uid: 'abc' } } })),
        'detail.findings[0].cloud.account.uid',
        /^detail\.findings\[0\]\.cloud\.account\.uid: must be a 12-digit AWS account id$/,
      ],
      [
        'no metadata.uid',
        event(
          makeOcsfFinding(
            {},
            { metadata: { product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' } } },
          ),
        ),
        'detail.findings[0].metadata.uid',
        /^detail\.findings\[0\]\.metadata\.uid: is required/,
      ],
      [
        'a metadata.uid longer than 512 characters',
        event(
          makeOcsfFinding(
            {},
            {
              metadata: {
                uid: 'u'.repeat(513),
                product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' },
              },
            },
          ),
        ),
        'detail.findings[0].metadata.uid',
        /at most 512 characters/,
      ],
      [
        'a blank finding_info.uid',
        event(makeOcsfFinding({}, { finding_info: { uid: '   ' } })),
        'detail.findings[0].finding_info.uid',
        /must not be blank/,
      ],
      [
        'no metadata.product.uid',
        event(makeOcsfFinding({}, { metadata: { uid: 'm-1', product: {} } })),
        'detail.findings[0].metadata.product.uid',
        /is required/,
      ],
      [
        'a class_uid that is not a number',
        event(makeOcsfFinding({}, { class_uid: '2003' })),
        'detail.findings[0].class_uid',
        /must be a number/,
      ],
      [
        'a region that is not a region',
        event(
          makeOcsfFinding({}, { cloud: { account: { uid: FINDING_ACCOUNT }, region: 'evil.example.com/x' } }),
        ),
        'detail.findings[0].cloud.region',
        /must be an AWS region name/,
      ],
      [
        'more than 32 resources',
        event(makeOcsfFinding({ resources: Array.from({ length: 33 }, () => makeOcsfUserResource()) })),
        'detail.findings[0].resources',
        /at most 32 resources/,
      ],
      [
        'an MFA finding without an IAM user resource',
        event(makeOcsfFinding({ resources: [{ type: 'AwsAccount', uid: 'AWS::::Account:111111111111' }] })),
        'detail.findings[0].resources',
        /no resource of type AwsIamUser or AWS::IAM::User/,
      ],
      [
        'a user resource that is neither an ARN, an id nor named',
        withResource({ type: 'AWS::IAM::User', uid: 'not-an-arn' }),
        'resources[0].uid',
        /^resources\[0\]\.uid: must be an IAM user ARN/,
      ],
      [
        'a bad user name',
        withResource({ ...makeOcsfUserResource('alice'), name: 'bad name!' }),
        'resources[0].name',
        /^resources\[0\]\.name: must be 1-64 characters/,
      ],
      [
        'a user in another account than the finding',
        withResource({ ...makeOcsfUserResource('alice', { accountId: '222222222222' }), owner: undefined }),
        'resources[0].uid',
        /the user's account 222222222222 is not the finding's cloud\.account\.uid/,
      ],
      [
        'a resource owned by another account',
        withResource({ ...makeOcsfUserResource('alice'), owner: { account: { uid: '222222222222' } } }),
        'resources[0].owner.account.uid',
        /owner account is not the finding's cloud\.account\.uid/,
      ],
      [
        'a name that contradicts the ARN',
        withResource({ ...makeOcsfUserResource('alice'), name: 'mallory' }),
        'resources[0].name',
        /does not match the user name at the end of resources\[0\]\.uid/,
      ],
    ])('rejects %s', (_name, body, field, reason) => {
      const terminal = onlyTerminal(body);

      expect(terminal).toMatchObject({ outcome: 'rejected', field, trigger: { source: 'security-hub-v2' } });
      expect(terminal.reason).toMatch(reason);
      expect(terminal.trigger.messageId).toBe(MESSAGE_ID);
    });

    it('names the finding a rejection is about, and keeps its neighbours', () => {
      const bad = makeOcsfFinding({ userName: 'bob' }, { cloud: { account: { uid: '12345' } } });

      const items = parse(makeOcsfEvent([makeOcsfFinding(), bad, makeOcsfFinding({ userName: 'carol' })]));

      expect(items.map(summary)).toEqual([
        'mfa-missing alice console-users security-hub-v2',
        'rejected security-hub-v2',
        'mfa-missing carol console-users security-hub-v2',
      ]);
      expect(items[1]).toMatchObject({ terminal: { trigger: { findingId: uidOf(bad) } } });
    });

    it('rejects a finding for an account that is not allowed', () => {
      const terminal = onlyTerminal(makeOcsfEvent([makeOcsfFinding({ accountId: OTHER_ACCOUNT })]), {
        allowedAccounts: [FINDING_ACCOUNT],
      });

      expect(terminal).toMatchObject({
        outcome: 'rejected',
        reason: `account-not-allowed: ${OTHER_ACCOUNT} is not in ALLOWED_ACCOUNTS`,
        trigger: { source: 'security-hub-v2' },
      });
    });

    it('names Findings Imported V2 among the Security Hub events it expects', () => {
      const terminal = onlyTerminal({
        ...makeOcsfEvent([makeOcsfFinding()]),
        'detail-type': 'Findings Imported V3',
      });

      expect(terminal.reason).toMatch(/expected .*"Findings Imported V2"/);
    });
  });

  describe('fixtures', () => {
    const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

    it("AWS's Findings Imported V2 event with a consolidated IAM.5 finding, user with a path", () => {
      const work = onlyWork(fixture('securityhub-v2-imported-iam5.json'));

      expect(work).toMatchObject({
        accountId: '111122223333',
        region: 'us-west-2',
        userName: 'carol',
        userArn: 'arn:aws:iam::111122223333:user/engineering/carol',
        trigger: {
          source: 'security-hub-v2',
          findingId: 'e51603d1054aad9d9f498d82d6e81acf4cf6bc88140e8ad2273123c73b81084',
          controlId: 'IAM.5',
        },
        finding: { generation: 'ocsf', workflowStatus: 'NEW' },
      });
    });

    it('GetFindingsV2 output with a root MFA finding and a CIS v1.4.0 1.10 finding', () => {
      const items = parse(fixture('securityhub-v2-get-findings-output.json'));

      expect(items.map(summary)).toEqual([
        'manual-action-required security-hub-v2',
        'mfa-missing erin console-users security-hub-v2',
      ]);
    });
  });

  describe('robustness', () => {
    it('never throws for mangled OCSF findings, and names V2 in every trigger', () => {
      fc.assert(
        fc.property(
          fc.anything(),
          fc.constantFrom('compliance', 'resources', 'cloud', 'metadata', 'status_id'),
          (junk, key) => {
            const finding = { ...makeOcsfFinding(), [key]: junk };
            const items = parse(makeOcsfEvent([finding]));
            expect(items).toHaveLength(1);
            const trigger = items[0]?.kind === 'work' ? items[0].work.trigger : items[0]?.terminal.trigger;
            expect(trigger?.source).toBe('security-hub-v2');
          },
        ),
      );
    });
  });
});
