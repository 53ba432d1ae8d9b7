/**
 * Amazon SQS emulator (standard queues) for the local cloud. Speaks both protocols SQS serves: AWS JSON 1.0
 * (`X-Amz-Target: AmazonSQS.<Operation>`, what current SDKs use), with the query-compatible error header, and
 * the query protocol older clients use (`Action=<Operation>`, XML; see sqs-query.ts). It offers in-process
 * methods for SNS delivery and tests.
 */
import type {
  AwsApiError,
  EmulatedService,
  LocalCloudEnv,
  LocalRequest,
  LocalResponse,
} from '../cloud-types.ts';
import { jsonResponse, parseJsonObject, targetOperation } from './json-protocol.ts';
import { queryAction } from './query-protocol.ts';
import {
  type COMPUTED_QUEUE_ATTRIBUTES,
  DEFAULT_QUEUE_ATTRIBUTES,
  isQueueAttributeName,
  parseRedrivePolicy,
  validateQueueAttributes,
} from './sqs-attributes.ts';
import {
  type Input,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
  stringMap,
} from './sqs-input.ts';
import type { StoredMessageAttribute } from './sqs-md5.ts';
import { createMessageOperations, type Sender } from './sqs-messages.ts';
import { assertIsDeadLetterQueue, type MoveTask, runMoveTask, toWireMoveTask } from './sqs-move-tasks.ts';
import { queryInput, renderSqsQueryError, sqsProtocolOf, sqsXmlResponse } from './sqs-query.ts';
import { type QueueView, SqsQueue } from './sqs-queue.ts';
import { SqsStore } from './sqs-store.ts';
import { renderSqsError, SQS_TARGET_PREFIX, sqsError } from './sqs-wire.ts';

export type { QueueView } from './sqs-queue.ts';

/** A message attribute handed to {@link SqsService.deliver} (SNS raw delivery passes its own through). */
export interface DeliveredAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** A message as {@link SqsService.peek} shows it, without receiving it. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, DeliveredAttribute>>;
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  /** Whether a ReceiveMessage could return it now (not delayed, not in flight). */
  readonly visible: boolean;
  readonly deadLetterSourceArn?: string;
}

/** The SQS emulator: an {@link EmulatedService} plus in-process access for SNS and tests. */
export interface SqsService extends EmulatedService {
  /**
   * SQS errors in the caller's protocol: JSON with the query-compatible `x-amzn-query-error` header, or a
   * query error document with the legacy code (injected faults too).
   */
  renderError(err: AwsApiError, requestId: string, req?: LocalRequest): LocalResponse;
  /**
   * Enqueues a message as another AWS service does (SNS → SQS): no size or attribute validation beyond what
   * the sender already did. Throws `QueueDoesNotExist` when no queue has this ARN.
   */
  deliver(queueArn: string, body: string, attributes?: Readonly<Record<string, DeliveredAttribute>>): void;
  queueByUrl(queueUrl: string): QueueView | undefined;
  queueByArn(queueArn: string): QueueView | undefined;
  /** Every message of a queue in order, in flight and delayed ones included; nothing changes. */
  peek(queueUrl: string): PeekedMessage[];
  /** Number of messages in a queue, whatever their state (0 for an unknown queue). */
  depth(queueUrl: string): number;
}

/** SenderId SQS records for messages SNS delivers (the SNS service principal's id). */
const SNS_SENDER_ID = 'AIDAIT2UOQQY3AUEKVGXU';

const WRITE_OPERATIONS = new Set([
  'CreateQueue',
  'DeleteQueue',
  'SetQueueAttributes',
  'PurgeQueue',
  'SendMessage',
  'SendMessageBatch',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'TagQueue',
  'UntagQueue',
]);

/**
 * Creates the SQS emulator. Queues belong to the account of the request that creates them; the caller's
 * access key id stands in for the SenderId attribute (AWS reports the principal's unique id).
 */
