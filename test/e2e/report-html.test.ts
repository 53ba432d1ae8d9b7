/**
 * The HTML report in a real browser: Debian's Chromium, driven headless by playwright-core with no network.
 * It renders, its charts' numbers (the data attributes and hover titles of the SVG segments) and its tables
 * match the JSON report of the same IAM state, nothing is fetched from anywhere, and a full-page screenshot is
 * written under the test's temporary directory. Where Chromium is not installed (`apt-get install -y
 * chromium`; CI installs it), the test says so and skips.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNT_OF, Report, USER_STATES } from '../../src/core/report/model.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { CAMPAIGN_MEMBER, CAMPAIGN_SELF, campaignEnv, seedCampaign } from '../helpers/campaign.ts';
import { runCli } from '../helpers/cli.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const installed = existsSync(CHROMIUM);
if (!installed) {
  process.stderr.write(
    `report HTML test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`,
  );
}

describe('the HTML report in headless Chromium', () => {
  let cloud: LocalCloud;
  let browser: BrowserContext | undefined;
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'mfa-report-html-'));
    cloud = await startLocalCloud({ port: 0, defaultAccountId: CAMPAIGN_SELF });
    await seedCampaign(cloud);
  });
  afterAll(async () => {
    await browser?.close();
    await cloud?.close();
  });

  it('renders the charts with the JSON report’s numbers, fetches nothing, and is screenshotted', async (context) => {
    if (!installed) {
      context.skip(`Chromium is not installed at ${CHROMIUM}`);
      return;
    }
    // Prepare: the same IAM state as JSON and as HTML.
    const accounts = ['--account', CAMPAIGN_SELF, '--account', CAMPAIGN_MEMBER];
    const json = await runCli(['report', ...accounts, '--output', 'json'], { env: campaignEnv(cloud) });
    const file = join(directory, 'report.html');
    const html = await runCli(['report', ...accounts, '--output', 'html', '--out', file], {
      env: campaignEnv(cloud),
    });
    expect(json.status, json.stderr).toBe(0);
    expect(html.status, html.stderr).toBe(0);
    const report = Report.parse(JSON.parse(json.stdout));
    browser = await chromium.launchPersistentContext(join(directory, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1200, height: 900 },
    });
    const requests: string[] = [];
    browser.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    await browser.route(/^(?!file:)/, (route) => route.abort());
    const page = await browser.newPage();

    // Act
    await page.goto(pathToFileURL(file).href);
    const segments = await page.$$eval('g.segment', (nodes) =>
      nodes.map((node) => ({
        account: node.getAttribute('data-account'),
        state: node.getAttribute('data-state'),
        count: Number(node.getAttribute('data-count')),
        title: node.querySelector('title')?.textContent ?? '',
        width: (node.querySelector('rect') as unknown as { getBBox(): { width: number } }).getBBox().width,
      })),
    );
    const days = await page.$$eval('g.day', (nodes) =>
      nodes.map((node) => Number(node.getAttribute('data-count'))),
    );
    const rows = await page.$$eval('table:first-of-type tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th,td')].map((cell) => cell.textContent ?? '')),
    );
    const chartLabel = await page.$eval('svg.chart', (svg) =>
      (svg.getAttribute('aria-labelledby') ?? '')
        .split(' ')
        .map((id: string) => svg.ownerDocument.getElementById(id)?.textContent ?? '')
        .join(' | '),
    );
    const screenshot = join(directory, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stderr.write(`report screenshot: ${screenshot}\n`);

    // Assess: every non-empty state of every account is a segment with its count, on hover too.
    expect(await page.locator('h1').textContent()).toBe('MFA campaign report');
    const expected = report.accounts.flatMap((account) =>
      account.status !== 'ok'
        ? []
        : USER_STATES.filter((state) => account.counts[COUNT_OF[state]] > 0).map((state) => ({
            account: account.accountId,
            state,
            count: account.counts[COUNT_OF[state]],
          })),
    );
    expect(segments.map(({ account, state, count }) => ({ account, state, count }))).toEqual(expected);
    for (const segment of segments) {
      expect(segment.title).toContain(`${segment.account}: ${segment.count} `);
      expect(segment.width).toBeGreaterThan(0);
    }
    // The timeline counts every contained or past-deadline user once.
    const withDeadline = report.accounts.flatMap((a) =>
      a.status === 'ok' ? a.users.filter((u) => u.state === 'contained' || u.state === 'past-deadline') : [],
    );
    expect(days.reduce((x, y) => x + y, 0)).toBe(withDeadline.length);
    // The table under the chart carries the same numbers.
    for (const account of report.accounts) {
      if (account.status !== 'ok') continue;
      const row = rows.find((cells) => cells[0] === account.accountId);
      expect(row?.slice(1, 2 + USER_STATES.length).map(Number)).toEqual([
        account.counts.inScope,
        ...USER_STATES.map((state) => account.counts[COUNT_OF[state]]),
      ]);
    }
    expect(chartLabel).toContain('Users by state per account');
    expect(requests).toEqual([]);
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  }, 60_000);
});
