/**
 * The queues of one local cloud, by account and name. Queue URLs are `<server>/<account>/<name>`, pointing at
 * the local cloud itself because the SDK sends queue operations to the queue URL's host.
 */
import type { LocalCloudEnv } from '../cloud-types.ts';
import type { SqsQueue } from './sqs-queue.ts';
import { sqsError } from './sqs-wire.ts';

const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** Registry of queues; one per local cloud. */
export class SqsStore {
  private readonly queues = new Map<string, SqsQueue>();

  constructor(private readonly env: LocalCloudEnv) {}

  /** The URL a queue of `accountId` named `name` has. */
  urlOf(accountId: string, name: string): string {
    return `${this.env.baseUrl().replace(/\/+$/, '')}/${accountId}/${name}`;
  }

  /** Checks a queue name as CreateQueue does. FIFO (`.fifo`) queues are not emulated. */
  assertValidName(name: string): void {
    if (!QUEUE_NAME_PATTERN.test(name)) {
      throw sqsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
  }

  get(accountId: string, name: string): SqsQueue | undefined {
    return this.queues.get(`${accountId}/${name}`);
  }

  add(queue: SqsQueue): void {
    this.queues.set(`${queue.accountId}/${queue.name}`, queue);
  }

  remove(queue: SqsQueue): void {
    this.queues.delete(`${queue.accountId}/${queue.name}`);
    queue.deleted = true;
    queue.notify();
  }

  all(): SqsQueue[] {
    return [...this.queues.values()];
  }

  /**
   * The queue a QueueUrl names. Only the path (`/<account>/<name>`) matters: the host may be any alias of the
   * local cloud (localhost, 127.0.0.1, a container name).
   */
  byUrl(queueUrl: string): SqsQueue | undefined {
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      path = queueUrl;
    }
    const [accountId, name, ...rest] = path.split('/').filter((s) => s !== '');
    if (!accountId || !name || rest.length > 0) return undefined;
    try {
      return this.get(accountId, decodeURIComponent(name));
    } catch {
      // A malformed escape (`%zz`) names no queue: QueueDoesNotExist, not a server error.
      return undefined;
    }
  }

  /** The queue an ARN (`arn:aws:sqs:<region>:<account>:<name>`) names. */
  byArn(arn: string): SqsQueue | undefined {
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
    const queue = this.get(parts[4]!, parts[5]!);
    return queue && queue.arn === arn ? queue : undefined;
  }

  /** Like {@link byUrl}, but `QueueDoesNotExist` when there is no such queue. */
  require(queueUrl: string): SqsQueue {
    const queue = this.byUrl(queueUrl);
    if (!queue) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  clear(): void {
    for (const queue of this.queues.values()) {
      queue.deleted = true;
      queue.notify();
    }
    this.queues.clear();
  }
}