export function createSqsService(env: LocalCloudEnv): SqsService {
  const store = new SqsStore(env);
  const messages = createMessageOperations(store, env);
  const moveTasks = new Map<string, MoveTask[]>();

  const resolveAttributes = (attributes: Record<string, string>) =>
    validateQueueAttributes(attributes, (arn) => store.byArn(arn) !== undefined);

  function createQueue(input: Input, req: LocalRequest) {
    const name = requiredString(input, 'QueueName');
    store.assertValidName(name);
    const attributes = resolveAttributes(stringMap(input, 'Attributes'));
    const existing = store.get(req.accountId, name);
    if (existing) {
      // CreateQueue is idempotent only if every attribute given matches the existing queue's value.
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? '') !== value) {
          throw sqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return { QueueUrl: existing.url };
    }
    const settable = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== ''));
    const queue = new SqsQueue(
      name,
      req.accountId,
      req.region || env.defaultRegion,
      store.urlOf(req.accountId, name),
      { ...DEFAULT_QUEUE_ATTRIBUTES, ...settable },
      stringMap(input, 'tags'),
      env.now(),
    );
    store.add(queue);
    return { QueueUrl: queue.url };
  }

  function getQueueUrl(input: Input, req: LocalRequest) {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId') ?? req.accountId;
    const queue = store.get(owner, name);
    if (!queue) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return { QueueUrl: queue.url };
  }

  function getQueueAttributes(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const names = stringList(input, 'AttributeNames');
    for (const name of names) {
      if (!isQueueAttributeName(name)) throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    const counts = queue.counts(env.now());
    const computed: Record<(typeof COMPUTED_QUEUE_ATTRIBUTES)[number], string> = {
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      QueueArn: queue.arn,
    };
    const everything: Record<string, string> = { ...queue.attributes, ...computed };
    const wanted = names.includes('All') ? Object.keys(everything) : names;
    const Attributes: Record<string, string> = {};
    for (const name of wanted) {
      const value = everything[name];
      if (value !== undefined) Attributes[name] = value;
    }
    return Object.keys(Attributes).length > 0 ? { Attributes } : {};
  }

  function setQueueAttributes(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    const attributes = resolveAttributes(stringMap(input, 'Attributes'));
    for (const [key, value] of Object.entries(attributes)) {
      if (value === '' && (key === 'RedrivePolicy' || key === 'Policy' || key === 'RedriveAllowPolicy')) {
        delete queue.attributes[key];
      } else {
        queue.attributes[key] = value;
      }
    }
    queue.lastModifiedAt = env.now();
    queue.notify();
    return {};
  }

  function listQueues(input: Input, req: LocalRequest) {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
    const after = decodeToken(optionalString(input, 'NextToken'));
    const names = store
      .all()
      .filter((q) => q.accountId === req.accountId && q.name.startsWith(prefix))
      .map((q) => q.name)
      .sort()
      .filter((name) => after === undefined || name > after);
    const page = names.slice(0, maxResults ?? 1000);
    if (page.length === 0) return {};
    const more = maxResults !== undefined && names.length > page.length;
    return {
      QueueUrls: page.map((name) => store.urlOf(req.accountId, name)),
      ...(more ? { NextToken: Buffer.from(page.at(-1)!, 'utf8').toString('base64') } : {}),
    };
  }

  function deleteQueue(input: Input) {
    store.remove(store.require(requiredString(input, 'QueueUrl')));
    return {};
  }

  function purgeQueue(input: Input) {
    store.require(requiredString(input, 'QueueUrl')).purge();
    return {};
  }

  function listDeadLetterSourceQueues(input: Input) {
    const target = store.require(requiredString(input, 'QueueUrl'));
    const sources = store
      .all()
      .filter((q) => parseRedrivePolicy(q.attributes.RedrivePolicy)?.deadLetterTargetArn === target.arn);
    return { queueUrls: sources.map((q) => q.url).sort() };
  }

  function startMessageMoveTask(input: Input) {
    const sourceArn = requiredString(input, 'SourceArn');
    const source = store.byArn(sourceArn);
    if (!source) {
      throw sqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    }
    assertIsDeadLetterQueue(source, store.all());
    const destinationArn = optionalString(input, 'DestinationArn');
    const destination = destinationArn ? store.byArn(destinationArn) : undefined;
    if (destinationArn && !destination) {
      throw sqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      );
    }
    const maxNumberOfMessagesPerSecond = optionalInteger(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
    const task = runMoveTask(
      source,
      { destination, destinationArn, maxNumberOfMessagesPerSecond },
      env.now(),
      (arn) => store.byArn(arn),
    );
    moveTasks.set(sourceArn, [task, ...(moveTasks.get(sourceArn) ?? [])]);
    return { TaskHandle: task.taskHandle };
  }

  function listMessageMoveTasks(input: Input) {
    const sourceArn = requiredString(input, 'SourceArn');
    if (!store.byArn(sourceArn)) {
      throw sqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    }
    const max = optionalInteger(input, 'MaxResults', 1, 10) ?? 1;
    return { Results: (moveTasks.get(sourceArn) ?? []).slice(0, max).map(toWireMoveTask) };
  }

  function tagQueue(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    Object.assign(queue.tags, stringMap(input, 'Tags'));
    return {};
  }

  function untagQueue(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    for (const key of stringList(input, 'TagKeys')) delete queue.tags[key];
    return {};
  }

  function listQueueTags(input: Input) {
    const queue = store.require(requiredString(input, 'QueueUrl'));
    return Object.keys(queue.tags).length > 0 ? { Tags: { ...queue.tags } } : {};
  }

  type Operation = (input: Input, req: LocalRequest, sender: Sender) => unknown;
  const operations: Readonly<Record<string, Operation>> = {
    CreateQueue: createQueue,
    GetQueueUrl: getQueueUrl,
    GetQueueAttributes: getQueueAttributes,
    SetQueueAttributes: setQueueAttributes,
    ListQueues: listQueues,
    DeleteQueue: deleteQueue,
    PurgeQueue: purgeQueue,
    ListDeadLetterSourceQueues: listDeadLetterSourceQueues,
    StartMessageMoveTask: startMessageMoveTask,
    ListMessageMoveTasks: listMessageMoveTasks,
    TagQueue: tagQueue,
    UntagQueue: untagQueue,
    ListQueueTags: listQueueTags,
    SendMessage: (input, _req, sender) => messages.sendMessage(input, sender),
    SendMessageBatch: (input, _req, sender) => messages.sendMessageBatch(input, sender),
    ReceiveMessage: (input) => messages.receiveMessage(input),
    DeleteMessage: (input) => messages.deleteMessage(input),
    DeleteMessageBatch: (input) => messages.deleteMessageBatch(input),
    ChangeMessageVisibility: (input) => messages.changeMessageVisibility(input),
    ChangeMessageVisibilityBatch: (input) => messages.changeMessageVisibilityBatch(input),
  };

  return {
    name: 'sqs',
    protocol: 'json-1.0',
    operationOf: (req) =>
      sqsProtocolOf(req) === 'json' ? targetOperation(req, SQS_TARGET_PREFIX) : queryAction(req),
    isWrite: (operation) => WRITE_OPERATIONS.has(operation),

    async handle(req: LocalRequest, operation: string): Promise<LocalResponse> {
      const protocol = sqsProtocolOf(req);
      const run = operations[operation];
      if (!run) {
        if (
          protocol === 'query' &&
          !new URLSearchParams(req.body).has('Action') &&
          !req.query.has('Action')
        ) {
          throw sqsError('MissingAction', 'The request must contain the parameter Action.');
        }
        throw sqsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
      }
      const input =
        protocol === 'json' ? parseJsonObject(req.body) : queryInput(req, operation, env.baseUrl());
      const result = (await run(input, req, { senderId: req.accessKeyId })) as Record<string, unknown>;
      return protocol === 'json'
        ? jsonResponse('json-1.0', result)
        : sqsXmlResponse(operation, result, req.requestId);
    },

    renderError: (err, requestId, req) =>
      req && sqsProtocolOf(req) === 'query'
        ? renderSqsQueryError(err, requestId)
        : renderSqsError(err, requestId),

    reset() {
      store.clear();
      moveTasks.clear();
    },

    deliver(queueArn, body, attributes = {}) {
      const queue = store.byArn(queueArn);
      if (!queue) throw sqsError('QueueDoesNotExist', `The specified queue does not exist: ${queueArn}`);
      const messageAttributes: Record<string, StoredMessageAttribute> = {};
      for (const [name, value] of Object.entries(attributes)) {
        messageAttributes[name] =
          value.BinaryValue !== undefined
            ? { dataType: value.DataType, binaryValue: Buffer.from(value.BinaryValue) }
            : { dataType: value.DataType, stringValue: value.StringValue ?? '' };
      }
      queue.enqueue({ body, messageAttributes, senderId: SNS_SENDER_ID }, env.now());
    },

    queueByUrl: (queueUrl) => store.byUrl(queueUrl),
    queueByArn: (queueArn) => store.byArn(queueArn),

    peek(queueUrl) {
      const queue = store.byUrl(queueUrl);
      if (!queue) return [];
      const now = env.now();
      queue.expire(now);
      return [...queue.messages.values()].map((m) => ({
        messageId: m.messageId,
        body: m.body,
        messageAttributes: Object.fromEntries(
          Object.entries(m.messageAttributes).map(([name, a]) => [
            name,
            a.binaryValue !== undefined
              ? { DataType: a.dataType, BinaryValue: new Uint8Array(a.binaryValue) }
              : { DataType: a.dataType, StringValue: a.stringValue },
          ]),
        ),
        sentTimestamp: m.sentTimestamp,
        receiveCount: m.receiveCount,
        visible: m.visibleAt <= now,
        ...(m.deadLetterSourceArn ? { deadLetterSourceArn: m.deadLetterSourceArn } : {}),
      }));
    },

    depth(queueUrl) {
      const queue = store.byUrl(queueUrl);
      if (!queue) return 0;
      queue.expire(env.now());
      return queue.messages.size;
    },
  };
}

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (decoded === '') throw sqsError('InvalidParameterValue', 'Invalid NextToken value.');
  return decoded;
}
