/**
 * The central stack's resource policies: who may send to the queues, and who may use the key that encrypts the
 * queues and the outcome topic. Rendered by `scripts/render-policies.ts` into `deploy/queue-policy.json` and
 * `deploy/message-key-policy.json`, which `serverless.yml` embeds.
 *
 * Why an explicit Deny: an Allow in a queue policy adds senders, it never removes any. Any principal of the
 * account whose identity policy grants `sqs:SendMessage` (an administrator, a CI role, a compromised
 * workload) could otherwise inject task messages. The Deny names the only senders there are — the stack's
 * EventBridge rules (by `aws:SourceArn`, which only EventBridge itself sets), the stack's function roles and
 * the `SubmitterPrincipals` parameter — and refuses everyone else, whatever their own policies allow.
 * `aws:PrincipalArn` is the role's ARN for any session of the role. Conditions with several keys are ANDed:
 * a request is denied only when it comes from none of the rules AND from none of the principals; a
 * negated operator holds when its key is absent, so service principals without a rule ARN are denied too.
 */
import {
  CENTRAL_CONDITIONS,
  CENTRAL_PARAMETERS,
  CENTRAL_RESOURCES,
  type CfnValue,
  type PolicyDocument,
} from './worker-permissions.ts';

const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] }) as const;
const ref = (name: string) => ({ Ref: name }) as const;
const sub = (template: string) => ({ 'Fn::Sub': template }) as const;

const QUEUE = getAtt(CENTRAL_RESOURCES.remediationQueue);
const DEAD_LETTER_QUEUE = getAtt(CENTRAL_RESOURCES.deadLetterQueue);

/**
 * The stack's EventBridge rules that deliver to the queue (and, when a delivery fails, to the dead-letter
 * queue). A rule added to the stack is added here, or the Deny refuses its events.
 */
export const STACK_RULES: readonly CfnValue[] = [
  getAtt(CENTRAL_RESOURCES.securityHubFindingsRule),
  {
    'Fn::If': [
      CENTRAL_CONDITIONS.securityHubV2RuleEnabled,
      getAtt(CENTRAL_RESOURCES.securityHubV2FindingsRule),
      ref('AWS::NoValue'),
    ],
  },
  {
    'Fn::If': [
      CENTRAL_CONDITIONS.configRuleEnabled,
      getAtt(CENTRAL_RESOURCES.configComplianceRule),
      ref('AWS::NoValue'),
    ],
  },
  {
    'Fn::If': [
      CENTRAL_CONDITIONS.customActionEnabled,
      getAtt(CENTRAL_RESOURCES.securityHubCustomActionRule),
      ref('AWS::NoValue'),
    ],
  },
];

/** The stack's own function roles, and the configured submitters when there are any. */
const QUEUE_SENDERS: CfnValue = {
  'Fn::If': [
    CENTRAL_CONDITIONS.hasSubmitters,
    {
      'Fn::Split': [
        ',',
        {
          'Fn::Join': [
            ',',
            [
              getAtt(CENTRAL_RESOURCES.workerRole),
              getAtt(CENTRAL_RESOURCES.sweepRole),
              ref(CENTRAL_PARAMETERS.submitterPrincipals),
            ],
          ],
        },
      ],
    },
    [getAtt(CENTRAL_RESOURCES.workerRole), getAtt(CENTRAL_RESOURCES.sweepRole)],
  ],
};

/** `PolicyDocument` of the queues' `AWS::SQS::QueuePolicy`. */
export const QUEUE_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'FindingsRulesOnly',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['sqs:SendMessage'],
      Resource: QUEUE,
      Condition: { ArnEquals: { 'aws:SourceArn': STACK_RULES } },
    },
    {
      Sid: 'UndeliverableEventsFromFindingsRulesOnly',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['sqs:SendMessage'],
      Resource: DEAD_LETTER_QUEUE,
      Condition: { ArnEquals: { 'aws:SourceArn': STACK_RULES } },
    },
    {
      // Sweeps and the worker enqueue; submitters (a portal, chat-ops, the operator who redrives the
      // dead-letter queue) send task messages. Nobody else, whatever their own policies say.
      Sid: 'DenyEveryOtherSender',
      Effect: 'Deny',
      Principal: '*',
      Action: ['sqs:SendMessage'],
      Resource: QUEUE,
      Condition: { ArnNotEquals: { 'aws:SourceArn': STACK_RULES, 'aws:PrincipalArn': QUEUE_SENDERS } },
    },
    {
      // Only the worker parks bodies, and EventBridge delivers what it could not deliver to the queue.
      Sid: 'DenyEveryOtherSenderToDeadLetterQueue',
      Effect: 'Deny',
      Principal: '*',
      Action: ['sqs:SendMessage'],
      Resource: DEAD_LETTER_QUEUE,
      Condition: {
        ArnNotEquals: {
          'aws:SourceArn': STACK_RULES,
          'aws:PrincipalArn': getAtt(CENTRAL_RESOURCES.workerRole),
        },
      },
    },
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['sqs:*'],
      Resource: [QUEUE, DEAD_LETTER_QUEUE],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
};

/**
 * Key policy of the stack's own key (`MessageKey`, created when no `KmsKeyArn` is given). A key given
 * instead needs the same statements in its own policy. AWS managed keys (aws/sqs, aws/sns) cannot be used:
 * their policies cannot grant EventBridge or CloudWatch alarms, which then fail to deliver.
 */
export const MESSAGE_KEY_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      // Lets IAM policies grant use of the key (the worker's and sweep's roles, operators who read the
      // dead-letter queue), as for every KMS key; without it the key would be unmanageable.
      Sid: 'EnableIamPolicies',
      Effect: 'Allow',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
      Action: ['kms:*'],
      Resource: '*',
    },
    {
      // EventBridge encrypts what its rules deliver to the queues ("Encrypting events": the key must allow
      // events.amazonaws.com). Which rules may send is the queue policy's decision; this only lets them.
      Sid: 'EventBridgeDeliversToTheQueues',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      Condition: { StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') } },
    },
    {
      // The dead-letter alarm publishes to the (encrypted) outcome topic.
      Sid: 'CloudWatchAlarmsPublishToTheTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      Condition: { StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') } },
    },
  ],
};
