/**
 * `mfa-remediation local` (the demo behind `npm start`) and `mfa-remediation local-cloud` (the emulator as a
 * server for the SDKs, the AWS CLI and the end-to-end tests).
 */

import { ValidationError } from '../../errors.ts';
import { FaultSpecError, parseFaultSpec } from '../../local/cloud/faults.ts';
import { startLocalCloud } from '../../local/cloud/server.ts';
import { DEMO_ACCOUNT, DEMO_MEMBER_ACCOUNT } from '../../local/demo.ts';
import { type DemoMail, demoNotifyEnv } from '../../local/demo-people.ts';
import { DEMO_EXTERNAL_ID, deployLocalOrganisation } from '../../local/member-role.ts';
import { provisionPipeline } from '../../local/pipeline.ts';
import { runLocalDemo, seedDemo } from '../../local/runner.ts';
import type { CliContext } from '../context.ts';
import type { LocalCloudOptions, LocalOptions } from '../definitions/local.ts';
import { wrapText } from '../output.ts';

/** Quoted e-mail text is wrapped to this width (at most), as a mail reader would show it. */
const QUOTE_WIDTH = 80;
const QUOTE = '  │ ';

/** The e-mail the demo's contained user received (subject and first paragraphs), and where the report is. */
function demoMailLines(mail: readonly DemoMail[], reportPath: string): string[] {
  const first = mail.find((m) => m.subject.startsWith('Action needed')) ?? mail[0];
  const lines = [
    `\nPerson notifications sent: ${mail.length} (a local cloud lists them at GET /_local/mail)`,
  ];
  if (first) {
    const quoted = first.firstParagraphs.flatMap((paragraph, i) => [
      ...(i > 0 ? [QUOTE.trimEnd()] : []),
      ...paragraph.split('\n').flatMap((line) => wrapText(`${QUOTE}${line}`, QUOTE_WIDTH, QUOTE)),
    ]);
    lines.push(`E-mail to ${first.to}: "${first.subject}"`, ...quoted, `${QUOTE}…`);
  }
  lines.push(`Campaign report (HTML): ${reportPath}`);
  return lines;
}

export async function runLocal(cli: CliContext, options: LocalOptions): Promise<void> {
  if (options.withoutMfa !== undefined && options.withoutMfa > options.users) {
    throw new ValidationError('--without-mfa cannot exceed --users', { field: '--without-mfa' });
  }
  cli.status.set('local: starting the local cloud and seeding the demo organisation');
  let summary: Awaited<ReturnType<typeof runLocalDemo>>;
  try {
    summary = await runLocalDemo({
      log: cli.log,
      users: options.users,
      ...(options.withoutMfa === undefined ? {} : { withoutMfa: options.withoutMfa }),
    });
  } finally {
    cli.status.clear();
  }
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
        { header: 'APPLIED', value: (r) => r.actions, flex: true },
        { header: 'SCENARIO', value: (r) => r.story, flex: true },
      ],
      footer: [
        summary.rows.length > shown.length ? `… and ${summary.rows.length - shown.length} more users` : '',
        `\nOutcomes: ${counts}`,
        `Parked on the dead-letter queue: ${summary.parkedOnDeadLetterQueue} (the malformed message, with its reason)`,
        `${calls} API calls to the local cloud in ${(summary.durationMs / 1000).toFixed(1)} s`,
        ...demoMailLines(summary.mail, summary.reportPath),
        '\nNext: `npx mfa-remediation local-cloud --seed demo` serves the same cloud for your own SDK or AWS CLI calls (README: Local cloud).',
      ]
        .filter(Boolean)
        .join('\n'),
    },
  );
}

/** A value quoted for a POSIX shell when it needs it, so the export lines can be eval'd or sourced. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function runLocalCloud(cli: CliContext, options: LocalCloudOptions): Promise<void> {
  if (options.seed !== undefined && options.seed !== 'demo') {
    throw new ValidationError(`--seed: must be demo (got "${options.seed}")`, { field: '--seed' });
  }
  if (options.faults !== undefined) {
    try {
      parseFaultSpec(options.faults);
    } catch (error) {
      if (error instanceof FaultSpecError) {
        throw new ValidationError(`--faults: ${error.message}`, { field: '--faults' });
      }
      throw error;
    }
  }
  const cloud = await startLocalCloud({
    port: options.port,
    latencyMs: options.latencyMs,
    ...(options.faults ? { faults: options.faults } : {}),
  }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new Error(
      `local-cloud: port ${options.port} of 127.0.0.1 is in use (another local cloud?); pick another with --port, or --port 0 for any free one`,
    );
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const clientOptions = { endpoint: cloud.url, region: 'us-east-1', credentials };
  // The product's queues and topic, as serverless.yml creates them, so the worker can run against it at once.
  const pipeline = await provisionPipeline(clientOptions);
  const demo = options.seed === 'demo' ? await seedDemo(cloud, clientOptions, pipeline.queueUrl) : undefined;
  // The demo organisation as deployed: the member role from its template, trusted by the central worker
  // role; the exported credentials are a session of that role, so a worker in another shell can enter the
  // member account exactly as on Lambda (local role sessions do not expire).
  const organisation = demo
    ? await deployLocalOrganisation(clientOptions, {
        managementAccountId: DEMO_ACCOUNT,
        memberAccountIds: [DEMO_MEMBER_ACCOUNT],
        externalId: DEMO_EXTERNAL_ID,
      })
    : undefined;
  const session = organisation?.workerOptions.credentials as
    | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    | undefined;
  const exports: Record<string, string> = {
    AWS_ENDPOINT_URL: cloud.url,
    // AWS_REGION for the SDKs and AWS CLI v2, AWS_DEFAULT_REGION for AWS CLI v1.
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: session?.accessKeyId ?? credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session?.secretAccessKey ?? credentials.secretAccessKey,
    ...(session?.sessionToken ? { AWS_SESSION_TOKEN: session.sessionToken } : {}),
    ...pipeline.env,
    ALLOWED_ACCOUNTS: demo ? `${DEMO_ACCOUNT},${DEMO_MEMBER_ACCOUNT}` : DEMO_ACCOUNT,
    ...(demo ? { ESCALATION: 'disable-console' } : {}),
    ...organisation?.env,
    ...(demo ? demoNotifyEnv(cloud, DEMO_ACCOUNT, 'us-east-1') : {}),
  };
  // One write, before "ready": whoever waits for the ready line finds every export line already there.
  cli.io.stderr.write(
    [
      `# mfa-remediation local cloud: ${demo ? `demo organisation, ${demo.users} users, ${demo.messages} messages on the remediation queue; ` : ''}default account ${DEMO_ACCOUNT}, any access key accepted`,
      ...Object.entries(exports).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
      '',
    ].join('\n'),
  );
  cli.io.stdout.write(`ready ${cloud.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cloud.close();
}
