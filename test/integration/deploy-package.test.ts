/**
 * What `npm run package` (osls + serverless-esbuild, offline) would deploy: the CloudFormation template and the
 * Lambda packages. CI packages right before the tests; when the template is missing or older than its
 * sources, this suite packages itself (about 5 seconds, no AWS credentials or network needed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GUARD_POLICY_CLOUDFORMATION, ROOT } from '../../scripts/render-policies.ts';
import { EVENT_TYPES } from '../../src/core/asff.ts';
import { METRICS, METRICS_NAMESPACE } from '../../src/core/metrics/names.ts';
import { NAMES } from '../../src/core/model.ts';
import { createEvaluator, parameterError, type Template } from '../../src/local/cloudformation.ts';
import { DASHBOARD_RESOURCES } from '../../src/policies/dashboard.ts';
import {
  CONFIG_COMPLIANCE_PATTERN,
  SECURITY_HUB_CUSTOM_ACTION_PATTERN,
  SECURITY_HUB_FINDINGS_PATTERN,
  SECURITY_HUB_V2_FINDINGS_PATTERN,
} from '../../src/policies/event-patterns.ts';
import { QUEUE_POLICY } from '../../src/policies/resource-policies.ts';
import {
  ACCOUNT_POLICY,
  CENTRAL_POLICY,
  ESCALATION_CONSOLE_POLICY,
  ESCALATION_KEYS_POLICY,
  ESCROW_KMS_POLICY,
  MEMBER_ACCESS_POLICY,
  NOTIFY_POLICY,
  SWEEP_ORGANIZATION_POLICY,
  SWEEP_POLICY,
} from '../../src/policies/worker-permissions.ts';
import { loadPackagedTemplate, PACKAGE_OUTPUT } from '../helpers/packaged-template.ts';
import { readZip } from '../helpers/zip.ts';

const OUTPUT = PACKAGE_OUTPUT;
const FUNCTIONS = ['remediate', 'sweep'] as const;
/** The variables of docs/reference.md (Configuration); each must reach both functions. */
const ENVIRONMENT = [
  'OUTCOME_TOPIC_ARN',
  'REMEDIATION_QUEUE_URL',
  'DEAD_LETTER_QUEUE_URL',
  'REMEDIATION_MODE',
  'MFA_SCOPE',
  'CONTAIN_PROGRAMMATIC_USERS',
  'GRACE_PERIOD_HOURS',
  'ESCALATION',
  'EXEMPT_USERS',
  'CUSTODIAL_USERS',
  'ALLOWED_ACCOUNTS',
  'SWEEP_ACCOUNTS',
  'MEMBER_ROLE_NAME',
  'MEMBER_ROLE_EXTERNAL_ID',
  'SECURITY_HUB_UPDATES',
  'MAX_RECEIVE_COUNT',
  'DRY_RUN',
  'LOG_LEVEL',
  'ESCROW_KMS_KEY_ID',
  'NOTIFY_FROM',
  'NOTIFY_EMAIL_TAG',
  'REMINDER_HOURS',
  'NOTIFY_CONTACT',
  'NOTIFY_TIME_ZONE',
];
/** Bundles stay well under Lambda's limits and load fast; today about 1 MB each. */
const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, asserted on rather than typed
type Json = any;
type Resource = { Type: string; Condition?: string; DependsOn?: string[]; Properties: Record<string, Json> };
let template: Template & { Resources: Record<string, Resource> };
let evaluator: ReturnType<typeof createEvaluator>;

beforeAll(() => {
  template = loadPackagedTemplate<typeof template>();
  evaluator = createEvaluator(template);
}, 150_000);

