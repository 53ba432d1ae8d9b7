/**
 * `mfa-remediation dlq list | redrive`: inspect what the worker parked (rejected or permanently failed bodies,
 * and records whose retries were exhausted), and move it back to the remediation queue once the cause is fixed.
 *
 * `list` receives the messages (hiding them only while it pages through the queue), then returns every one
 * to visibility at once with ChangeMessageVisibility 0, so a second list or a redrive right after sees them
 * all. Each receive raises a message's receive count by one. Authentication codes inside parked bodies are
 * masked before printing.
 * `redrive` uses SQS's own StartMessageMoveTask, which moves messages back to their source queue (or to
 * `--to`), waits for the task to end and reports what it moved and what is still on the queue: SQS moves only
 * messages that are visible, so one in flight (being received elsewhere) stays behind.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { call } from '../../aws/sdk-errors.ts';
import { queueArnOf } from '../../aws/sqs.ts';
import { receiveCountOf } from '../../core/processor.ts';
import { ConfigError, errorCode, ValidationError } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import type { DlqListOptions, DlqRedriveOptions } from '../definitions/dlq.ts';
import { EXIT } from '../help.ts';

export interface ParkedMessage {
  messageId: string;
  sentAt?: string;
  receiveCount: number;
  reason?: string;
  body: string;
}

const MASK = '******';
/** Fields that hold authentication codes: the task's and the AWS CLI's (`--cli-input-json`) names. */
const SECRET_FIELD = /^(?:code[12]|authenticationcode[12])$/i;
/** Such a field's name as it appears in text, its quotes escaped to any depth (an SNS `Message` in an SNS `Message`). */
const SECRET_KEY_TEXT = /(\\*")(code[12]|AuthenticationCode[12])\\*"\s*:\s*/gi;

/**
 * Masks authentication codes in a parked body, in every form they come in: as strings or numbers, inside SNS
 * envelopes (a JSON string holding JSON, escaped once per envelope), and in bodies that are not valid JSON
 * (cut, or never JSON). A body without codes is returned exactly as it was.
 */
export function maskSecrets(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const masked = maskValue(parsed);
    return masked.changed ? JSON.stringify(masked.value) : body;
  } catch {
    return maskText(body);
  }
}

function maskValue(value: unknown): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const inner = maskSecrets(value);
      return { value: inner, changed: inner !== value };
    }
    const text = maskText(value);
    return { value: text, changed: text !== value };
  }
  if (value === null || typeof value !== 'object') return { value, changed: false };
  let changed = false;
  const entries = Object.entries(value).map(([key, inner]) => {
    if (SECRET_FIELD.test(key)) {
      changed = true;
      return [key, MASK] as const;
    }
    const masked = maskValue(inner);
    changed ||= masked.changed;
    return [key, masked.value] as const;
  });
  if (!changed) return { value, changed };
  return { value: Array.isArray(value) ? entries.map(([, v]) => v) : Object.fromEntries(entries), changed };
}

/** Masks the value after each code field's name in text that is not (or no longer) valid JSON. */
function maskText(text: string): string {
  let result = '';
  let last = 0;
  for (const match of text.matchAll(SECRET_KEY_TEXT)) {
    const start = (match.index ?? 0) + match[0].length;
    const quote = match[1] ?? '"';
    let end: number;
    if (text.startsWith(quote, start)) {
      // A string value: up to the closing quote escaped as deeply as the opening one.
      const close = text.indexOf(quote, start + quote.length);
      end = close < 0 ? text.length : close + quote.length;
    } else {
      // A number (or anything unquoted): up to the next delimiter.
      const next = text.slice(start).search(/[,}\]\s\\]/);
      end = next < 0 ? text.length : start + next;
    }
    result += `${text.slice(last, start)}${quote}${MASK}${quote}`;
    last = end;
  }
  return result + text.slice(last);
}

/**
 * Receives up to `max` messages and returns every one of them to visibility before resolving (also when a
 * receive fails): while paging, received messages stay hidden (30 s) so the next receive returns others.
 */
