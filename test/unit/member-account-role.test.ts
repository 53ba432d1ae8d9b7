/**
 * `deploy/member-account-role.yml`, the StackSets template for member accounts: who may assume the role,
 * what it may do (exactly the worker's shared per-account permissions), and the guard policy it creates.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GUARD_POLICY_CLOUDFORMATION } from '../../scripts/render-policies.ts';
import { NAMES } from '../../src/core/model.ts';
import { createEvaluator, parseCloudFormationYaml, type Template } from '../../src/local/cloudformation.ts';
import {
  ACCOUNT_POLICY,
  ESCALATION_CONSOLE_POLICY,
  ESCALATION_KEYS_POLICY,
  ESCROW_KMS_POLICY,
} from '../../src/policies/worker-permissions.ts';

const TEMPLATE_PATH = new URL('../../deploy/member-account-role.yml', import.meta.url);
const WORKER_ROLE_ARN = 'arn:aws:iam::999999999999:role/mfa-remediation-prod-us-east-1-worker';
const REQUIRED = { WorkerRoleArn: WORKER_ROLE_ARN, ExternalId: 'org-mfa-remediation' };

const template: Template = parseCloudFormationYaml(readFileSync(TEMPLATE_PATH, 'utf8'));

function deploy(parameters: Record<string, string> = {}) {
  const evaluator = createEvaluator(template, {
    accountId: '222222222222',
    parameters: { ...REQUIRED, ...parameters },
  });
  const resources = evaluator.resources();
  const role = resources.MemberRole?.Properties as {
    RoleName: string;
    AssumeRolePolicyDocument: { Statement: Array<Record<string, unknown>> };
    Policies: Array<{ PolicyName: string; PolicyDocument: unknown }>;
  };
  return { evaluator, resources, role };
}

describe('member-account-role.yml', () => {
  it('declares the parameters the central stack must match, with the reference defaults', () => {
    // Assess
    expect(Object.keys(template.Parameters ?? {}).sort()).toEqual([
      'Escalation',
      'EscrowKmsKeyArn',
      'ExternalId',
      'MemberRoleName',
      'WorkerRoleArn',
    ]);
    expect(template.Parameters?.MemberRoleName?.Default).toBe(NAMES.memberRoleName);
    expect(template.Parameters?.Escalation?.AllowedValues).toEqual([
      'none',
      'disable-console',
      'disable-console-and-keys',
    ]);
    expect(template.Parameters?.WorkerRoleArn?.Default).toBeUndefined();
    expect(template.Parameters?.ExternalId?.Default).toBeUndefined();
  });

  it('is assumable only by the central worker role, and only with the external id', () => {
    // Act
    const { role } = deploy();
    // Assess
    expect(role.RoleName).toBe(NAMES.memberRoleName);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'CentralWorkerOnly',
        Effect: 'Allow',
        Principal: { AWS: WORKER_ROLE_ARN },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'org-mfa-remediation' } },
      },
    ]);
  });

  it('carries exactly the shared per-account permissions when escalation is off', () => {
    // Prepare
    const expected = createEvaluator(template, { accountId: '222222222222' }).evaluate(ACCOUNT_POLICY);
    // Act
    const { role } = deploy();
    // Assess
    expect(role.Policies).toEqual([{ PolicyName: 'mfa-remediation-account', PolicyDocument: expected }]);
  });

  it.each([
    ['none', []],
    ['disable-console', ['mfa-remediation-escalation-console']],
    ['disable-console-and-keys', ['mfa-remediation-escalation-console', 'mfa-remediation-escalation-keys']],
  ])('adds escalation permissions only as ESCALATION=%s needs them', (escalation, extra) => {
    // Act
    const { role } = deploy({ Escalation: escalation });
    // Assess
    expect(role.Policies.map((policy) => policy.PolicyName)).toEqual(['mfa-remediation-account', ...extra]);
    const actions = JSON.stringify(role.Policies);
    expect(actions.includes('iam:DeleteLoginProfile')).toBe(escalation !== 'none');
    expect(actions.includes('iam:UpdateAccessKey')).toBe(escalation === 'disable-console-and-keys');
  });

  it('embeds the shared documents unchanged (escalation, escrow key)', () => {
    // Prepare
    const keyArn = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { evaluator, role } = deploy({ Escalation: 'disable-console-and-keys', EscrowKmsKeyArn: keyArn });
    const byName = Object.fromEntries(
      role.Policies.map((policy) => [policy.PolicyName, policy.PolicyDocument]),
    );
    // Assess
    expect(byName['mfa-remediation-escalation-console']).toEqual(
      evaluator.evaluate(ESCALATION_CONSOLE_POLICY),
    );
    expect(byName['mfa-remediation-escalation-keys']).toEqual(evaluator.evaluate(ESCALATION_KEYS_POLICY));
    expect(byName['mfa-remediation-escrow-kms']).toEqual(evaluator.evaluate(ESCROW_KMS_POLICY));
    expect(JSON.stringify(byName['mfa-remediation-escrow-kms'])).toContain(keyArn);
  });

  it('creates the guard policy under the reference name and path, with the shared document', () => {
    // Act
    const { evaluator, resources } = deploy();
    const guard = resources.GuardPolicy;
    // Assess
    expect(guard?.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(guard?.Properties).toMatchObject({
      ManagedPolicyName: NAMES.guardPolicyName,
      Path: NAMES.guardPolicyPath,
      PolicyDocument: evaluator.evaluate(GUARD_POLICY_CLOUDFORMATION),
    });
    expect(template.Resources.GuardPolicy?.Properties?.PolicyDocument).toEqual(GUARD_POLICY_CLOUDFORMATION);
  });

  it('lets the role attach exactly the guard policy this template creates', () => {
    // Act
    const { role } = deploy();
    // Assess
    const text = JSON.stringify(role.Policies);
    expect(text).toContain(
      `"iam:PolicyARN":"arn:aws:iam::222222222222:policy${NAMES.guardPolicyPath}${NAMES.guardPolicyName}"`,
    );
  });
});