const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the packaged template`);
  return found;
};
const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const fn = (name: string) => resource(`${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`);
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

describe('packaged template: functions', () => {
  it.each([
    ['remediate', 'WorkerRole'],
    ['sweep', 'SweepRole'],
  ])('%s runs Node.js 22 on arm64 with its own role (%s) and retained logs', (name, role) => {
    const { Properties } = fn(name);
    expect(Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: `handlers/${name}.handler`,
      Role: getAtt(role),
    });
    const logGroup = resource(`${name[0]?.toUpperCase()}${name.slice(1)}LogGroup`);
    expect(logGroup.Properties.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    expect(Number(evaluator.evaluate(logGroup.Properties.RetentionInDays))).toBeGreaterThanOrEqual(30);
  });

  it.each(FUNCTIONS)('%s gets every configuration variable, consistent with the stack', (name) => {
    const variables = fn(name).Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(ENVIRONMENT));
    expect(variables).toMatchObject({
      OUTCOME_TOPIC_ARN: { Ref: 'OutcomeTopic' },
      REMEDIATION_QUEUE_URL: { Ref: 'RemediationQueue' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'DeadLetterQueue' },
      ESCALATION: { Ref: 'Escalation' },
      MEMBER_ROLE_NAME: { Ref: 'MemberRoleName' },
      ESCROW_KMS_KEY_ID: { Ref: 'EscrowKmsKeyArn' },
      REMEDIATION_MODE: { Ref: 'Mode' },
      MAX_RECEIVE_COUNT: { Ref: 'MaxReceiveCount' },
    });
    // A first deploy reports only (docs/reference.md: Configuration): mode defaults to notify.
    expect(evaluator.evaluate(variables)).toMatchObject({
      REMEDIATION_MODE: 'notify',
      MFA_SCOPE: 'console-users',
      GRACE_PERIOD_HOURS: '72',
      MAX_RECEIVE_COUNT: '8',
    });
    for (const value of Object.values(variables))
      expect(typeof value === 'string' || typeof value === 'object').toBe(true);
  });

  it('consumes the remediation queue with partial batch responses and bounded concurrency', () => {
    const [[, mapping] = []] = ofType('AWS::Lambda::EventSourceMapping');
    const properties = evaluator.evaluate(mapping?.Properties) as Json;
    expect(properties).toMatchObject({
      EventSourceArn: '<GetAtt:RemediationQueue.Arn>',
      FunctionName: '<GetAtt:RemediateLambdaFunction.Arn>',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: '10',
      Enabled: true,
    });
    const concurrency = Number(properties.ScalingConfig?.MaximumConcurrency);
    expect(concurrency).toBeGreaterThanOrEqual(2);
    expect(concurrency).toBeLessThanOrEqual(10);
  });

  it('runs the sweep on a schedule, daily by default', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.ScheduleExpression);
    expect(rules).toHaveLength(1);
    expect(evaluator.evaluate(rules[0]?.[1].Properties)).toMatchObject({
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [{ Arn: '<GetAtt:SweepLambdaFunction.Arn>' }],
    });
  });
});

describe('packaged template: queues, topic, rules, alarm', () => {
  it('gives the queue a visibility timeout of at least six times the function timeout', () => {
    const queue = resource('RemediationQueue').Properties;
    const timeout = fn('remediate').Properties.Timeout as number;
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]?.[1].Properties;
    const window = Number(evaluator.evaluate(mapping?.MaximumBatchingWindowInSeconds) ?? 0);
    const maxWindow = Number(template.Parameters?.BatchingWindowSeconds?.MaxValue);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout + window);
    // Whatever window a deployment chooses within the parameter's bounds.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout + maxWindow);
  });

  it('encrypts both queues and the topic with KMS: the stack’s own rotating key, or the one given', () => {
    const encrypted = (parameters: Record<string, string>) => {
      const resources = createEvaluator(template, {
        parameters,
        attributes: { 'MessageKey.Arn': 'stack-key' },
      }).resources();
      return {
        keys: ['RemediationQueue', 'DeadLetterQueue', 'OutcomeTopic'].map(
          (id) => resources[id]?.Properties.KmsMasterKeyId,
        ),
        created: 'MessageKey' in resources,
        rotation: resources.MessageKey?.Properties.EnableKeyRotation,
      };
    };
    expect(encrypted({})).toEqual({
      keys: ['stack-key', 'stack-key', 'stack-key'],
      created: true,
      rotation: true,
    });
    const given = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(encrypted({ KmsKeyArn: given })).toEqual({ keys: [given, given, given], created: false });
    for (const id of ['RemediationQueue', 'DeadLetterQueue']) {
      expect(resource(id).Properties.SqsManagedSseEnabled).toBeUndefined();
    }
  });

  it('redrives to the dead-letter queue after exactly MAX_RECEIVE_COUNT receives', () => {
    const redrive = resource('RemediationQueue').Properties.RedrivePolicy;
    expect(redrive.deadLetterTargetArn).toEqual(getAtt('DeadLetterQueue'));
    for (const name of FUNCTIONS) {
      // The same parameter sets both, so they cannot differ.
      expect(redrive.maxReceiveCount).toEqual(fn(name).Properties.Environment.Variables.MAX_RECEIVE_COUNT);
    }
    expect(redrive.maxReceiveCount).toEqual({ Ref: 'MaxReceiveCount' });
    expect(resource('DeadLetterQueue').Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it('routes failed, active IAM.5 / IAM.19 / CIS findings (NEW or NOTIFIED) to the queue', () => {
    const rule = resource('SecurityHubFindingsRule').Properties;
    expect(rule.EventPattern).toEqual(SECURITY_HUB_FINDINGS_PATTERN);
    const findings = rule.EventPattern.detail.findings;
    expect(findings.Compliance.Status).toEqual(['FAILED']);
    expect(findings.RecordState).toEqual(['ACTIVE']);
    expect(findings.Workflow.Status).toEqual(['NEW', 'NOTIFIED']);
    expect(JSON.stringify(findings.$or)).toMatch(/IAM\.5.*IAM\.19.*cis-aws-foundations-benchmark/);
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt('RemediationQueue'),
        DeadLetterConfig: { Arn: getAtt('DeadLetterQueue') },
      }),
    ]);
  });

  it('routes Security Hub (OCSF) findings of the same controls with its own rule, on by default', () => {
    const rule = resource('SecurityHubV2FindingsRule');
    expect(rule.Condition).toBe('SecurityHubV2RuleEnabled');
    expect(evaluator.condition('SecurityHubV2RuleEnabled')).toBe(true);
    expect(rule.Properties.EventPattern).toEqual(SECURITY_HUB_V2_FINDINGS_PATTERN);
    const findings = rule.Properties.EventPattern.detail.findings;
    expect(rule.Properties.EventPattern['detail-type']).toEqual(['Findings Imported V2']);
    expect(findings.class_uid).toEqual([2003]);
    expect(findings.compliance.status_id).toEqual([3]);
    expect(findings.status_id).toEqual([1, 2]);
    expect(JSON.stringify(findings.$or)).toMatch(/IAM\.5.*IAM\.19.*cis-aws-foundations-benchmark/);
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt('RemediationQueue'),
        DeadLetterConfig: { Arn: getAtt('DeadLetterQueue') },
      }),
    ]);
  });

  it('lets only the stack’s rules send to the queue (aws:SourceArn), over TLS only', () => {
    const policy = resource('QueuePolicy').Properties;
    expect(policy.Queues).toEqual([{ Ref: 'RemediationQueue' }, { Ref: 'DeadLetterQueue' }]);
    expect(policy.PolicyDocument).toEqual(QUEUE_POLICY);
    const statements = evaluator.evaluate(policy.PolicyDocument) as { Statement: Json[] };
    const allows = statements.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const statement of allows) {
      expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
      expect(statement.Action).toEqual(['sqs:SendMessage']);
      expect(statement.Condition).toEqual({
        ArnEquals: {
          'aws:SourceArn': ['<GetAtt:SecurityHubFindingsRule.Arn>', '<GetAtt:SecurityHubV2FindingsRule.Arn>'],
        },
      });
    }
    expect(statements.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('has the optional Config rule, off by default', () => {
    const rule = resource('ConfigComplianceRule');
    expect(rule.Condition).toBe('ConfigRuleEnabled');
    expect(evaluator.condition('ConfigRuleEnabled')).toBe(false);
    expect(rule.Properties.EventPattern).toEqual(CONFIG_COMPLIANCE_PATTERN);
    expect(rule.Properties.Targets[0].Arn).toEqual(getAtt('RemediationQueue'));
  });

  it('has the optional Security Hub custom action, off by default, whose findings its own rule may send', () => {
    expect(evaluator.condition('CustomActionEnabled')).toBe(false);
    const off = createEvaluator(template).resources();
    expect(off.SecurityHubCustomAction).toBeUndefined();
    expect(off.SecurityHubCustomActionRule).toBeUndefined();

    const on = createEvaluator(template, { parameters: { CustomActionEnabled: 'true' } });
    const resources = on.resources();
    const action: Json = resources.SecurityHubCustomAction;
    expect(action?.Type).toBe('AWS::SecurityHub::ActionTarget');
    // Security Hub's limits: a name under 20 characters, an id of at most 20 alphanumerics.
    expect(action?.Properties.Name.length).toBeLessThan(20);
    expect(action?.Properties.Id).toMatch(/^[A-Za-z0-9]{1,20}$/);
    expect(resources.SecurityHubCustomActionRule).toBeDefined();
    const rule: Json = resource('SecurityHubCustomActionRule').Properties;
    expect(rule.EventPattern).toEqual(SECURITY_HUB_CUSTOM_ACTION_PATTERN);
    // The detail-type intake recognises, and only the stack's own action (a rule for any custom action would
    // deliver whatever another tool's action sends).
    expect(rule.EventPattern['detail-type']).toEqual([EVENT_TYPES.customAction]);
    expect(rule.EventPattern.resources).toEqual([{ Ref: 'SecurityHubCustomAction' }]);
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt('RemediationQueue'),
        DeadLetterConfig: { Arn: getAtt('DeadLetterQueue') },
      }),
    ]);
    // The queue policy lets this rule send, and the Deny no longer refuses it.
    const policy = on.evaluate(resource('QueuePolicy').Properties.PolicyDocument) as { Statement: Json[] };
    const ruleArn = '<GetAtt:SecurityHubCustomActionRule.Arn>';
    const allow = policy.Statement.find((s) => s.Sid === 'FindingsRulesOnly');
    expect(allow?.Condition.ArnEquals['aws:SourceArn']).toContain(ruleArn);
    const deny = policy.Statement.find((s) => s.Sid === 'DenyEveryOtherSender');
    expect(deny?.Condition.ArnNotEquals['aws:SourceArn']).toContain(ruleArn);
    const outputs: Json = template.Outputs;
    expect(outputs.CustomActionArn).toMatchObject({
      Condition: 'CustomActionEnabled',
      Value: { Ref: 'SecurityHubCustomAction' },
    });
  });

  it('alarms on dead-letter depth to the outcome topic', () => {
    const alarm = resource('DeadLetterAlarm').Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('DeadLetterQueue', 'QueueName') }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: 'OutcomeTopic' }],
    });
    expect(resource('OutcomeTopic').Type).toBe('AWS::SNS::Topic');
  });

  it('refers only to resources and parameters that exist', () => {
    const names = new Set([...Object.keys(template.Resources), ...Object.keys(template.Parameters ?? {})]);
    const text = JSON.stringify(template);
    const refs = [...text.matchAll(/"Ref":"([^"]+)"/g)].map((m) => m[1] as string);
    const atts = [...text.matchAll(/"Fn::GetAtt":\["([^"]+)"/g)].map((m) => m[1] as string);
    const subs = [...text.matchAll(/\$\{([\w:]+)(?:\.\w+)?\}/g)].map((m) => m[1] as string);
    for (const name of [...refs, ...atts, ...subs].filter((n) => !n.startsWith('AWS::'))) {
      expect(names.has(name), `unknown reference ${name}`).toBe(true);
    }
  });
});

describe('packaged template: IAM', () => {
  const rolePolicies = (
    parameters: Record<string, string> = {},
    conditions: Record<string, boolean> = {},
    role = 'WorkerRole',
  ) => {
    const resources = createEvaluator(template, { parameters, conditions }).resources();
    return resources[role]?.Properties.Policies as Array<{ PolicyName: string; PolicyDocument: Json }>;
  };

  it('creates the guard policy under the reference name and path, with the shared document', () => {
    const { ManagedPolicyName, Path, PolicyDocument } = resource('GuardPolicy').Properties;
    expect({ ManagedPolicyName, Path }).toEqual({
      ManagedPolicyName: NAMES.guardPolicyName,
      Path: NAMES.guardPolicyPath,
    });
    expect(PolicyDocument).toEqual(GUARD_POLICY_CLOUDFORMATION as Json);
  });

  it('gives the worker role exactly the shared documents, escalation only when configured', () => {
    const shared = (document: unknown) => createEvaluator(template).evaluate(document);
    expect(rolePolicies()).toEqual([
      { PolicyName: 'mfa-remediation-central', PolicyDocument: shared(CENTRAL_POLICY) },
      { PolicyName: 'mfa-remediation-account', PolicyDocument: shared(ACCOUNT_POLICY) },
    ]);
    const key = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const full = rolePolicies({ Escalation: 'disable-console-and-keys', EscrowKmsKeyArn: key });
    expect(full.map((p) => p.PolicyName)).toEqual([
      'mfa-remediation-central',
      'mfa-remediation-account',
      'mfa-remediation-escalation-console',
      'mfa-remediation-escalation-keys',
      'mfa-remediation-escrow-kms',
    ]);
    const evaluate = createEvaluator(template, { parameters: { EscrowKmsKeyArn: key } }).evaluate;
    expect(full[2]?.PolicyDocument).toEqual(evaluate(ESCALATION_CONSOLE_POLICY));
    expect(full[3]?.PolicyDocument).toEqual(evaluate(ESCALATION_KEYS_POLICY));
    expect(full[4]?.PolicyDocument).toEqual(evaluate(ESCROW_KMS_POLICY));
    expect(JSON.stringify(rolePolicies({ Escalation: 'disable-console' }))).not.toContain(
      'iam:UpdateAccessKey',
    );
  });

  it('allows no wildcard action and no iam:* anywhere in the stack', () => {
    const documents = [
      ...rolePolicies({
        Escalation: 'disable-console-and-keys',
        EscrowKmsKeyArn: 'arn:aws:kms:us-east-1:1:key/x',
      }).map((p) => p.PolicyDocument),
      evaluator.evaluate(resource('QueuePolicy').Properties.PolicyDocument),
    ] as Array<{ Statement: Array<{ Effect: string; Action: string | string[] }> }>;
    for (const statement of documents.flatMap((d) => d.Statement).filter((s) => s.Effect === 'Allow')) {
      for (const action of [statement.Action].flat()) expect(action, action).not.toContain('*');
    }
  });

  it('attaches and detaches only the guard policy (iam:PolicyARN)', () => {
    const statements = rolePolicies().flatMap((p) => p.PolicyDocument.Statement);
    const attach = statements.filter((s: Json) => s.Action.includes('iam:AttachUserPolicy'));
    expect(attach).toHaveLength(1);
    expect(attach[0].Action).toEqual(['iam:AttachUserPolicy', 'iam:DetachUserPolicy']);
    expect(attach[0].Condition).toEqual({
      ArnEquals: {
        'iam:PolicyARN': `arn:aws:iam::111111111111:policy${NAMES.guardPolicyPath}${NAMES.guardPolicyName}`,
      },
    });
  });

  it('assumes only the member role, only inside its organisation, only when it has other accounts', () => {
    const assumes = (crossAccount: boolean) =>
      rolePolicies({}, { CrossAccount: crossAccount })
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((s: Json) => s.Action.includes('sts:AssumeRole'));
    // allowedAccounts and sweepAccounts empty (the packaged default): this account only, no AssumeRole.
    expect(evaluator.condition('CrossAccount')).toBe(false);
    expect(assumes(false)).toEqual([]);
    expect(assumes(true)).toEqual([
      expect.objectContaining({
        Resource: `arn:aws:iam::*:role/${NAMES.memberRoleName}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the IAM policy variable, after Fn::Sub
        Condition: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
      }),
    ]);
    expect(rolePolicies({}, { CrossAccount: true }).map((p) => p.PolicyName)).toContain(
      'mfa-remediation-member-access',
    );
    const trust = resource('WorkerRole').Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
  });

  it('gives the sweep its own role: enqueue and list accounts, no IAM action at all', () => {
    const evaluate = (document: unknown) => createEvaluator(template).evaluate(document);
    expect(rolePolicies({}, {}, 'SweepRole')).toEqual([
      { PolicyName: 'mfa-remediation-sweep', PolicyDocument: evaluate(SWEEP_POLICY) },
    ]);
    expect(rolePolicies({}, { SweepOrganization: true }, 'SweepRole').map((p) => p.PolicyDocument)).toEqual([
      evaluate(SWEEP_POLICY),
      evaluate(SWEEP_ORGANIZATION_POLICY),
    ]);
    const actions = JSON.stringify(rolePolicies({}, { SweepOrganization: true }, 'SweepRole'));
    expect(actions).not.toMatch(/"(iam|sts|secretsmanager|securityhub):/);
    expect(JSON.stringify(rolePolicies({}, { CrossAccount: true }))).toContain(
      JSON.stringify(evaluate(MEMBER_ACCESS_POLICY)),
    );
    const trust = resource('SweepRole').Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
  });
});

