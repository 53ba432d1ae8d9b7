/**
 * Amazon SNS emulator (standard topics, SQS subscriptions) for the local cloud. Speaks the query protocol;
 * Publish delivers synchronously to each subscribed queue whose filter policy matches, through the SQS
 * emulator, either as the JSON notification envelope or raw.
 */
import { randomUUID } from 'node:crypto';
import { AwsApiError, type EmulatedService, type LocalCloudEnv, type LocalRequest } from '../cloud-types.ts';
import { type OffsetPage, paginateByOffset } from './pagination.ts';
import { queryAction, renderQueryError } from './query-protocol.ts';
import { type FilterPolicyScope, matchesFilterPolicy } from './sns-filter.ts';
import { messageForSqs, notificationEnvelope, type SnsMessage, validateMessage } from './sns-message.ts';
import {
  applySubscriptionAttributes,
  type Subscription,
  subscriptionAttributes,
  type Topic,
  topicAttributes,
  validateTopicAttributes,
} from './sns-subscription.ts';
import {
  el,
  invalidParameter,
  listPrefixes,
  mapXml,
  members,
  parseQueryParams,
  type QueryParams,
  readMap,
  readMessageAttributes,
  required,
  SNS_XML_NAMESPACE,
  snsXml,
} from './sns-wire.ts';
import type { SqsService } from './sqs.ts';

export type { SnsMessage } from './sns-message.ts';

/** What happened to a published message at one subscription. */
export interface Delivery {
  readonly subscriptionArn: string;
  readonly endpoint: string;
  readonly raw: boolean;
  /** `delivered`, `filtered` (the filter policy did not match) or `failed` (e.g. the queue is gone). */
  readonly status: 'delivered' | 'filtered' | 'failed';
  readonly error?: string;
}

/** A message accepted by Publish / PublishBatch, with its deliveries. */
export interface PublishedMessage extends SnsMessage {
  readonly deliveries: readonly Delivery[];
}

/** A PublishBatch entry as the {@link SnsService.failEntries} predicate sees it. */
export interface BatchEntryView {
  readonly id: string;
  readonly message: string | undefined;
  readonly subject: string | undefined;
  readonly messageAttributes: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
}

