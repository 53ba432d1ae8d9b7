/**
 * The human side of `mfa-remediation local`: the demo sends person notifications through the local cloud's
 * SES (from a verified demo identity) and, after the run, shows what the contained user received and writes
 * the campaign report as one HTML page to a temporary file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { buildReport } from '../core/report/collect.ts';
import { reportHtml } from '../core/report/html.ts';
import type { Report } from '../core/report/model.ts';
import type { Logger } from '../logger.ts';
import type { Runtime } from '../runtime.ts';
import type { LocalCloud } from './cloud/server.ts';
import type { SentMail } from './cloud/sesv2.ts';

/** The demo's sender: its domain is verified in the local cloud's SES before the run. */
export const DEMO_NOTIFY_FROM = 'mfa-remediation@example.com';
export const DEMO_NOTIFY_CONTACT = 'security-team@example.com';

/** Environment that turns person notifications on for the demo's worker. */
export function demoNotifyEnv(cloud: LocalCloud, accountId: string, region: string): Record<string, string> {
  cloud.sesv2.verifyIdentity(accountId, region, 'example.com');
  return { NOTIFY_FROM: DEMO_NOTIFY_FROM, NOTIFY_CONTACT: DEMO_NOTIFY_CONTACT };
}

/** One e-mail as the demo summary shows it: who got it, its subject and its first lines. */
export interface DemoMail {
  readonly to: string;
  readonly subject: string;
  readonly firstLines: string[];
}

export function demoMail(messages: readonly SentMail[], lines = 6): DemoMail[] {
  return messages.map((message) => ({
    to: message.to.join(', '),
    subject: message.subject,
    firstLines: message.text
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line !== '')
      .slice(0, lines),
  }));
}

/** Builds the campaign report of the demo's accounts and writes its HTML page to a new temporary file. */
export async function writeDemoReport(
  runtime: Pick<Runtime, 'accounts'>,
  accountIds: readonly string[],
  config: Pick<Config, 'scope' | 'exemptUsers'>,
  log: Logger,
): Promise<{ report: Report; path: string }> {
  const report = await buildReport(accountIds, [], {
    accounts: runtime.accounts,
    now: () => new Date(),
    log,
    config,
  });
  const path = join(mkdtempSync(join(tmpdir(), 'mfa-remediation-demo-')), 'campaign-report.html');
  writeFileSync(path, reportHtml(report));
  return { report, path };
}
