/**
 * `mfa-remediation process [FILE|-]`: process message bodies without a queue and print their outcomes. Input
 * is one message body, a Lambda SQS event (`{"Records": [...]}`), or JSON lines (one body per line).
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { processBatch } from '../../core/batch.ts';
import type { Outcome } from '../../core/model.ts';
import { type RecordInput, receiveCountOf } from '../../core/processor.ts';
import { ValidationError } from '../../errors.ts';
import { type CliContext, EXIT } from '../context.ts';
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

export function registerProcess(program: Command, cli: CliContext): void {
  program
    .command('process')
    .description('process message bodies without a queue and print the outcomes')
    .argument('[file]', 'a file, or - for standard input', '-')
    .action(async (file: string) => {
      const input = file === '-' ? await text(cli.io.stdin) : await readInput(file);
      const records = toRecords(input);
      const runtime = cli.runtime({ requireTopic: false });
      const outcomes: Outcome[] = [];
      const deps = runtime.depsFor(runtime.config.remediationQueueUrl);
      const result = await processBatch(
        records,
        {
          ...deps,
          // Without a dead-letter queue, rejected bodies are reported, not parked.
          ...(runtime.config.deadLetterQueueUrl ? {} : { queue: undefined }),
          publisher: {
            async publish(batch) {
              outcomes.push(...batch);
              return runtime.config.outcomeTopicArn ? runtime.publisher.publish(batch) : { failed: [] };
            },
          },
        },
        { log: runtime.log },
      );
      // Records run concurrently; print in input order (a record's outcomes keep their own order).
      const position = new Map(records.map((r, i) => [r.messageId, i]));
      const order = (o: Outcome) => position.get(o.trigger.messageId ?? '') ?? records.length;
      outcomes.sort((a, b) => order(a) - order(b));
      if (cli.globals.output === 'json' && !cli.globals.query) {
        for (const outcome of outcomes) cli.printLine(outcome);
      } else {
        cli.print(outcomes, { rows: outcomes, columns: outcomeColumns });
      }
      const failed = result.batchItemFailures.length > 0 || outcomes.some((o) => o.outcome === 'failed');
      process.exitCode = failed ? EXIT.workFailed : EXIT.ok;
    });
}
