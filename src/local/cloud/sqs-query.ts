/**
 * SQS over the AWS query protocol, which SQS still serves beside JSON and which older clients (boto3 before
 * 1.31, the AWS CLI v2 before 2.13, the JS SDK v3 before 3.4xx) speak: form-encoded `Action=SendMessage&…`
 * requests, XML responses in the `http://queue.amazonaws.com/doc/2012-11-05/` namespace, and XML error
 * documents carrying the legacy query codes (`AWS.SimpleQueueService.NonExistentQueue`) that the JSON protocol
 * sends in its `x-amzn-query-error` header.
 *
 * SQS's query model flattens every list and map and names their members (`AttributeName.1`,
 * `Attribute.1.Name` / `.Value`, `SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue`,
 * `<Message>…</Message><Message>…</Message>`); this file turns those into the JSON documents the operations
 * already take and give, so both protocols share one implementation.
 */
import { AwsApiError, type LocalRequest, type LocalResponse } from '../cloud-types.ts';
import { escapeXml, queryParams, renderQueryError, xmlResponse } from './query-protocol.ts';
import { queryErrorCode, sqsStatus } from './sqs-wire.ts';

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Which protocol a request to SQS speaks: JSON when it names its operation in `X-Amz-Target`. */
export function sqsProtocolOf(req: Pick<LocalRequest, 'headers'>): 'json' | 'query' {
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'x-amz-target' && value) return 'json';
    if (lower === 'content-type' && value?.includes('application/x-amz-json')) return 'json';
  }
  return 'query';
}

type Params = ReadonlyMap<string, string>;

/** The entries `prefix.N.*` of a flattened list or map, in index order, each as its own parameter map. */
function indexed(params: Params, prefix: string): Params[] {
  const byIndex = new Map<number, Map<string, string>>();
  const start = `${prefix}.`;
  for (const [key, value] of params) {
    if (!key.startsWith(start)) continue;
    const rest = key.slice(start.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) continue;
    const entry = byIndex.get(index) ?? new Map<string, string>();
    entry.set(dot < 0 ? '' : rest.slice(dot + 1), value);
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
}

/** A flattened string list: `Name.1`, `Name.2`, … */
function flatList(params: Params, name: string): string[] | undefined {
  const values = indexed(params, name)
    .map((entry) => entry.get(''))
    .filter((value): value is string => value !== undefined);
  return values.length > 0 ? values : undefined;
}

/** A flattened string map: `Name.N.<key>` / `Name.N.<value>`. */
function flatMap(
  params: Params,
  name: string,
  key: string,
  value: string,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const entry of indexed(params, name)) {
    const k = entry.get(key);
    if (k !== undefined) out[k] = entry.get(value) ?? '';
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `MessageAttribute.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue`. */
function messageAttributes(params: Params, name = 'MessageAttribute'): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const entry of indexed(params, name)) {
    const attributeName = entry.get('Name');
    if (attributeName === undefined) continue;
    const value: Record<string, string> = {};
    for (const field of ['DataType', 'StringValue', 'BinaryValue']) {
      const v = entry.get(`Value.${field}`);
      if (v !== undefined) value[field] = v;
    }
    out[attributeName] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Scalar members every operation may carry under their own names. */
const SCALARS = [
  'QueueUrl',
  'QueueName',
  'QueueOwnerAWSAccountId',
  'QueueNamePrefix',
  'NextToken',
  'MaxResults',
  'MessageBody',
  'DelaySeconds',
  'ReceiptHandle',
  'VisibilityTimeout',
  'MaxNumberOfMessages',
  'WaitTimeSeconds',
  'ReceiveRequestAttemptId',
  'MessageGroupId',
  'MessageDeduplicationId',
  'SourceArn',
  'DestinationArn',
  'MaxNumberOfMessagesPerSecond',
  'TaskHandle',
];

/** The members of one batch entry (`<EntryShape>.N.*`). */
function batchEntry(entry: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['Id', 'MessageBody', 'DelaySeconds', 'ReceiptHandle', 'VisibilityTimeout']) {
    const value = entry.get(name);
    if (value !== undefined) out[name] = value;
  }
  const attributes = messageAttributes(entry);
  if (attributes) out.MessageAttributes = attributes;
  return out;
}

const BATCH_ENTRY_NAMES: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessageBatchRequestEntry',
  DeleteMessageBatch: 'DeleteMessageBatchRequestEntry',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibilityBatchRequestEntry',
};

/**
 * The JSON input document a query request stands for. Without `QueueUrl`, a request sent to a queue's URL
 * (`POST /<account>/<name>`, how the original SQS API addressed queues) names that queue.
 */
