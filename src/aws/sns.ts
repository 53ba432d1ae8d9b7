/**
 * Publishing outcomes to the SNS topic with PublishBatch (at most 10 entries a call). Each entry carries the
 * filterable `String` attributes and a human Subject; entries SNS reports as failed are returned so their
 * records are retried.
 */
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Outcome, SweepSummary } from '../core/model.ts';
import { outcomeAttributes, outcomeSubject } from '../core/outcomes.ts';
import type { OutcomePublisher } from '../core/ports.ts';
import { call } from './sdk-errors.ts';

const BATCH_SIZE = 10;

/** `String` message attributes, as SNS and SQS both take them. */
export function stringAttributes(attributes: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

export function createSnsPublisher(client: SNSClient, topicArn: string): OutcomePublisher {
  return {
    async publish(outcomes) {
      const failed: Outcome[] = [];
      for (let start = 0; start < outcomes.length; start += BATCH_SIZE) {
        const chunk = outcomes.slice(start, start + BATCH_SIZE);
        try {
          const response = await call('sns', 'PublishBatch', () =>
            client.send(
              new PublishBatchCommand({
                TopicArn: topicArn,
                PublishBatchRequestEntries: chunk.map((outcome, index) => ({
                  Id: String(index),
                  Message: JSON.stringify(outcome),
                  Subject: outcomeSubject(outcome),
                  MessageAttributes: stringAttributes(outcomeAttributes(outcome)),
                })),
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
