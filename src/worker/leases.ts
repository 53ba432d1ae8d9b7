/**
 * The visibility of the messages a poller holds. SQS hides a received message for the queue's visibility
 * timeout, counted from the receive; a consumer that is still working on it when that time runs out would see
 * SQS hand it to another consumer. A lease records until when a message is ours, and a heartbeat extends the
 * leases that run short (ChangeMessageVisibilityBatch, ten a call): records waiting their turn, records with
 * a hundred findings, records waiting for their outcomes to be published never reappear mid-work.
 *
 * A lease is extended only when SQS confirms it, so a record's deadline (its lease minus a margin) never
 * counts on an extension that did not happen: when the heartbeat cannot reach SQS, records stop starting
 * work items before their messages become visible again, exactly as without a heartbeat.
 */

import { type QueueConsumer, SQS_BATCH_SIZE } from '../aws/sqs.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface Lease {
  readonly receiptHandle: string;
  /** Epoch ms until which the message is hidden from other consumers, as far as we know for sure. */
  expiresAt: number;
}

export interface LeasesOptions {
  readonly queue: Pick<QueueConsumer, 'changeVisibilityBatch'>;
  /** The queue's visibility timeout: what each extension asks for. */
  readonly visibilitySeconds: number;
  readonly log: Logger;
}

export interface Leases {
  /** Starts holding a message received at `receivedAt` (the time before the receive was sent). */
  hold(messageId: string, receiptHandle: string, receivedAt: number): Lease;
  /**
   * Stops holding it; resolves once no extension of it is still on its way, so that a visibility change
   * made next (a tier-2 backoff, a release) is not overwritten by one.
   */
  drop(messageId: string): Promise<void>;
  /** Stops the heartbeat and waits for an extension in flight. */
  close(): Promise<void>;
  readonly size: number;
}

export function createLeases(options: LeasesOptions): Leases {
  const visibilityMs = Math.max(1, options.visibilitySeconds) * 1000;
  // Extend what has less than half its visibility left, checking three times per visibility timeout:
  // a lease is renewed at least once before it can run out, whatever the moment it was taken.
  const intervalMs = Math.min(60_000, Math.max(250, Math.floor(visibilityMs / 3)));
  const leases = new Map<string, Lease>();
  let inFlight: Promise<void> | undefined;

  const extend = async () => {
    const now = Date.now();
    const due = [...leases.entries()].filter(([, lease]) => lease.expiresAt - now < visibilityMs / 2);
    for (let start = 0; start < due.length; start += SQS_BATCH_SIZE) {
      const chunk = due.slice(start, start + SQS_BATCH_SIZE);
      const sentAt = Date.now();
      try {
        const changed = await options.queue.changeVisibilityBatch(
          chunk.map(([, lease]) => ({
            receiptHandle: lease.receiptHandle,
            seconds: options.visibilitySeconds,
          })),
        );
        chunk.forEach(([messageId, lease], index) => {
          if (changed[index]) lease.expiresAt = sentAt + visibilityMs;
          else options.log.warn({ messageId }, 'visibility_not_extended');
        });
      } catch (error) {
        options.log.warn({ err: describeError(error), messages: chunk.length }, 'heartbeat_failed');
      }
    }
  };

  const timer = setInterval(() => {
    if (inFlight || leases.size === 0) return;
    inFlight = extend().finally(() => {
      inFlight = undefined;
    });
  }, intervalMs);
  // The heartbeat alone keeps no process alive: the poller's own work does.
  timer.unref();

  return {
    get size() {
      return leases.size;
    },
    hold(messageId, receiptHandle, receivedAt) {
      const lease = { receiptHandle, expiresAt: receivedAt + visibilityMs };
      leases.set(messageId, lease);
      return lease;
    },
    async drop(messageId) {
      if (!leases.delete(messageId)) return;
      await inFlight;
    },
    async close() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
