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

/** One e-mail as the demo summary shows it: who got it, its subject and how it begins. */
export interface DemoMail {
  readonly to: string;
  readonly subject: string;
  /**
   * The first paragraphs of the plain-text part, whole and unwrapped: a paragraph's sentences on one line, a
   * heading (`WHAT HAPPENED`) and each list item (`- …`, `1. …`) on lines of their own.
   */
  readonly firstParagraphs: string[];
}

export function demoMail(messages: readonly SentMail[], paragraphs = 3): DemoMail[] {
  return messages.map((message) => ({
    to: message.to.join(', '),
    subject: message.subject,
    firstParagraphs: message.text
      .split(/\n[ \t]*\n/)
      .map((paragraph) => paragraph.trim())
      .filter((paragraph) => paragraph !== '')
      .slice(0, paragraphs)
      .map(unwrapParagraph),
  }));
}

/**
 * A plain-text paragraph without its line breaks, so a terminal can wrap it to its own width: the lines of
 * a sentence are joined; a heading (`WHAT HAPPENED`) and each list item (`- …`, `1. …`) stay lines of their own.
 */
function unwrapParagraph(paragraph: string): string {
  const heading = (line: string) => /^[A-Z][A-Z ()]+$/.test(line);
  const out: string[] = [];
  for (const raw of paragraph.split('\n')) {
    const line = raw.trim();
    const previous = out[out.length - 1];
    if (previous === undefined || heading(previous) || heading(line) || /^(?:- |\d{1,2}\. )/.test(line)) {
      out.push(line);
    } else out[out.length - 1] = `${previous} ${line}`;
  }
  return out.join('\n');
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