/** The SNS emulator: an {@link EmulatedService} plus in-process inspection for tests. */
export interface SnsService extends EmulatedService {
  /** Messages published to a topic, oldest first, with where each went. */
  published(topicArn: string): readonly PublishedMessage[];
  /**
   * Makes PublishBatch fail the entries the predicate selects with `InternalError` (a receiver fault, as
   * SNS reports a transient per-entry failure); `undefined` stops it.
   */
  failEntries(predicate: ((entry: BatchEntryView) => boolean) | undefined): void;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const SQS_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;
/** What SNS accepts as an e-mail endpoint: one address, local part and domain. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** What Subscribe and the listings answer for a subscription that is not confirmed yet. */
const PENDING = 'pending confirmation';
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const PAGE_SIZE = 100;
const BATCH_LIMIT = 10;
const BATCH_MAX_BYTES = 262_144;

const WRITE_ACTIONS = new Set([
  'CreateTopic',
  'DeleteTopic',
  'SetTopicAttributes',
  'Subscribe',
  'Unsubscribe',
  'SetSubscriptionAttributes',
  'Publish',
  'PublishBatch',
  'TagResource',
  'UntagResource',
]);

/**
 * Creates the SNS emulator, delivering to queues of `sqs`. Topics belong to the creating request's account
 * and region; a topic ARN from any account is accepted by the other actions (no resource policies).
 */
export function createSnsService(env: LocalCloudEnv, sqs: SqsService): SnsService {
  const topics = new Map<string, Topic>();
  const subscriptions = new Map<string, Subscription>();
  const history = new Map<string, PublishedMessage[]>();
  let failPredicate: ((entry: BatchEntryView) => boolean) | undefined;

  const requireTopic = (arn: string): Topic => {
    const topic = topics.get(arn);
    if (!topic) throw new AwsApiError('NotFound', 'Topic does not exist', 404);
    return topic;
  };
  const requireSubscription = (arn: string): Subscription => {
    const subscription = subscriptions.get(arn);
    if (!subscription) throw new AwsApiError('NotFound', 'Subscription does not exist', 404);
    return subscription;
  };
  const subscriptionsOf = (topicArn: string) =>
    [...subscriptions.values()].filter((s) => s.topicArn === topicArn);

  function createTopic(params: QueryParams, req: LocalRequest) {
    const name = required(params, 'Name');
    if (name.endsWith('.fifo')) throw invalidParameter('Topic Name (FIFO topics are not emulated)');
    if (!TOPIC_NAME.test(name)) throw invalidParameter('Topic Name');
    const attributes = readMap(params, 'Attributes');
    validateTopicAttributes(attributes);
    delete attributes.FifoTopic;
    const arn = `arn:aws:sns:${req.region || env.defaultRegion}:${req.accountId}:${name}`;
    // CreateTopic is idempotent: an existing topic of that name is returned as it is.
    if (!topics.has(arn)) {
      const tags: Record<string, string> = {};
      for (const prefix of listPrefixes(params, 'Tags'))
        tags[params.get(`${prefix}.Key`) ?? ''] = params.get(`${prefix}.Value`) ?? '';
      topics.set(arn, { arn, name, accountId: req.accountId, attributes, tags });
    }
    return el('TopicArn', arn);
  }

  function deleteTopic(params: QueryParams) {
    const arn = required(params, 'TopicArn');
    // DeleteTopic of a topic that does not exist succeeds, as on AWS.
    topics.delete(arn);
    for (const subscription of subscriptionsOf(arn)) subscriptions.delete(subscription.arn);
    return undefined;
  }

  function listTopics(params: QueryParams, req: LocalRequest) {
    const arns = [...topics.values()]
      .filter(
        (t) => t.accountId === req.accountId && t.arn.split(':')[3] === (req.region || env.defaultRegion),
      )
      .map((t) => t.arn)
      .sort();
    const page = paginate(arns, params.get('NextToken'));
    return members('Topics', page.items, (arn) => el('TopicArn', arn)) + el('NextToken', page.nextToken);
  }

  function getTopicAttributes(params: QueryParams) {
    const topic = requireTopic(required(params, 'TopicArn'));
    const all = subscriptionsOf(topic.arn);
    const pending = all.filter((s) => s.pendingConfirmation).length;
    return mapXml('Attributes', topicAttributes(topic, { confirmed: all.length - pending, pending }));
  }

  function setTopicAttributes(params: QueryParams) {
    const topic = requireTopic(required(params, 'TopicArn'));
    const name = required(params, 'AttributeName');
    const value = params.get('AttributeValue') ?? '';
    validateTopicAttributes({ [name]: value });
    topic.attributes[name] = value;
    return undefined;
  }

  function subscribe(params: QueryParams, req: LocalRequest) {
    const topic = requireTopic(required(params, 'TopicArn'));
    const protocol = required(params, 'Protocol');
    if (protocol !== 'sqs' && protocol !== 'email' && protocol !== 'email-json') {
      throw invalidParameter(`Protocol (the local cloud subscribes sqs and email, not ${protocol})`);
    }
    const endpoint = required(params, 'Endpoint');
    if (protocol === 'sqs' && !SQS_ARN.test(endpoint)) throw invalidParameter('SQS endpoint ARN');
    if (protocol !== 'sqs' && !EMAIL.test(endpoint)) throw invalidParameter('Email address');
    const attributes = readMap(params, 'Attributes');
    const existing = subscriptionsOf(topic.arn).find(
      (s) => s.endpoint === endpoint && s.protocol === protocol,
    );
    const returnArn = params.get('ReturnSubscriptionArn') === 'true';
    if (existing) {
      // Subscribing again is idempotent unless the attributes differ.
      const differs = Object.entries(attributes).some(([k, v]) => (existing.attributes[k] ?? '') !== v);
      if (differs)
        throw invalidParameter('Attributes Reason: Subscription already exists with different attributes');
      return el('SubscriptionArn', existing.pendingConfirmation && !returnArn ? PENDING : existing.arn);
    }
    const subscription: Subscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      owner: req.accountId,
      protocol,
      pendingConfirmation: protocol !== 'sqs',
      endpoint,
      attributes: {},
    };
    applySubscriptionAttributes(subscription, attributes);
    subscriptions.set(subscription.arn, subscription);
    // SQS subscriptions need no confirmation, so their ARN is returned with or without ReturnSubscriptionArn;
    // an e-mail subscription's ARN only with it, "pending confirmation" otherwise.
    return el('SubscriptionArn', subscription.pendingConfirmation && !returnArn ? PENDING : subscription.arn);
  }