export async function peekMessages(sqs: SQSClient, queueUrl: string, max: number): Promise<ParkedMessage[]> {
  const seen = new Map<string, ParkedMessage>();
  const received: Message[] = [];
  try {
    for (let round = 0; round < Math.ceil(max / 10) + 2 && seen.size < max; round++) {
      const response = await call('sqs', 'ReceiveMessage', () =>
        sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: 30,
            WaitTimeSeconds: round === 0 ? 1 : 0,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
            MessageAttributeNames: ['All'],
          }),
        ),
      );
      const messages = response.Messages ?? [];
      if (messages.length === 0) break;
      received.push(...messages);
      for (const m of messages) {
        const sent = Number(m.Attributes?.SentTimestamp);
        seen.set(m.MessageId ?? '', {
          messageId: m.MessageId ?? '',
          ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
          receiveCount: receiveCountOf(m.Attributes?.ApproximateReceiveCount),
          ...(m.MessageAttributes?.['rejection-reason']?.StringValue
            ? { reason: m.MessageAttributes['rejection-reason'].StringValue }
            : {}),
          body: maskSecrets(m.Body ?? ''),
        });
      }
    }
  } finally {
    await releaseMessages(sqs, queueUrl, received);
  }
  return [...seen.values()];
}

/** ChangeMessageVisibility 0 for every received message, ten per call, so nothing stays hidden. */
async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const response = await call('sqs', 'ChangeMessageVisibilityBatch', () =>
      sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, index) => ({
            Id: String(index),
            ReceiptHandle: m.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      ),
    );
    if ((response.Failed ?? []).length > 0) {
      throw new Error(
        `${response.Failed?.length} message(s) stay hidden for 30 s: ChangeMessageVisibility failed (${response.Failed?.[0]?.Code})`,
      );
    }
  }
}

function deadLetterQueueUrl(flag: string | undefined, configured: string | undefined): string {
  const url = flag ?? configured;
  if (!url) {
    throw new ValidationError('--queue-url is required (or set DEAD_LETTER_QUEUE_URL)', {
      field: '--queue-url',
    });
  }
  return url;
}

/** The queue's ARN; a queue that does not exist is a configuration error naming where its URL came from. */
async function arnOf(sqs: SQSClient, url: string, source: string): Promise<string> {
  try {
    return await queueArnOf(sqs, url);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new ConfigError(source, `the queue ${url} does not exist (in this account and region)`);
    }
    throw error;
  }
}

export async function runDlqList(cli: CliContext, options: DlqListOptions): Promise<void> {
  const runtime = await cli.runtime({ requireTopic: false });
  const url = deadLetterQueueUrl(options.queueUrl, runtime.config.deadLetterQueueUrl);
  await arnOf(runtime.sqs, url, options.queueUrl ? '--queue-url' : 'DEAD_LETTER_QUEUE_URL');
  const messages = await peekMessages(runtime.sqs, url, options.max);
  cli.print(messages, {
    rows: messages,
    columns: [
      { header: 'MESSAGE ID', value: (m) => m.messageId },
      { header: 'SENT', value: (m) => m.sentAt },
      { header: 'RECEIVES', value: (m) => m.receiveCount },
      { header: 'REASON', value: (m) => m.reason ?? '(retries exhausted)', flex: true },
    ],
    footer: `${messages.length} message(s)${messages.length === options.max ? ` (--max ${options.max}; there may be more)` : ''}`,
  });
}

/** What a redrive did. */
export interface RedriveResult {
  readonly taskHandle?: string;
  readonly sourceArn: string;
  readonly destinationArn?: string;
  readonly status: string;
  readonly moved: number;
  readonly toMove?: number;
  readonly failureReason?: string;
  /** Messages still on the dead-letter queue afterwards (visible and in flight). */
  readonly remaining?: number;
}

