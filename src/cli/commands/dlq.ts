/**
 * `mfa-remediation dlq list | redrive`: inspect what the worker parked (rejected or permanently failed bodies,
 * and records whose retries were exhausted), and move it back to the remediation queue once the cause is fixed.
 *
 * `list` peeks with a short visibility timeout (as the SQS console does), so it raises each message's receive
 * count by one. Authentication codes inside parked bodies are masked before printing.
 * `redrive` uses SQS's own StartMessageMoveTask, which moves messages back to their source queue.
 */
import {
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { call } from '../../aws/sdk-errors.ts';
import { queueArnOf } from '../../aws/sqs.ts';
import { receiveCountOf } from '../../core/processor.ts';
import { ValidationError } from '../../errors.ts';
import { integerFlag } from '../args.ts';
import type { CliContext } from '../context.ts';

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

export async function peekMessages(sqs: SQSClient, queueUrl: string, max: number): Promise<ParkedMessage[]> {
  const seen = new Map<string, ParkedMessage>();
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
  return [...seen.values()];
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

export function registerDlq(program: Command, cli: CliContext): void {
  const dlq = program.command('dlq').description('inspect and redrive the dead-letter queue');
  const queueOption = '--queue-url <url>';

  dlq
    .command('list')
    .description('show parked messages and why they were parked (codes masked)')
    .option(queueOption, 'the dead-letter queue (default: DEAD_LETTER_QUEUE_URL)')
    .option('--max <n>', 'messages to show at most', integerFlag(1, 1000), 50)
    .action(async (options: { queueUrl?: string; max: number }) => {
      const runtime = cli.runtime({ requireTopic: false });
      const url = deadLetterQueueUrl(options.queueUrl, runtime.config.deadLetterQueueUrl);
      const messages = await peekMessages(runtime.sqs, url, options.max);
      cli.print(messages, {
        rows: messages,
        columns: [
          { header: 'MESSAGE ID', value: (m) => m.messageId },
          { header: 'SENT', value: (m) => m.sentAt },
          { header: 'RECEIVES', value: (m) => m.receiveCount },
          { header: 'REASON', value: (m) => m.reason ?? '(retries exhausted)' },
        ],
        footer: `${messages.length} message(s)`,
      });
    });

  dlq
    .command('redrive')
    .description('move parked messages back to the remediation queue (SQS StartMessageMoveTask)')
    .option(queueOption, 'the dead-letter queue (default: DEAD_LETTER_QUEUE_URL)')
    .option('--to <url>', 'destination queue (default: the source queue SQS recorded for each message)')
    .action(async (options: { queueUrl?: string; to?: string }) => {
      const runtime = cli.runtime({ requireTopic: false });
      const url = deadLetterQueueUrl(options.queueUrl, runtime.config.deadLetterQueueUrl);
      const sourceArn = await queueArnOf(runtime.sqs, url);
      const destination = options.to ?? runtime.config.remediationQueueUrl;
      const destinationArn = destination ? await queueArnOf(runtime.sqs, destination) : undefined;
      const started = await call('sqs', 'StartMessageMoveTask', () =>
        runtime.sqs.send(
          new StartMessageMoveTaskCommand({
            SourceArn: sourceArn,
            ...(destinationArn ? { DestinationArn: destinationArn } : {}),
          }),
        ),
      );
      const tasks = await call('sqs', 'ListMessageMoveTasks', () =>
        runtime.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 })),
      );
      const task = tasks.Results?.[0];
      const result = {
        taskHandle: started.TaskHandle,
        sourceArn,
        ...(destinationArn ? { destinationArn } : {}),
        status: task?.Status,
        moved: task?.ApproximateNumberOfMessagesMoved,
        toMove: task?.ApproximateNumberOfMessagesToMove,
      };
      cli.print(result, {
        rows: [result],
        columns: [
          { header: 'TASK', value: (r) => r.taskHandle },
          { header: 'STATUS', value: (r) => r.status },
          { header: 'MOVED', value: (r) => r.moved },
          { header: 'TO MOVE', value: (r) => r.toMove },
        ],
      });
    });
}