  function unsubscribe(params: QueryParams) {
    subscriptions.delete(requireSubscription(required(params, 'SubscriptionArn')).arn);
    return undefined;
  }

  function listSubscriptionsByTopic(params: QueryParams) {
    const topic = requireTopic(required(params, 'TopicArn'));
    const all = subscriptionsOf(topic.arn);
    const page = paginate(all, params.get('NextToken'));
    return (
      members(
        'Subscriptions',
        page.items,
        (s) =>
          el('SubscriptionArn', s.pendingConfirmation ? 'PendingConfirmation' : s.arn) +
          el('Owner', s.owner) +
          el('Protocol', s.protocol) +
          el('Endpoint', s.endpoint) +
          el('TopicArn', s.topicArn),
      ) + el('NextToken', page.nextToken)
    );
  }

  function getSubscriptionAttributes(params: QueryParams) {
    return mapXml(
      'Attributes',
      subscriptionAttributes(requireSubscription(required(params, 'SubscriptionArn'))),
    );
  }

  function setSubscriptionAttributes(params: QueryParams) {
    const subscription = requireSubscription(required(params, 'SubscriptionArn'));
    const name = required(params, 'AttributeName');
    applySubscriptionAttributes(subscription, { [name]: params.get('AttributeValue') ?? '' });
    return undefined;
  }

  /** Validates, records and delivers one message; returns its id. */
  function publishOne(topic: Topic, params: QueryParams, prefix: string): string {
    const messageAttributes = readMessageAttributes(params, prefix);
    const input = {
      message: params.get(`${prefix}Message`),
      subject: params.get(`${prefix}Subject`),
      messageStructure: params.get(`${prefix}MessageStructure`),
      messageAttributes,
    };
    validateMessage(input);
    const message: SnsMessage = {
      messageId: randomUUID(),
      topicArn: topic.arn,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      message: input.message!,
      ...(input.messageStructure === 'json' ? { messageStructure: 'json' as const } : {}),
      messageAttributes,
      timestamp: env.now(),
    };
    // Only confirmed subscriptions receive messages; e-mail is never delivered here (it stays pending).
    const deliveries = subscriptionsOf(topic.arn)
      .filter((subscription) => !subscription.pendingConfirmation)
      .map((subscription) => deliver(message, subscription));
    const list = history.get(topic.arn) ?? [];
    list.push({ ...message, deliveries });
    history.set(topic.arn, list);
    return message.messageId;
  }

