/**
 * Publishing outcomes to the SNS topic with PublishBatch (at most 10 entries and 256 KiB a call). Each entry carries the
 * filterable `String` attributes and a human Subject; entries SNS reports as failed are returned so their
 * records are retried.
 */
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Outcome, SweepSummary } from '../core/model.ts';
import { outcomeAttributes, outcomeSubject } from '../core/outcomes.ts';
import type { OutcomePublisher } from '../core/ports.ts';
import { call } from './sdk-errors.ts';

/** PublishBatch: at most 10 entries, and 256 KiB for all the entries' messages together. */
const BATCH_SIZE = 10;
export const BATCH_MAX_BYTES = 262_144;

/** `String` message attributes, as SNS and SQS both take them. */
export function stringAttributes(attributes: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

/** An outcome as a PublishBatch entry, and the bytes SNS counts for it (message, subject and attributes). */
function entryOf(outcome: Outcome) {
  const message = JSON.stringify(outcome);
  const subject = outcomeSubject(outcome);
  const attributes = outcomeAttributes(outcome);
  let bytes = Buffer.byteLength(message) + Buffer.byteLength(subject);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value);
  }
  return { message, subject, attributes, bytes };
}

/**
 * Splits outcomes into PublishBatch calls of at most 10 entries and 256 KiB: a Security Hub event of 100
 * findings yields 100 outcomes, and ten large ones together can exceed the byte limit though none alone does.
 */
export function chunkForPublishBatch(outcomes: readonly Outcome[]): Outcome[][] {
  const chunks: Outcome[][] = [];
  let chunk: Outcome[] = [];
  let bytes = 0;
  for (const outcome of outcomes) {
    const size = entryOf(outcome).bytes;
    if (chunk.length > 0 && (chunk.length === BATCH_SIZE || bytes + size > BATCH_MAX_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(outcome);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export function createSnsPublisher(client: SNSClient, topicArn: string): OutcomePublisher {
  return {
    async publish(outcomes) {
      const failed: Outcome[] = [];
      for (const chunk of chunkForPublishBatch(outcomes)) {
        try {
          const response = await call('sns', 'PublishBatch', () =>
            client.send(
              new PublishBatchCommand({
                TopicArn: topicArn,
                PublishBatchRequestEntries: chunk.map((outcome, index) => {
                  const entry = entryOf(outcome);
                  return {
                    Id: String(index),
                    Message: entry.message,
                    Subject: entry.subject,
                    MessageAttributes: stringAttributes(entry.attributes),
                  };
                }),
              }),
            ),
          );
          for (const entry of response.Failed ?? []) {
            const outcome = chunk[Number(entry.Id)];
            if (outcome) failed.push(outcome);
          }
        } catch {
          failed.push(...chunk);
        }
      }
      return { failed };
    },

    async publishSweepSummary(summary: SweepSummary) {
      await call('sns', 'Publish', () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: JSON.stringify(summary),
            Subject:
              `MFA sweep of ${summary.accountId}: ${summary.nonCompliant} of ${summary.usersScanned} users lack MFA`.slice(
                0,
                100,
              ),
            MessageAttributes: stringAttributes({ schema: summary.schema, accountId: summary.accountId }),
          }),
        ),
      );
    },
  };
}