describe('packaged functions', () => {
  it.each(FUNCTIONS)('%s is a single minified ESM bundle of reasonable size, with its source map', (name) => {
    // Prepare
    const entries = readZip(readFileSync(join(OUTPUT, `${name}.zip`)));
    // Assess
    expect(entries.map((entry) => entry.name).sort()).toEqual([
      `handlers/${name}.mjs`,
      `handlers/${name}.mjs.map`,
    ]);
    const bundle = entries.find((entry) => entry.name.endsWith('.mjs')) as (typeof entries)[number];
    expect(bundle.size).toBeGreaterThan(10_000);
    expect(bundle.size).toBeLessThan(MAX_BUNDLE_BYTES);
    // zod's 40-odd locales are a third of the bundle unless every module imports zod as a namespace
    // (`import * as z`), which lets esbuild keep only the English messages the worker uses.
    const localesBundled = bundle.read().toString('utf8').includes('Eingabe: erwartet');
    expect(localesBundled, "zod's German messages are in the bundle").toBe(false);
  });

  it('the sweep function bundles only the clients its scheduler calls (STS, SQS, Organizations)', () => {
    const read = (name: string) =>
      readZip(readFileSync(join(OUTPUT, `${name}.zip`)))
        .find((entry) => entry.name.endsWith('.mjs'))
        ?.read()
        .toString('utf8') ?? '';
    const clients = (text: string) =>
      [...new Set(text.match(/"@aws-sdk\/client-[a-z0-9-]+"/g) ?? [])].map((c) => c.slice(1, -1)).sort();
    expect(clients(read('sweep'))).toEqual([
      '@aws-sdk/client-organizations',
      '@aws-sdk/client-sqs',
      '@aws-sdk/client-sts',
    ]);
    // The worker's bundle has the rest (the clients' package names are embedded with their versions).
    expect(clients(read('remediate'))).toEqual(
      expect.arrayContaining(['@aws-sdk/client-iam', '@aws-sdk/client-securityhub', '@aws-sdk/client-sesv2']),
    );
  });

  it.each(FUNCTIONS)('%s loads as ESM on Node and exports its handler', (name) => {
    // Prepare: the bundle builds its runtime at import time, which needs a valid configuration.
    const entries = readZip(readFileSync(join(OUTPUT, `${name}.zip`)));
    const directory = mkdtempSync(join(tmpdir(), 'mfa-bundle-'));
    const file = join(directory, `${name}.mjs`);
    writeFileSync(file, entries.find((entry) => entry.name.endsWith('.mjs'))?.read() ?? '');
    // Act
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
      ],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:mfa-remediation-dev-outcomes',
          REMEDIATION_QUEUE_URL:
            'https://sqs.us-east-1.amazonaws.com/111111111111/mfa-remediation-dev-remediation',
          DEAD_LETTER_QUEUE_URL:
            'https://sqs.us-east-1.amazonaws.com/111111111111/mfa-remediation-dev-dead-letter',
          LOG_LEVEL: 'silent',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    // Assess
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('function');
  });
});