async function depth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const response = await call('sqs', 'GetQueueAttributes', () =>
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export async function runDlqRedrive(cli: CliContext, options: DlqRedriveOptions): Promise<void> {
  const runtime = await cli.runtime({ requireTopic: false });
  const { sqs } = runtime;
  const url = deadLetterQueueUrl(options.queueUrl, runtime.config.deadLetterQueueUrl);
  const sourceArn = await arnOf(sqs, url, options.queueUrl ? '--queue-url' : 'DEAD_LETTER_QUEUE_URL');
  const destination = options.to ?? runtime.config.remediationQueueUrl;
  const destinationArn = destination
    ? await arnOf(sqs, destination, options.to ? '--to' : 'REMEDIATION_QUEUE_URL')
    : undefined;
  const before = await depth(sqs, url);
  if (before.inFlight > 0) {
    cli.io.stderr.write(
      `dlq redrive: ${before.inFlight} message(s) are in flight (received elsewhere) and will not move until they are visible again\n`,
    );
  }
  const startedAt = Date.now();
  const started = await call('sqs', 'StartMessageMoveTask', () =>
    sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        ...(destinationArn ? { DestinationArn: destinationArn } : {}),
      }),
    ),
  );
  // ListMessageMoveTasks names a task's handle only while it runs; SQS runs one task per source queue at a
  // time, so the newest task listed is the one just started.
  const latest = async (): Promise<ListMessageMoveTasksResultEntry | undefined> => {
    const tasks = await call('sqs', 'ListMessageMoveTasks', () =>
      sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 })),
    );
    return tasks.Results?.[0];
  };
  let task = await latest();
  cli.status.set('dlq redrive: moving messages');
  try {
    while (
      options.wait &&
      !ENDED.has(task?.Status ?? '') &&
      Date.now() - startedAt < options.waitTimeout * 1000
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      task = await latest();
      cli.status.set(`dlq redrive: ${task?.ApproximateNumberOfMessagesMoved ?? 0} moved`);
    }
  } finally {
    cli.status.clear();
  }
  const after = options.wait ? await depth(sqs, url) : undefined;
  const result: RedriveResult = {
    ...(started.TaskHandle ? { taskHandle: started.TaskHandle } : {}),
    sourceArn,
    ...(destinationArn ? { destinationArn } : {}),
    status: task?.Status ?? 'UNKNOWN',
    moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
    ...(task?.ApproximateNumberOfMessagesToMove === undefined
      ? {}
      : { toMove: task.ApproximateNumberOfMessagesToMove }),
    ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}),
    ...(after ? { remaining: after.visible + after.inFlight } : {}),
  };
  cli.print(result, {
    rows: [result],
    columns: [
      { header: 'STATUS', value: (r) => r.status },
      { header: 'MOVED', value: (r) => r.moved },
      { header: 'REMAINING', value: (r) => r.remaining },
      {
        header: 'TO',
        // The queue's name (the ARN's last part; the ARN is in the JSON): short enough to stay whole.
        value: (r) => r.destinationArn?.split(':').pop() ?? "(each message's source queue)",
        flex: true,
      },
      { header: 'TASK', value: (r) => r.taskHandle, flex: true },
    ],
    ...(result.failureReason ? { footer: `failure: ${result.failureReason}` } : {}),
  });
  if (!options.wait) return;
  if (!ENDED.has(result.status)) {
    cli.io.stderr.write(
      `dlq redrive: the move task did not end within ${options.waitTimeout} s (still ${result.status})\n`,
    );
    process.exitCode = EXIT.workFailed;
  } else if (result.status !== 'COMPLETED') {
    cli.io.stderr.write(
      `dlq redrive: the move task ended ${result.status}${result.failureReason ? `: ${result.failureReason}` : ''}\n`,
    );
    process.exitCode = EXIT.workFailed;
  } else if ((result.remaining ?? 0) > 0) {
    cli.io.stderr.write(
      `dlq redrive: ${result.remaining} message(s) are still on the dead-letter queue (moved ${result.moved})\n`,
    );
    process.exitCode = EXIT.workFailed;
  }
}
