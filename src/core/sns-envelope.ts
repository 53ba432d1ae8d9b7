/**
 * SNS notification envelopes. When an SNS topic delivers to SQS without raw message delivery, the SQS body is
 * a JSON envelope whose `Message` is the original payload *as a string*; with raw message delivery the body
 * is the payload itself. Both arrive on the same queue, so intake accepts either.
 */

/** The fields of an SNS `Notification` envelope that intake relies on. */
export interface SnsEnvelope {
  readonly Type: 'Notification';
  readonly Message: string;
  readonly TopicArn?: string;
  readonly MessageId?: string;
}

/**
 * True for an SNS notification envelope: `Type: "Notification"` with a string `Message`. SNS always adds
 * `TopicArn` and `MessageId`, but they are not required here: envelopes written by hand (docs, tests, a
 * replay tool) often leave them out, and the payload inside is validated exactly like a raw one anyway.
 */
export function isSnsEnvelope(
  value: Record<string, unknown>,
): value is Record<string, unknown> & SnsEnvelope {
  return value.Type === 'Notification' && typeof value.Message === 'string';
}

/**
 * True for the other SNS envelope types (`SubscriptionConfirmation`, `UnsubscribeConfirmation`): they carry
 * no payload. A cross-account subscription to the queue is not confirmed automatically; its confirmation
 * lands on the queue like any message and an operator has to visit its `SubscribeURL`.
 */
export function isSnsControlMessage(value: Record<string, unknown>): boolean {
  return (
    (value.Type === 'SubscriptionConfirmation' || value.Type === 'UnsubscribeConfirmation') &&
    typeof value.TopicArn === 'string'
  );
}

/**
 * How many envelopes intake unwraps. One is the normal case (topic → queue); two happens when a topic fans
 * out to another topic without raw delivery. More is a loop or an attack, not a configuration.
 */
export const MAX_SNS_DEPTH = 2;
