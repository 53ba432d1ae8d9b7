/**
 * Attack: a principal of the stack's own account whose identity policy grants `sqs:SendMessage` (or
 * AdministratorAccess) injects task messages into the remediation queue — or into the dead-letter queue, to
 * be redriven later. Same-account access needs no Allow in the queue policy, so only an explicit Deny can
 * stop it.
 *
 * Decided by an IAM policy simulator over the queue policy of the packaged template (what `npm run package`
 * would deploy), with its intrinsics evaluated for concrete ARNs. The local cloud accepts any credentials and
 * does not evaluate queue policies (docs/local-cloud.md), so this attack cannot be shown against it; the
 * simulator is the strongest test available offline.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator, type Template } from '../../src/local/cloudformation.ts';
import { CENTRAL_POLICY, SWEEP_POLICY } from '../../src/policies/worker-permissions.ts';
import { loadPackagedTemplate } from '../helpers/packaged-template.ts';

const ACCOUNT = '111111111111';
const arn = {
  queue: `arn:aws:sqs:us-east-1:${ACCOUNT}:mfa-remediation-dev-remediation`,
  deadLetterQueue: `arn:aws:sqs:us-east-1:${ACCOUNT}:mfa-remediation-dev-dead-letter`,
  findingsRule: `arn:aws:events:us-east-1:${ACCOUNT}:rule/mfa-remediation-dev-findings`,
  findingsV2Rule: `arn:aws:events:us-east-1:${ACCOUNT}:rule/mfa-remediation-dev-findings-v2`,
  configRule: `arn:aws:events:us-east-1:${ACCOUNT}:rule/mfa-remediation-dev-config-compliance`,
  customActionRule: `arn:aws:events:us-east-1:${ACCOUNT}:rule/mfa-remediation-dev-custom-action`,
  workerRole: `arn:aws:iam::${ACCOUNT}:role/mfa-remediation-dev-us-east-1-worker`,
  sweepRole: `arn:aws:iam::${ACCOUNT}:role/mfa-remediation-dev-SweepRole-ABCDEF`,
  portal: `arn:aws:iam::${ACCOUNT}:role/mfa-portal`,
  chatOps: `arn:aws:iam::${ACCOUNT}:role/ops/chat-ops`,
  attacker: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`,
  admin: `arn:aws:iam::${ACCOUNT}:user/admin`,
};
const ATTRIBUTES = {
  'RemediationQueue.Arn': arn.queue,
  'DeadLetterQueue.Arn': arn.deadLetterQueue,
  'SecurityHubFindingsRule.Arn': arn.findingsRule,
  'SecurityHubV2FindingsRule.Arn': arn.findingsV2Rule,
  'ConfigComplianceRule.Arn': arn.configRule,
  'SecurityHubCustomActionRule.Arn': arn.customActionRule,
  'WorkerRole.Arn': arn.workerRole,
  'SweepRole.Arn': arn.sweepRole,
  'MessageKey.Arn': `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  'RemediateLogGroup.Arn': `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/remediate`,
  'SweepLogGroup.Arn': `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/sweep`,
};
const SEND_ANYWHERE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
};
const ADMINISTRATOR = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

let template: Template;
beforeAll(() => {
  template = loadPackagedTemplate();
}, 150_000);

/** The deployed queue policy and the stack's roles' identity policies, for these stack parameters. */
function stack(parameters: Record<string, string> = {}, conditions: Record<string, boolean> = {}) {
  const evaluator = createEvaluator(template, {
    accountId: ACCOUNT,
    parameters,
    conditions,
    attributes: ATTRIBUTES,
  });
  const resources = evaluator.resources();
  return {
    queuePolicy: resources.QueuePolicy?.Properties.PolicyDocument,
    worker: evaluator.evaluate(CENTRAL_POLICY),
    sweep: evaluator.evaluate(SWEEP_POLICY),
  };
}

interface Sender {
  readonly principal: string;
  readonly principalArn?: string;
  readonly identityPolicies?: readonly unknown[];
  readonly sourceArn?: string;
  readonly secureTransport?: boolean;
}

