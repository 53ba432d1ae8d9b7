/**
 * `mfa-remediation worker`: the long-running poller (a container, a systemd service), or with `--until-empty`
 * one pass over the queue. SIGTERM and SIGINT stop it gracefully: every message already received finishes first.
 *
 * Exit status (docs/reference.md: Exit status): with `--until-empty`, 1 when the run ends with work not done
 * — a message retried and not finished, an outcome `failed`, `rejected` or `invalid-code`, an outcome not
 * published — or when SQS stayed unreachable for `--give-up-after` seconds.
 */
import { ConfigError, errorCode, ValidationError } from '../../errors.ts';
import { createPoller, type PollerStats } from '../../worker/poller.ts';
import type { CliContext } from '../context.ts';
import type { WorkerOptions } from '../definitions/worker.ts';
import { EXIT } from '../help.ts';
import { checkTopic } from '../preflight.ts';
import { count } from '../progress.ts';
import { failedOutcomeCount } from '../results.ts';

export async function runWorker(cli: CliContext, options: WorkerOptions): Promise<void> {
  // The connection pools are sized to the records in flight.
  const runtime = await cli.runtime({ concurrency: options.concurrency });
  const queueUrl = options.queueUrl ?? runtime.config.remediationQueueUrl;
  const source = options.queueUrl ? '--queue-url' : 'REMEDIATION_QUEUE_URL';
  if (!queueUrl) {
    throw new ValidationError('--queue-url is required (or set REMEDIATION_QUEUE_URL)', {
      field: '--queue-url',
    });
  }
  await checkTopic(runtime.sns, runtime.config.outcomeTopicArn);
  const status = cli.status;
  const poller = createPoller({
    sqs: runtime.sqs,
    queueUrl,
    deps: runtime.depsFor(queueUrl),
    log: runtime.log,
    concurrency: options.concurrency,
    ...(options.untilEmpty ? { untilEmpty: true, giveUpAfterMs: options.giveUpAfter * 1000 } : {}),
    onProgress: (stats) => status.set(progressText(stats)),
  });
  const stop = () => poller.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let stats: PollerStats;
  try {
    status.set('worker: starting');
    stats = await poller.run();
  } catch (error) {
    const code = errorCode(error);
    if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new ConfigError(source, `the queue ${queueUrl} does not exist (in this account and region)`);
    }
    throw error;
  } finally {
    status.clear();
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  cli.print(stats, {
    rows: [stats],
    columns: [
      { header: 'RECEIVED', value: (s) => s.received },
      { header: 'ACKNOWLEDGED', value: (s) => s.acknowledged },
      { header: 'RETRIED', value: (s) => s.retried },
      { header: 'UNFINISHED', value: (s) => s.unfinished },
      { header: 'UNPUBLISHED', value: (s) => s.unpublished },
    ],
    // Below the numbers rather than a column of its own, so that it is never cut to fit the terminal.
    footer: `Outcomes: ${outcomeCounts(stats) || 'none'}`,
  });
  const notDone = stats.unfinished > 0 || stats.unpublished > 0 || failedOutcomeCount(stats.outcomes) > 0;
  if (options.untilEmpty && notDone) {
    cli.io.stderr.write(`worker: work left undone: ${undoneText(stats)}\n`);
    process.exitCode = EXIT.workFailed;
  }
}

function outcomeCounts(stats: Readonly<PollerStats>): string {
  return Object.entries(stats.outcomes)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
}

function progressText(stats: Readonly<PollerStats>): string {
  const counts = outcomeCounts(stats);
  return [
    `worker: ${count(stats.received, 'received')}, ${count(stats.acknowledged, 'done')}, ${count(stats.retried, 'retried')}`,
    counts,
  ]
    .filter(Boolean)
    .join(' · ');
}

function undoneText(stats: Readonly<PollerStats>): string {
  return [
    stats.unfinished > 0
      ? `${stats.unfinished} message(s) retried and not finished (still on the queue)`
      : '',
    failedOutcomeCount(stats.outcomes) > 0
      ? `${failedOutcomeCount(stats.outcomes)} outcome(s) failed, rejected or invalid-code`
      : '',
    stats.unpublished > 0 ? `${stats.unpublished} outcome(s) not published` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