  function deliver(message: SnsMessage, subscription: Subscription): Delivery {
    const raw = subscription.attributes.RawMessageDelivery === 'true';
    const base = { subscriptionArn: subscription.arn, endpoint: subscription.endpoint, raw };
    const scope = (subscription.attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterPolicyScope;
    if (
      subscription.filterPolicy &&
      !matchesFilterPolicy(subscription.filterPolicy, scope, {
        body: messageForSqs(message),
        attributes: message.messageAttributes,
      })
    ) {
      return { ...base, status: 'filtered' };
    }
    try {
      if (raw) {
        // Raw delivery carries the attributes over as SQS message attributes: same names, types and values.
        sqs.deliver(subscription.endpoint, messageForSqs(message), message.messageAttributes);
      } else {
        const region = subscription.topicArn.split(':')[3];
        const envelope = notificationEnvelope(message, subscription.arn, {
          signingCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-local-cloud.pem`,
          unsubscribeUrl: `${env.baseUrl().replace(/\/+$/, '')}/`,
        });
        sqs.deliver(subscription.endpoint, envelope);
      }
      return { ...base, status: 'delivered' };
    } catch (err) {
      // SNS does not fail the Publish when a subscriber cannot be reached; it retries and gives up.
      return { ...base, status: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
  }

  function publish(params: QueryParams) {
    if (params.get('PhoneNumber')) throw invalidParameter('PhoneNumber (SMS is not emulated)');
    const arn = params.get('TopicArn') ?? params.get('TargetArn');
    if (!arn) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    return el('MessageId', publishOne(requireTopic(arn), params, ''));
  }

  function publishBatch(params: QueryParams) {
    const topic = requireTopic(required(params, 'TopicArn'));
    const entries = listPrefixes(params, 'PublishBatchRequestEntries');
    if (entries.length === 0)
      throw new AwsApiError('EmptyBatchRequest', "The batch request doesn't contain any entries", 400);
    if (entries.length > BATCH_LIMIT) {
      throw new AwsApiError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
        400,
      );
    }
    const ids = entries.map((prefix) => params.get(`${prefix}.Id`) ?? '');
    if (ids.some((id) => !BATCH_ID.test(id))) {
      throw new AwsApiError(
        'InvalidBatchEntryId',
        "The Id of a batch entry in a batch request doesn't abide by the specification.",
        400,
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new AwsApiError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
        400,
      );
    }
    const total = entries.reduce(
      (sum, prefix) => sum + Buffer.byteLength(params.get(`${prefix}.Message`) ?? ''),
      0,
    );
    if (total > BATCH_MAX_BYTES) {
      throw new AwsApiError(
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
        400,
      );
    }
    const successful: string[] = [];
    const failed: string[] = [];
    entries.forEach((prefix, i) => {
      const id = ids[i]!;
      const view: BatchEntryView = {
        id,
        message: params.get(`${prefix}.Message`),
        subject: params.get(`${prefix}.Subject`),
        messageAttributes: Object.fromEntries(
          Object.entries(readMessageAttributes(params, `${prefix}.`)).map(([k, v]) => [
            k,
            { DataType: v.DataType, ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}) },
          ]),
        ),
      };
      try {
        if (failPredicate?.(view))
          throw new AwsApiError('InternalError', 'Injected entry failure.', 500, 'Receiver');
        const messageId = publishOne(topic, params, `${prefix}.`);
        successful.push(el('Id', id) + el('MessageId', messageId));
      } catch (err) {
        if (!(err instanceof AwsApiError)) throw err;
        failed.push(
          el('Id', id) +
            el('Code', err.code) +
            el('Message', err.message) +
            el('SenderFault', err.fault === 'Sender'),
        );
      }
    });
    return members('Successful', successful, (x) => x) + members('Failed', failed, (x) => x);
  }

  function tagResource(params: QueryParams) {
    const topic = requireTopic(required(params, 'ResourceArn'));
    for (const prefix of listPrefixes(params, 'Tags'))
      topic.tags[params.get(`${prefix}.Key`) ?? ''] = params.get(`${prefix}.Value`) ?? '';
    return '';
  }

  function untagResource(params: QueryParams) {
    const topic = requireTopic(required(params, 'ResourceArn'));
    for (const [key, value] of params) if (/^TagKeys\.member\.\d+$/.test(key)) delete topic.tags[value];
    return '';
  }

  function listTagsForResource(params: QueryParams) {
    const topic = requireTopic(required(params, 'ResourceArn'));
    return members('Tags', Object.entries(topic.tags), ([k, v]) => el('Key', k) + el('Value', v));
  }

  type Action = (params: QueryParams, req: LocalRequest) => string | undefined;
  const actions: Readonly<Record<string, Action>> = {
    CreateTopic: createTopic,
    DeleteTopic: deleteTopic,
    ListTopics: listTopics,
    GetTopicAttributes: getTopicAttributes,
    SetTopicAttributes: setTopicAttributes,
    Subscribe: subscribe,
    Unsubscribe: unsubscribe,
    ListSubscriptionsByTopic: listSubscriptionsByTopic,
    GetSubscriptionAttributes: getSubscriptionAttributes,
    SetSubscriptionAttributes: setSubscriptionAttributes,
    Publish: publish,
    PublishBatch: publishBatch,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
  };

  return {
    name: 'sns',
    protocol: 'query',
    operationOf: (req) => queryAction(req),
    isWrite: (operation) => WRITE_ACTIONS.has(operation),
    handle(req, operation) {
      const action = actions[operation];
      if (!action)
        throw new AwsApiError(
          'InvalidAction',
          `The action ${operation} is not valid for this endpoint.`,
          400,
        );
      return snsXml(operation, action(parseQueryParams(req), req), req.requestId);
    },
    renderError: (err, requestId) => renderQueryError(err, requestId, SNS_XML_NAMESPACE),
    reset() {
      topics.clear();
      subscriptions.clear();
      history.clear();
      failPredicate = undefined;
    },
    published: (topicArn) => [...(history.get(topicArn) ?? [])],
    failEntries(predicate) {
      failPredicate = predicate;
    },
  };
}

/** Pages of {@link PAGE_SIZE} (SNS lists 100 topics or subscriptions per call). */
function paginate<T>(items: readonly T[], token: string | undefined): OffsetPage<T> {
  return paginateByOffset(items, token, PAGE_SIZE, () => invalidParameter('NextToken'));
}