describe('packaged template: notifications, metrics, alarms and dashboard', () => {
  const policiesWith = (parameters: Record<string, string>) =>
    createEvaluator(template, { parameters }).resources().WorkerRole?.Properties.Policies as Array<{
      PolicyName: string;
      PolicyDocument: Json;
    }>;

  it('grants ses:SendEmail only when NotifyFrom is set, and only for its identities and From address', () => {
    // Prepare
    const from = 'security@example.com';
    // Act
    const off = policiesWith({});
    const on = policiesWith({ NotifyFrom: from });
    // Assess
    expect(JSON.stringify(off)).not.toContain('ses:');
    const notify = on.find((p) => p.PolicyName === 'mfa-remediation-notify');
    expect(notify?.PolicyDocument).toEqual(
      createEvaluator(template, { parameters: { NotifyFrom: from } }).evaluate(NOTIFY_POLICY),
    );
    expect(notify?.PolicyDocument.Statement).toEqual([
      {
        Sid: 'SendNotificationsFromNotifyFromOnly',
        Effect: 'Allow',
        Action: ['ses:SendEmail'],
        Resource: [
          'arn:aws:ses:us-east-1:111111111111:identity/security@example.com',
          'arn:aws:ses:us-east-1:111111111111:identity/example.com',
        ],
        Condition: { StringEquals: { 'ses:FromAddress': from } },
      },
    ]);
    expect(fn('remediate').Properties.Environment.Variables.NOTIFY_FROM).toEqual({ Ref: 'NotifyFrom' });
  });

  it('accepts only an e-mail address (or nothing) as NotifyFrom', () => {
    const parameter = template.Parameters?.NotifyFrom as { AllowedPattern?: string } | undefined;
    const pattern = new RegExp(parameter?.AllowedPattern ?? 'missing');
    for (const ok of ['', 'security@example.com', 'mfa+alerts@sub.example.co.uk'])
      expect(pattern.test(ok), ok).toBe(true);
    for (const bad of [
      'security',
      'a@localhost',
      'a@b.com,c@d.com',
      'A <a@b.com>',
      'a@b.com\nBcc: c@d.com',
    ]) {
      expect(pattern.test(bad), bad).toBe(false);
    }
  });

  it('alarms on failed outcomes, function errors and throttles, AWS throttling, dead-letter age and notification failures', () => {
    // Prepare
    const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm'));
    // Assess
    for (const id of DASHBOARD_RESOURCES.alarms) {
      expect(alarms[id], id).toBeDefined();
      expect(alarms[id]?.Properties.AlarmActions).toEqual([{ Ref: 'OutcomeTopic' }]);
      expect(alarms[id]?.Properties.TreatMissingData).toBe('notBreaching');
    }
    expect(alarms.FailedOutcomesAlarm?.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRICS.outcomes,
      Dimensions: [{ Name: 'outcome', Value: 'failed' }],
      Threshold: { Ref: 'AlarmFailedOutcomes' },
    });
    expect(evaluator.evaluate(alarms.FailedOutcomesAlarm?.Properties.Threshold)).toBe('1');
    expect(alarms.DeadLetterAgeAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('DeadLetterQueue', 'QueueName') }],
    });
    expect(alarms.DeadLetterAgeAlarm?.Properties.Threshold).toBeLessThan(
      resource('DeadLetterQueue').Properties.MessageRetentionPeriod,
    );
    expect(alarms.RemediateErrorsAlarm?.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: 'RemediateLambdaFunction' } },
    ]);
    const throttled = JSON.stringify(alarms.FunctionThrottlesAlarm?.Properties.Metrics);
    expect(throttled).toContain('RemediateLambdaFunction');
    expect(throttled).toContain('SweepLambdaFunction');
    // Every alarm on our own namespace names a metric the worker emits.
    const ours = Object.values(alarms).filter((a) => a.Properties.Namespace === METRICS_NAMESPACE);
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const alarm of ours) expect(Object.values(METRICS)).toContain(alarm.Properties.MetricName);
  });

  it('has a dashboard whose widgets name only metrics the worker emits and alarms that exist', () => {
    // Act
    const body = JSON.parse(evaluator.evaluate(resource('Dashboard').Properties.DashboardBody) as string) as {
      widgets: Array<{
        type: string;
        properties: { metrics?: unknown[][]; alarms?: string[]; region?: string };
      }>;
    };
    // Assess
    const named = body.widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === METRICS_NAMESPACE)
      .map((m) => m[1]);
    expect(new Set(named)).toEqual(new Set(Object.values(METRICS)));
    const alarms = body.widgets.flatMap((w) => w.properties.alarms ?? []);
    expect(alarms).toEqual(DASHBOARD_RESOURCES.alarms.map((id) => `<GetAtt:${id}.Arn>`));
    for (const widget of body.widgets.filter((w) => w.type === 'metric'))
      expect(widget.properties.region).toBe('us-east-1');
  });
});

