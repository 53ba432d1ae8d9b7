/**
 * `mfa-remediation worker --queue-url URL [--until-empty] [--concurrency N]`: the long-running poller of the
 * container deployment. SIGTERM and SIGINT stop it gracefully: the in-flight batch finishes first.
 */
import type { Command } from 'commander';
import { createPoller } from '../../worker/poller.ts';
import { integerFlag } from '../args.ts';
import { type CliContext, EXIT } from '../context.ts';

export function registerWorker(program: Command, cli: CliContext): void {
  program
    .command('worker')
    .description('poll the remediation queue and process findings until stopped')
    .option('--queue-url <url>', 'the remediation queue (default: REMEDIATION_QUEUE_URL)')
    .option('--until-empty', 'stop when the queue has no visible messages')
    .option('--concurrency <n>', 'records processed at once', integerFlag(1, 100), 8)
    .action(async (options: { queueUrl?: string; untilEmpty?: boolean; concurrency: number }) => {
      const runtime = cli.runtime();
      const queueUrl = options.queueUrl ?? runtime.config.remediationQueueUrl;
      if (!queueUrl) {
        cli.io.stderr.write('error: --queue-url is required (or set REMEDIATION_QUEUE_URL)\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const poller = createPoller({
        sqs: runtime.sqs,
        queueUrl,
        deps: runtime.depsFor(queueUrl),
        log: runtime.log,
        concurrency: options.concurrency,
        ...(options.untilEmpty ? { untilEmpty: true } : {}),
      });
      const stop = () => poller.stop();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const stats = await poller.run();
        cli.print(stats, {
          rows: [stats],
          columns: [
            { header: 'BATCHES', value: (s) => s.batches },
            { header: 'RECEIVED', value: (s) => s.received },
            { header: 'ACKNOWLEDGED', value: (s) => s.acknowledged },
            { header: 'RETRIED', value: (s) => s.retried },
          ],
        });
        process.exitCode = EXIT.ok;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