export function queryInput(req: LocalRequest, operation: string, baseUrl: string): Record<string, unknown> {
  const params: Params = new Map(queryParams(req));
  const input: Record<string, unknown> = {};
  for (const name of SCALARS) {
    const value = params.get(name);
    if (value !== undefined) input[name] = value;
  }
  if (input.QueueUrl === undefined && /^\/\d{12}\/[^/]+\/?$/.test(req.path)) {
    input.QueueUrl = `${baseUrl.replace(/\/+$/, '')}${req.path.replace(/\/$/, '')}`;
  }
  const attributes = flatMap(params, 'Attribute', 'Name', 'Value');
  if (attributes) input.Attributes = attributes;
  const tags = flatMap(params, 'Tag', 'Key', 'Value');
  if (tags) input[operation === 'CreateQueue' ? 'tags' : 'Tags'] = tags;
  const lists: Record<string, string> = {
    AttributeNames: 'AttributeName',
    MessageSystemAttributeNames: 'MessageSystemAttributeName',
    MessageAttributeNames: 'MessageAttributeName',
    TagKeys: 'TagKey',
  };
  for (const [member, element] of Object.entries(lists)) {
    const values = flatList(params, element);
    if (values) input[member] = values;
  }
  const sent = messageAttributes(params);
  if (sent) input.MessageAttributes = sent;
  const entryName = BATCH_ENTRY_NAMES[operation];
  if (entryName) input.Entries = indexed(params, entryName).map(batchEntry);
  return input;
}

/** How one member of a JSON result is written in SQS's XML: a flattened list or map, or nested fields. */
type Field =
  | { readonly list: string; readonly item?: Shape }
  | { readonly map: string; readonly key: string; readonly value: string; readonly item?: Shape };
type Shape = Readonly<Record<string, Field>>;

const MESSAGE_ATTRIBUTE_VALUE: Shape = {};
const MESSAGE: Shape = {
  Attributes: { map: 'Attribute', key: 'Name', value: 'Value' },
  MessageAttributes: { map: 'MessageAttribute', key: 'Name', value: 'Value', item: MESSAGE_ATTRIBUTE_VALUE },
};
const BATCH_RESULT = (entry: string): Shape => ({
  Successful: { list: entry },
  Failed: { list: 'BatchResultErrorEntry' },
});

/** The XML shape of each operation's result (members not listed are scalars, written as they are). */
const RESULT_SHAPES: Readonly<Record<string, Shape>> = {
  CreateQueue: {},
  GetQueueUrl: {},
  GetQueueAttributes: { Attributes: { map: 'Attribute', key: 'Name', value: 'Value' } },
  ListQueues: { QueueUrls: { list: 'QueueUrl' } },
  ListDeadLetterSourceQueues: { queueUrls: { list: 'QueueUrl' } },
  ListQueueTags: { Tags: { map: 'Tag', key: 'Key', value: 'Value' } },
  SendMessage: {},
  SendMessageBatch: BATCH_RESULT('SendMessageBatchResultEntry'),
  ReceiveMessage: { Messages: { list: 'Message', item: MESSAGE } },
  DeleteMessageBatch: BATCH_RESULT('DeleteMessageBatchResultEntry'),
  ChangeMessageVisibilityBatch: BATCH_RESULT('ChangeMessageVisibilityBatchResultEntry'),
  StartMessageMoveTask: {},
  ListMessageMoveTasks: { Results: { list: 'ListMessageMoveTasksResultEntry' } },
};

/**
 * Text content as SQS writes it. A carriage return is written as a character reference: XML parsers turn a
 * literal CR into LF, and the SDKs check a received body against its MD5.
 */
function text(value: unknown): string {
  return escapeXml(String(value)).replace(/\r/g, '&#xD;');
}

function element(name: string, value: unknown, shape: Shape = {}): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return `<${name}>${text(value)}</${name}>`;
  return `<${name}>${fields(value as Record<string, unknown>, shape)}</${name}>`;
}

function fields(value: Readonly<Record<string, unknown>>, shape: Shape): string {
  let xml = '';
  for (const [member, inner] of Object.entries(value)) {
    if (inner === undefined || inner === null) continue;
    const field = shape[member];
    if (field && 'list' in field) {
      for (const item of inner as unknown[]) xml += element(field.list, item, field.item);
    } else if (field && 'map' in field) {
      for (const [key, v] of Object.entries(inner as Record<string, unknown>)) {
        xml += `<${field.map}>${element(field.key, key)}${element(field.value, v, field.item)}</${field.map}>`;
      }
    } else {
      xml += element(member, inner);
    }
  }
  return xml;
}

/**
 * A successful query response. Operations whose query model has no output (DeleteQueue, TagQueue, …) get no
 * Result element, only the response metadata.
 */
export function sqsXmlResponse(
  operation: string,
  result: Readonly<Record<string, unknown>>,
  requestId: string | undefined,
): LocalResponse {
  const shape = RESULT_SHAPES[operation];
  return xmlResponse(operation, shape === undefined ? undefined : fields(result, shape), {
    namespace: SQS_XML_NAMESPACE,
    requestId,
  });
}

/** An SQS error as a query error document: the legacy code, SQS's status for it, and the namespace. */
export function renderSqsQueryError(err: AwsApiError, requestId: string): LocalResponse {
  const legacy = new AwsApiError(queryErrorCode(err.code), err.message, sqsStatus(err), err.fault);
  return renderQueryError(legacy, requestId, SQS_XML_NAMESPACE);
}
