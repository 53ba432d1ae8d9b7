/**
 * `mfa-remediation process [FILE|-]`: process message bodies without a queue and print their outcomes. Input
 * is one message body, a Lambda SQS event (`{"Records": [...]}`), or JSON lines (one body per line).
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { processBatch } from '../../core/batch.ts';
import type { Outcome } from '../../core/model.ts';
import { type RecordInput, receiveCountOf } from '../../core/processor.ts';
import { ValidationError } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { checkTopic } from '../preflight.ts';
import { exitStatusFor } from '../results.ts';
import { outcomeColumns } from './outcome-table.ts';

/** Splits input into records: an SQS event, a single JSON document, or JSON lines. */
export function toRecords(input: string): RecordInput[] {
  const trimmed = input.trim();
  if (trimmed === '')
    throw new ValidationError('input is empty: give a message body, an SQS event or JSON lines');
  try {
    const parsed: unknown = JSON.parse(trimmed);
    const records = (parsed as { Records?: unknown }).Records;
    if (Array.isArray(records)) {
      return records.map(
        (r: { messageId?: string; body?: string; attributes?: { ApproximateReceiveCount?: string } }, i) => ({
          messageId: r.messageId ?? `record-${i + 1}`,
          body: r.body ?? '',
          receiveCount: receiveCountOf(r.attributes?.ApproximateReceiveCount),
        }),
      );
    }
    return [{ messageId: 'record-1', body: trimmed, receiveCount: 1 }];
  } catch {
    return trimmed
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line, i) => ({ messageId: `line-${i + 1}`, body: line, receiveCount: 1 }));
  }
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new ValidationError(`${file}: ${why}`, { field: 'FILE' });
  }
}

export async function runProcess(cli: CliContext, _options: unknown, args: readonly string[]): Promise<void> {
  const file = args[0] ?? '-';
  const input = file === '-' ? await text(cli.io.stdin) : await readInput(file);
  const records = toRecords(input);
  const runtime = await cli.runtime({ requireTopic: false });
  await checkTopic(runtime.sns, runtime.config.outcomeTopicArn);
  const outcomes: Outcome[] = [];
  let unpublished = 0;
  const deps = runtime.depsFor(runtime.config.remediationQueueUrl);
  const result = await processBatch(
    records,
    {
      ...deps,
      // Without a dead-letter queue, rejected bodies are reported, not parked.
      ...(runtime.config.deadLetterQueueUrl ? {} : { queue: undefined }),
      publisher: {
        async publish(batch) {
          if (!runtime.config.outcomeTopicArn) {
            outcomes.push(...batch);
            return { failed: [] };
          }
          const published = await runtime.publisher.publish(batch).catch((error: unknown) => {
            unpublished += batch.length;
            throw error;
          });
          unpublished += published.failed.length;
          outcomes.push(...batch);
          return published;
        },
      },
    },
    { log: runtime.log },
  );
  // Records run concurrently; print in input order (a record's outcomes keep their own order).
  const position = new Map(records.map((r, i) => [r.messageId, i]));
  const order = (o: Outcome) => position.get(o.trigger.messageId ?? '') ?? records.length;
  outcomes.sort((a, b) => order(a) - order(b));
  cli.printStream(outcomes, { columns: outcomeColumns });

  // A record left for retry has no outcome of its own: say what happened, as SQS would redeliver it.
  const retried = result.results.filter((r) => r.status === 'retry');
  const retriedIds = new Set(retried.map((r) => r.messageId));
  for (const record of retried) {
    const why = record.retryReason
      ? `${record.retryReason.code}: ${record.retryReason.message}`
      : 'retryable error';
    cli.io.stderr.write(
      `process: ${record.messageId} not finished (${why}); from a queue, SQS would deliver it again` +
        `${record.visibilitySeconds ? ` in ${record.visibilitySeconds} s` : ''}\n`,
    );
  }
  for (const failure of result.batchItemFailures) {
    if (!retriedIds.has(failure.itemIdentifier)) {
      cli.io.stderr.write(`process: ${failure.itemIdentifier} not processed (see the log line above)\n`);
    }
  }
  if (unpublished > 0) {
    cli.io.stderr.write(
      `process: ${unpublished} outcome(s) could not be published to ${runtime.config.outcomeTopicArn}\n`,
    );
  }
  process.exitCode = exitStatusFor(outcomes, { unpublished, leftForRetry: result.batchItemFailures.length });
}