async function send(queuePolicy: unknown, queue: string, sender: Sender): Promise<string> {
  const response = await runSimulation(
    {
      request: {
        principal: sender.principal,
        action: 'sqs:SendMessage',
        resource: { resource: queue, accountId: ACCOUNT },
        contextVariables: {
          'aws:SecureTransport': String(sender.secureTransport ?? true),
          ...(sender.principalArn
            ? { 'aws:PrincipalArn': sender.principalArn, 'aws:PrincipalAccount': ACCOUNT }
            : {}),
          ...(sender.sourceArn ? { 'aws:SourceArn': sender.sourceArn, 'aws:SourceAccount': ACCOUNT } : {}),
        },
      },
      identityPolicies: (sender.identityPolicies ?? []).map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: queuePolicy,
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

const role = (roleArn: string, ...identityPolicies: unknown[]): Sender => ({
  // A session of the role: aws:PrincipalArn is the role's ARN whatever the session name.
  principal: roleArn
    .replace(':iam::', ':sts::')
    .replace(/:role\/(?:.*\/)?([^/]+)$/, ':assumed-role/$1/session'),
  principalArn: roleArn,
  identityPolicies,
});
const events = (sourceArn?: string): Sender => ({
  principal: 'events.amazonaws.com',
  ...(sourceArn ? { sourceArn } : {}),
});

describe('remediation queue policy: who can send', () => {
  it('denies a same-account role whose own policy allows sqs:SendMessage, and an administrator', async () => {
    const { queuePolicy } = stack();
    for (const queue of [arn.queue, arn.deadLetterQueue]) {
      expect(await send(queuePolicy, queue, role(arn.attacker, SEND_ANYWHERE))).toBe('ExplicitlyDenied');
      const admin = { principal: arn.admin, principalArn: arn.admin, identityPolicies: [ADMINISTRATOR] };
      expect(await send(queuePolicy, queue, admin)).toBe('ExplicitlyDenied');
    }
  });

  it('allows the stack’s Security Hub rule, and no other EventBridge rule or service', async () => {
    const { queuePolicy } = stack();
    expect(await send(queuePolicy, arn.queue, events(arn.findingsRule))).toBe('Allowed');
    expect(await send(queuePolicy, arn.deadLetterQueue, events(arn.findingsRule))).toBe('Allowed');
    const otherRule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/someone-elses`;
    expect(await send(queuePolicy, arn.queue, events(otherRule))).not.toBe('Allowed');
    expect(await send(queuePolicy, arn.queue, events())).not.toBe('Allowed');
    // The Config rule only exists, and is only trusted, when configRuleEnabled is on.
    expect(await send(queuePolicy, arn.queue, events(arn.configRule))).not.toBe('Allowed');
    const withConfig = stack({}, { ConfigRuleEnabled: true }).queuePolicy;
    expect(await send(withConfig, arn.queue, events(arn.configRule))).toBe('Allowed');
    const sns = { principal: 'sns.amazonaws.com', sourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:any` };
    expect(await send(queuePolicy, arn.queue, sns)).not.toBe('Allowed');
  });

  it('allows the stack’s Findings Imported V2 rule while it exists, and a stranger’s V2 rule never', async () => {
    // Prepare: the V2 rule is on by default (securityHubV2RuleEnabled), and can be turned off.
    const { queuePolicy } = stack();
    const withoutV2 = stack({ SecurityHubV2RuleEnabled: 'false' }).queuePolicy;
    const strangersV2Rule = `arn:aws:events:us-east-1:222222222222:rule/mfa-remediation-dev-findings-v2`;
    // Act / Assess
    expect(await send(queuePolicy, arn.queue, events(arn.findingsV2Rule))).toBe('Allowed');
    expect(await send(queuePolicy, arn.deadLetterQueue, events(arn.findingsV2Rule))).toBe('Allowed');
    expect(await send(queuePolicy, arn.queue, events(strangersV2Rule))).not.toBe('Allowed');
    expect(await send(queuePolicy, arn.deadLetterQueue, events(strangersV2Rule))).not.toBe('Allowed');
    expect(await send(withoutV2, arn.queue, events(arn.findingsV2Rule))).not.toBe('Allowed');
    expect(await send(withoutV2, arn.queue, events(arn.findingsRule))).toBe('Allowed');
  });

  it('allows the custom action’s rule only while customActionEnabled is on; outsiders stay denied', async () => {
    const off = stack().queuePolicy;
    const on = stack({ CustomActionEnabled: 'true' }).queuePolicy;
    expect(await send(off, arn.queue, events(arn.customActionRule))).not.toBe('Allowed');
    expect(await send(on, arn.queue, events(arn.customActionRule))).toBe('Allowed');
    expect(await send(on, arn.deadLetterQueue, events(arn.customActionRule))).toBe('Allowed');
    expect(await send(on, arn.queue, role(arn.attacker, SEND_ANYWHERE))).toBe('ExplicitlyDenied');
    const otherRule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/any-custom-action`;
    expect(await send(on, arn.queue, events(otherRule))).not.toBe('Allowed');
  });

  it('allows the stack’s own functions: the worker to both queues, the sweep to the queue only', async () => {
    const { queuePolicy, worker, sweep } = stack();
    expect(await send(queuePolicy, arn.queue, role(arn.workerRole, worker))).toBe('Allowed');
    expect(await send(queuePolicy, arn.deadLetterQueue, role(arn.workerRole, worker))).toBe('Allowed');
    expect(await send(queuePolicy, arn.queue, role(arn.sweepRole, sweep))).toBe('Allowed');
    // Even given sqs:SendMessage on everything, the sweep's role cannot park on the dead-letter queue.
    const sweepEverywhere = role(arn.sweepRole, SEND_ANYWHERE);
    expect(await send(queuePolicy, arn.deadLetterQueue, sweepEverywhere)).toBe('ExplicitlyDenied');
  });

  it('allows submitterPrincipals to send task messages, to the queue only, and nobody else', async () => {
    const { queuePolicy } = stack({ SubmitterPrincipals: `${arn.portal},${arn.chatOps}` });
    expect(await send(queuePolicy, arn.queue, role(arn.portal, SEND_ANYWHERE))).toBe('Allowed');
    expect(await send(queuePolicy, arn.queue, role(arn.chatOps, SEND_ANYWHERE))).toBe('Allowed');
    expect(await send(queuePolicy, arn.deadLetterQueue, role(arn.portal, SEND_ANYWHERE))).toBe(
      'ExplicitlyDenied',
    );
    expect(await send(queuePolicy, arn.queue, role(arn.attacker, SEND_ANYWHERE))).toBe('ExplicitlyDenied');
    // A submitter still needs its own identity policy: the queue policy only lets it through.
    expect(await send(queuePolicy, arn.queue, role(arn.portal))).not.toBe('Allowed');
    // Without the parameter, the portal is an outsider like any other.
    expect(await send(stack().queuePolicy, arn.queue, role(arn.portal, SEND_ANYWHERE))).toBe(
      'ExplicitlyDenied',
    );
  });

  it('denies everyone over plain HTTP', async () => {
    const { queuePolicy, worker } = stack();
    const insecure = { ...role(arn.workerRole, worker), secureTransport: false };
    expect(await send(queuePolicy, arn.queue, insecure)).toBe('ExplicitlyDenied');
  });

  it('validates submitterPrincipals at deploy time: ARNs of roles or users, comma-separated', () => {
    const pattern = new RegExp(String(template.Parameters?.SubmitterPrincipals?.AllowedPattern));
    expect(pattern.test('')).toBe(true);
    expect(pattern.test(`${arn.portal},${arn.chatOps}`)).toBe(true);
    for (const bad of ['*', `${arn.portal}, ${arn.chatOps}`, `arn:aws:iam::${ACCOUNT}:role/*`, 'portal']) {
      expect(pattern.test(bad), bad).toBe(false);
    }
  });
});

describe('message key policy: who can use the key', () => {
  const decideKey = async (
    principal: string,
    sourceAccount: string | undefined,
    identityPolicies: unknown[] = [],
  ) => {
    const keyArn = ATTRIBUTES['MessageKey.Arn'];
    const keyPolicy = createEvaluator(template, { accountId: ACCOUNT, attributes: ATTRIBUTES }).resources()
      .MessageKey?.Properties.KeyPolicy;
    const response = await runSimulation(
      {
        request: {
          principal,
          action: 'kms:GenerateDataKey',
          resource: { resource: keyArn, accountId: ACCOUNT },
          contextVariables: sourceAccount ? { 'aws:SourceAccount': sourceAccount } : {},
        },
        identityPolicies: identityPolicies.map((policy, i) => ({ name: `p${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: keyPolicy,
      },
      {},
    );
    if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
    return response.overallResult;
  };

  it('lets EventBridge and CloudWatch of this account encrypt for the queues and topic, nobody else', async () => {
    expect(await decideKey('events.amazonaws.com', ACCOUNT)).toBe('Allowed');
    expect(await decideKey('cloudwatch.amazonaws.com', ACCOUNT)).toBe('Allowed');
    expect(await decideKey('events.amazonaws.com', '999999999999')).not.toBe('Allowed');
    expect(await decideKey('sns.amazonaws.com', ACCOUNT)).not.toBe('Allowed');
    // Principals of the account need an identity policy that grants the key (the root statement delegates).
    expect(await decideKey(arn.attacker, undefined)).not.toBe('Allowed');
    const worker = stack().worker;
    const viaSqs = await runSimulation(
      {
        request: {
          principal: arn.workerRole,
          action: 'kms:GenerateDataKey',
          resource: { resource: ATTRIBUTES['MessageKey.Arn'], accountId: ACCOUNT },
          contextVariables: {
            'kms:ViaService': 'sqs.us-east-1.amazonaws.com',
            'aws:PrincipalArn': arn.workerRole,
          },
        },
        identityPolicies: [{ name: 'worker', policy: worker }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: createEvaluator(template, { accountId: ACCOUNT, attributes: ATTRIBUTES }).resources()
          .MessageKey?.Properties.KeyPolicy,
      },
      {},
    );
    expect(viaSqs.resultType === 'error' ? 'error' : viaSqs.overallResult).toBe('Allowed');
  });
});
