/**
 * `mfa-remediation local` (the demo behind `npm start`) and `mfa-remediation local-cloud` (the emulator as a
 * server for the SDKs, the AWS CLI and the end-to-end tests).
 */
import type { Command } from 'commander';
import { startLocalCloud } from '../../local/cloud/server.ts';
import { DEMO_ACCOUNT, demoUsers } from '../../local/demo.ts';
import { type DemoMail, demoNotifyEnv } from '../../local/demo-people.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation } from '../../local/member-role.ts';
import { provisionPipeline } from '../../local/pipeline.ts';
import { runLocalDemo } from '../../local/runner.ts';
import { integerFlag } from '../args.ts';
import { type CliContext, EXIT } from '../context.ts';

/** The e-mail the demo's contained user received (subject and first lines), and where the report is. */
function demoMailLines(mail: readonly DemoMail[], reportPath: string): string[] {
  const first = mail.find((m) => m.subject.startsWith('Action needed')) ?? mail[0];
  const lines = [
    `\nPerson notifications sent: ${mail.length} (GET /_local/mail shows them while a local cloud runs)`,
  ];
  if (first)
    lines.push(`E-mail to ${first.to}: "${first.subject}"`, ...first.firstLines.map((line) => `  │ ${line}`));
  lines.push(`Campaign report (HTML): ${reportPath}`);
  return lines;
}

export function registerLocal(program: Command, cli: CliContext): void {
  program
    .command('local')
    .description('run the whole pipeline against the built-in local cloud and summarise it (npm start)')
    .option('--users <n>', 'generated users in addition to the demo cast', integerFlag(0, 100_000), 0)
    .option('--without-mfa <m>', 'how many generated users lack MFA (default: half)', integerFlag(0, 100_000))
    .action(async (options: { users: number; withoutMfa?: number }) => {
      if (options.withoutMfa !== undefined && options.withoutMfa > options.users) {
        cli.io.stderr.write('error: --without-mfa cannot exceed --users\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const summary = await runLocalDemo({
        log: cli.log,
        users: options.users,
        ...(options.withoutMfa === undefined ? {} : { withoutMfa: options.withoutMfa }),
      });
      const counts = Object.entries(summary.counts)
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(', ');
      const calls = Object.values(summary.apiCalls).reduce((a, b) => a + b, 0);
      const shown = summary.rows.length > 40 ? summary.rows.slice(0, 40) : summary.rows;
      cli.print(
        {
          users: summary.rows,
          counts: summary.counts,
          parkedOnDeadLetterQueue: summary.parkedOnDeadLetterQueue,
          apiCalls: summary.apiCalls,
          durationMs: summary.durationMs,
          mail: summary.mail,
          reportPath: summary.reportPath,
        },
        {
          rows: shown,
          columns: [
            { header: 'ACCOUNT', value: (r) => r.accountId },
            { header: 'USER', value: (r) => r.userName },
            { header: 'OUTCOME', value: (r) => r.outcome },
            { header: 'APPLIED', value: (r) => r.actions },
            { header: 'SCENARIO', value: (r) => r.story },
          ],
          footer: [
            summary.rows.length > shown.length
              ? `… and ${summary.rows.length - shown.length} more users`
              : '',
            `\nOutcomes: ${counts}`,
            `Parked on the dead-letter queue: ${summary.parkedOnDeadLetterQueue} (the malformed message, with its reason)`,
            `${calls} API calls to the local cloud in ${(summary.durationMs / 1000).toFixed(1)} s`,
            ...demoMailLines(summary.mail, summary.reportPath),
            '\nNext: `mfa-remediation local-cloud --seed demo` serves the same cloud for your own SDK or AWS CLI calls.',
          ]
            .filter(Boolean)
            .join('\n'),
        },
      );
    });

  program
    .command('local-cloud')
    .description('serve the AWS-compatible local cloud until stopped')
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free port)', integerFlag(0, 65_535), 4566)
    .option('--faults <spec>', 'fault injection, e.g. iam:write=ConcurrentModification:0.3')
    .option('--latency-ms <n>', 'latency added to every AWS call', integerFlag(0, 60_000), 0)
    .option('--seed <name>', 'seed data: demo')
    .action(async (options: { port: number; faults?: string; latencyMs: number; seed?: string }) => {
      if (options.seed !== undefined && options.seed !== 'demo') {
        cli.io.stderr.write(`error: --seed must be demo (got "${options.seed}")\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const cloud = await startLocalCloud({
        port: options.port,
        latencyMs: options.latencyMs,
        ...(options.faults ? { faults: options.faults } : {}),
      });
      if (options.seed === 'demo') {
        const users = demoUsers({ now: new Date() });
        for (const accountId of new Set(users.map((u) => u.accountId))) {
          cloud.seed({ accountId, users: users.filter((u) => u.accountId === accountId) });
        }
        const admin = {
          endpoint: cloud.url,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        };
        const pipeline = await provisionPipeline(admin);
        const accounts = [...new Set(users.map((u) => u.accountId))];
        const organisation = await deployLocalOrganisation(admin, {
          managementAccountId: DEMO_ACCOUNT,
          memberAccountIds: accounts,
          externalId: DEMO_EXTERNAL_ID,
        });
        for (const [name, value] of Object.entries({ ...pipeline.env, ...organisation.env })) {
          cli.io.stderr.write(`${name}=${value}\n`);
        }
        cli.io.stderr.write(
          `member accounts trust the worker role ${organisation.workerRoleArn}: run the worker with its session credentials (aws sts assume-role)\n`,
        );
        for (const [name, value] of Object.entries(demoNotifyEnv(cloud, DEMO_ACCOUNT, 'us-east-1'))) {
          cli.io.stderr.write(`${name}=${value}\n`);
        }
        cli.io.stderr.write(`ALLOWED_ACCOUNTS=${[...new Set(users.map((u) => u.accountId))].join(',')}\n`);
        cli.io.stderr.write(`default account ${DEMO_ACCOUNT}; any access key is accepted\n`);
      }
      cli.io.stdout.write(`ready ${cloud.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await cloud.close();
    });
}