describe('packaged template: stack parameters', () => {
  it('constrains every parameter (AllowedValues, AllowedPattern or MinValue/MaxValue), and every default passes', () => {
    const parameters = Object.entries(template.Parameters ?? {});
    expect(parameters.length).toBeGreaterThanOrEqual(23);
    for (const [name, definition] of parameters) {
      const constrained =
        definition.AllowedValues !== undefined ||
        definition.AllowedPattern !== undefined ||
        (definition.MinValue !== undefined && definition.MaxValue !== undefined);
      expect(constrained, name).toBe(true);
      expect(parameterError(name, definition, definition.Default), name).toBeUndefined();
    }
  });

  it('takes every IANA zone name the worker takes for notifyTimeZone, and refuses others', () => {
    const definition = template.Parameters?.NotifyTimeZone ?? {};
    for (const zone of [
      'UTC',
      'GMT',
      'EST5EDT',
      'Europe/Berlin',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+5',
    ]) {
      expect(() => new Intl.DateTimeFormat('en-GB', { timeZone: zone }), zone).not.toThrow();
      expect(parameterError('NotifyTimeZone', definition, zone), zone).toBeUndefined();
    }
    for (const zone of ['Europe Berlin', '/Berlin', 'Europe/Berlin;rm']) {
      expect(parameterError('NotifyTimeZone', definition, zone), zone).toMatch(
        /^Parameter 'NotifyTimeZone' must/,
      );
    }
  });

  it('refuses bad values at deploy time, naming the parameter: mode=bogus, gracePeriodHours=-1, and more', () => {
    const bad: Record<string, [string, string]> = {
      mode: ['Mode', 'bogus'],
      gracePeriodHours: ['GracePeriodHours', '-1'],
      allowedAccounts: ['AllowedAccounts', '1234'],
      sweepAccounts: ['SweepAccounts', 'foo'],
      logLevel: ['LogLevel', 'loud'],
      exemptUsers: ['ExemptUsers', 'bob smith'],
      batchingWindowSeconds: ['BatchingWindowSeconds', '300'],
    };
    const dir = mkdtempSync(join(tmpdir(), 'mfa-remediation-package-'));
    execFileSync(
      'npx',
      [
        'osls',
        'package',
        '--package',
        dir,
        ...Object.entries(bad).map(([param, [, value]]) => `--param=${param}=${value}`),
      ],
      { cwd: ROOT, stdio: 'pipe', timeout: 120_000 },
    );
    const packaged = JSON.parse(
      readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    for (const [, [name, value]] of Object.entries(bad)) {
      const definition = packaged.Parameters?.[name];
      expect(definition?.Default === undefined ? undefined : String(definition.Default), name).toBe(value);
      expect(parameterError(name, definition ?? {}, definition?.Default), name).toMatch(
        new RegExp(`^Parameter '${name}' must`),
      );
    }
  }, 150_000);

  it('settings osls itself validates are refused already by npm run package, naming them', () => {
    const result = spawnSync(
      'npx',
      [
        'osls',
        'package',
        '--package',
        mkdtempSync(join(tmpdir(), 'mfa-remediation-package-')),
        '--param=maximumConcurrency=1',
        '--param=logRetentionDays=10',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/maximumConcurrency': must be >= 2/);
    expect(result.stdout + result.stderr).toMatch(
      /logRetentionInDays': must be equal to one of the allowed values/,
    );
  }, 150_000);
});
