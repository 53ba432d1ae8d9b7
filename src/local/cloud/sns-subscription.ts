/**
 * SNS topics and subscriptions as the emulator keeps them, and the attribute rules of SetTopicAttributes,
 * Subscribe and SetSubscriptionAttributes.
 */
import { type FilterPolicy, type FilterPolicyScope, parseFilterPolicy } from './sns-filter.ts';
import { invalidParameter } from './sns-wire.ts';

/** A standard topic. */
export interface Topic {
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  readonly attributes: Record<string, string>;
  readonly tags: Record<string, string>;
}

/**
 * A subscription: an SQS queue (confirmed at once, as SNS does for queues) or an e-mail address, which stays
 * pending until its owner confirms — the local cloud sends no confirmation mail, so it stays pending.
 */
export interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly owner: string;
  readonly protocol: 'sqs' | 'email' | 'email-json';
  readonly pendingConfirmation: boolean;
  readonly endpoint: string;
  readonly attributes: Record<string, string>;
  filterPolicy?: FilterPolicy;
}

const TOPIC_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'DataProtectionPolicy',
]);

const SUBSCRIPTION_ATTRIBUTES = new Set([
  'RawMessageDelivery',
  'FilterPolicy',
  'FilterPolicyScope',
  'RedrivePolicy',
  'DeliveryPolicy',
  'SubscriptionRoleArn',
]);

/** Checks topic attributes given to CreateTopic / SetTopicAttributes. FIFO topics are not emulated. */
export function validateTopicAttributes(attributes: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'FifoTopic' && value.toLowerCase() === 'false') continue;
    if (!TOPIC_ATTRIBUTES.has(name))
      throw invalidParameter(`AttributeName${name === 'FifoTopic' ? ' (FIFO topics are not emulated)' : ''}`);
  }
}

/** The attributes GetTopicAttributes reports, the defaults SNS fills in included. */
export function topicAttributes(
  topic: Topic,
  subscriptions: { confirmed: number; pending: number },
): Record<string, string> {
  return {
    TopicArn: topic.arn,
    Owner: topic.accountId,
    DisplayName: '',
    Policy: defaultTopicPolicy(topic),
    SubscriptionsConfirmed: String(subscriptions.confirmed),
    SubscriptionsPending: String(subscriptions.pending),
    SubscriptionsDeleted: '0',
    EffectiveDeliveryPolicy: JSON.stringify(DEFAULT_DELIVERY_POLICY),
    ...topic.attributes,
  };
}

/**
 * Applies subscription attributes after checking them: RawMessageDelivery is `true` / `false`, the
 * FilterPolicy must parse for the (new or current) FilterPolicyScope. An empty FilterPolicy removes it.
 */
export function applySubscriptionAttributes(
  subscription: Pick<Subscription, 'attributes' | 'filterPolicy'>,
  changes: Readonly<Record<string, string>>,
): void {
  for (const name of Object.keys(changes)) {
    if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw invalidParameter('AttributeName');
  }
  const raw = changes.RawMessageDelivery;
  if (raw !== undefined && raw.toLowerCase() !== 'true' && raw.toLowerCase() !== 'false') {
    throw invalidParameter(
      `Attributes Reason: RawMessageDelivery: Invalid value [${raw}]. Must be true or false.`,
    );
  }
  const scope = changes.FilterPolicyScope ?? subscription.attributes.FilterPolicyScope ?? 'MessageAttributes';
  if (scope !== 'MessageAttributes' && scope !== 'MessageBody') {
    throw invalidParameter(
      `Attributes Reason: FilterPolicyScope: Invalid value [${scope}]. Please use either MessageBody or MessageAttributes`,
    );
  }
  const policyText = changes.FilterPolicy ?? subscription.attributes.FilterPolicy;
  const policy = policyText ? parseFilterPolicy(policyText, scope as FilterPolicyScope) : undefined;

  for (const [name, value] of Object.entries(changes)) {
    if (name === 'RawMessageDelivery') subscription.attributes[name] = value.toLowerCase();
    else if (value === '' && name === 'FilterPolicy') delete subscription.attributes[name];
    else subscription.attributes[name] = value;
  }
  subscription.filterPolicy = policy;
  // SNS reports the (default) scope once a policy exists; a scope set before the policy is kept.
  if (policy) subscription.attributes.FilterPolicyScope = scope;
}

/** The attributes GetSubscriptionAttributes reports. */
export function subscriptionAttributes(subscription: Subscription): Record<string, string> {
  return {
    SubscriptionArn: subscription.arn,
    TopicArn: subscription.topicArn,
    Owner: subscription.owner,
    Protocol: subscription.protocol,
    Endpoint: subscription.endpoint,
    ConfirmationWasAuthenticated: String(!subscription.pendingConfirmation),
    PendingConfirmation: String(subscription.pendingConfirmation),
    RawMessageDelivery: 'false',
    SubscriptionPrincipal: `arn:aws:iam::${subscription.owner}:root`,
    ...subscription.attributes,
  };
}

const DEFAULT_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
};

/** The access policy SNS attaches to a new topic: the owner account may do everything. */
function defaultTopicPolicy(topic: Topic): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topic.arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': topic.accountId } },
      },
    ],
  });
}
