/**
 * The report as one self-contained HTML page (no script, no network, no external font or stylesheet), to
 * attach to a ticket or mail to a manager: summary figures, a stacked bar chart of users by state per account
 * and a timeline of the deadlines coming up, both inline SVG, each followed by a table of the same numbers.
 *
 * Accessible by construction: each chart is an `img` with a title and a description, every bar segment has a
 * `<title>` (its number on hover) and `data-` attributes with its account, state and count (what the browser
 * test reads back), the colours are the Okabe-Ito palette (distinguishable with the common colour-vision
 * deficiencies) and are never the only cue — a legend names them and the tables carry every number. Every
 * value from IAM is HTML-escaped.
 */
import { escapeHtml } from '../notify/templates.ts';
import { COUNT_OF, type Report, type ReportUser, USER_STATES, type UserState } from './model.ts';

/** Colours and labels of the states, in stacking order. */
export const STATE_STYLE: Readonly<Record<UserState, { readonly label: string; readonly colour: string }>> = {
  compliant: { label: 'Compliant', colour: '#009E73' },
  exempt: { label: 'Exempt', colour: '#56B4E9' },
  'not-contained': { label: 'Not contained yet', colour: '#E69F00' },
  contained: { label: 'Contained', colour: '#0072B2' },
  'past-deadline': { label: 'Past deadline', colour: '#D55E00' },
  escalated: { label: 'Escalated', colour: '#CC79A7' },
};

const DAY = 86_400_000;
/** The timeline covers at least two weeks ahead, and at most this many days. */
const MIN_DAYS = 14;
const MAX_DAYS = 60;
/** Rows in the deadline table; the rest are counted. */
const MAX_DEADLINE_ROWS = 200;

const e = (value: string | number) => escapeHtml(String(value));

interface DeadlineEntry {
  readonly accountId: string;
  readonly user: ReportUser;
  readonly at: number;
}

function okAccounts(report: Report) {
  return report.accounts.filter((account) => account.status === 'ok');
}

function deadlines(report: Report): DeadlineEntry[] {
  return okAccounts(report)
    .flatMap((account) =>
      account.users
        .filter((user) => (user.state === 'contained' || user.state === 'past-deadline') && user.deadline)
        .map((user) => ({ accountId: account.accountId, user, at: Date.parse(user.deadline as string) })),
    )
    .sort((a, b) => a.at - b.at || a.user.userName.localeCompare(b.user.userName));
}

function when(iso: string): string {
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.round((part / whole) * 1000) / 10} %`;
}

/** The stacked bar chart: one horizontal bar per account, one segment per non-empty state. */
function stateChart(report: Report): string {
  const accounts = okAccounts(report);
  const labelWidth = 150;
  const barWidth = 560;
  const rowHeight = 34;
  const top = 10;
  const height = top + Math.max(1, accounts.length) * rowHeight + 6;
  const widest = Math.max(1, ...accounts.map((account) => account.counts.inScope));
  const rows = accounts.map((account, index) => {
    const y = top + index * rowHeight;
    let x = labelWidth;
    const segments = USER_STATES.map((state) => {
      const count = account.counts[COUNT_OF[state]];
      if (count === 0) return '';
      const width = (count / widest) * barWidth;
      const { label, colour } = STATE_STYLE[state];
      const text =
        width >= 26
          ? `<text x="${(x + width / 2).toFixed(1)}" y="${y + 17}" class="in-bar" text-anchor="middle" dominant-baseline="middle" aria-hidden="true">${count}</text>`
          : '';
      const segment = `<g class="segment" data-account="${e(account.accountId)}" data-state="${state}" data-count="${count}"><rect x="${x.toFixed(1)}" y="${y + 4}" width="${Math.max(width, 1).toFixed(1)}" height="26" fill="${colour}"><title>${e(account.accountId)}: ${count} ${e(label.toLowerCase())}</title></rect>${text}</g>`;
      x += width;
      return segment;
    }).join('');
    return `<text x="${labelWidth - 10}" y="${y + 17}" text-anchor="end" dominant-baseline="middle" class="axis-label">${e(account.accountId)}</text>${segments}<text x="${(x + 6).toFixed(1)}" y="${y + 17}" dominant-baseline="middle" class="total">${account.counts.inScope}</text>`;
  });
  const empty =
    accounts.length === 0
      ? `<text x="${labelWidth}" y="${top + 17}" class="axis-label">No account reported.</text>`
      : '';
  return `<svg class="chart" role="img" aria-labelledby="state-chart-title state-chart-desc" viewBox="0 0 ${labelWidth + barWidth + 60} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="state-chart-title">Users by state per account</title>
<desc id="state-chart-desc">Stacked horizontal bars, one per account; each segment is the number of users in one state. The table below lists the same numbers.</desc>
${rows.join('\n')}${empty}
</svg>`;
}

/** The deadline timeline: one column per day from today, plus one for deadlines already passed. */
function deadlineChart(
  report: Report,
  now: number,
): { svg: string; days: { label: string; count: number }[] } {
  const entries = deadlines(report);
  const today = Math.floor(now / DAY) * DAY;
  const last = entries.length > 0 ? (entries[entries.length - 1] as DeadlineEntry).at : today;
  const span = Math.min(MAX_DAYS, Math.max(MIN_DAYS, Math.ceil((last - today) / DAY) + 1));
  const days: { label: string; count: number; key: string }[] = [
    { label: 'Passed', key: 'passed', count: entries.filter((entry) => entry.at <= now).length },
  ];
  for (let day = 0; day < span; day++) {
    const start = today + day * DAY;
    days.push({
      label: new Date(start).toISOString().slice(5, 10),
      key: new Date(start).toISOString().slice(0, 10),
      count: entries.filter((entry) => entry.at > now && entry.at >= start && entry.at < start + DAY).length,
    });
  }
  const later = entries.filter((entry) => entry.at >= today + span * DAY).length;
  if (later > 0) days.push({ label: 'Later', key: 'later', count: later });
  const left = 40;
  const plotHeight = 120;
  const top = 16;
  const column = Math.max(14, Math.min(40, 720 / days.length));
  const width = left + days.length * column + 10;
  const highest = Math.max(1, ...days.map((day) => day.count));
  const ticks = [0, Math.ceil(highest / 2), highest].filter((v, i, all) => all.indexOf(v) === i);
  const grid = ticks
    .map((tick) => {
      const y = top + plotHeight - (tick / highest) * plotHeight;
      return `<line x1="${left}" x2="${width - 10}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${left - 6}" y="${y.toFixed(1)}" text-anchor="end" dominant-baseline="middle" class="tick">${tick}</text>`;
    })
    .join('');
  const bars = days
    .map((day, index) => {
      const x = left + index * column;
      const h = (day.count / highest) * plotHeight;
      const y = top + plotHeight - h;
      const colour =
        day.key === 'passed' ? STATE_STYLE['past-deadline'].colour : STATE_STYLE.contained.colour;
      const name =
        day.key === 'passed' ? 'deadline already passed' : day.key === 'later' ? 'later' : `due ${day.key}`;
      const bar =
        day.count > 0
          ? `<rect x="${(x + 3).toFixed(1)}" y="${y.toFixed(1)}" width="${(column - 6).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${day.count} user(s): ${e(name)}</title></rect><text x="${(x + column / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" class="tick" aria-hidden="true">${day.count}</text>`
          : '';
      const showLabel = days.length <= 24 || index % 2 === 0 || day.key === 'later';
      const label = showLabel
        ? `<text x="${(x + column / 2).toFixed(1)}" y="${top + plotHeight + 14}" text-anchor="middle" class="tick">${e(day.label)}</text>`
        : '';
      return `<g class="day" data-day="${e(day.key)}" data-count="${day.count}">${bar}${label}</g>`;
    })
    .join('');
  const axis = `<text x="${left}" y="${top + plotHeight + 32}" class="axis-title">Deadline day (UTC) · users per day</text>`;
  const svg = `<svg class="chart" role="img" aria-labelledby="deadline-chart-title deadline-chart-desc" viewBox="0 0 ${width} ${top + plotHeight + 38}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="deadline-chart-title">Upcoming MFA deadlines per day</title>
<desc id="deadline-chart-desc">Columns: users whose deadline falls on each day (UTC) from today; the first column counts deadlines already passed. The table below lists the users.</desc>
${grid}${bars}${axis}
</svg>`;
  return { svg, days };
}

function countsTable(report: Report): string {
  const head = ['Account', 'In scope', ...USER_STATES.map((state) => STATE_STYLE[state].label), 'Compliant %']
    .map((h) => `<th scope="col">${e(h)}</th>`)
    .join('');
  const row = (name: string, counts: Report['totals'], cls = '') =>
    `<tr${cls}><th scope="row">${e(name)}</th><td>${counts.inScope}</td>${USER_STATES.map((state) => `<td>${counts[COUNT_OF[state]]}</td>`).join('')}<td>${percent(counts.compliant, counts.inScope)}</td></tr>`;
  const rows = okAccounts(report).map((account) => row(account.accountId, account.counts));
  return `<table><caption>Users by state per account</caption><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody><tfoot>${row('All accounts', report.totals, ' class="total-row"')}</tfoot></table>`;
}

function deadlineTable(report: Report, now: number): string {
  const entries = deadlines(report);
  if (entries.length === 0) return '<p>No contained user has a deadline.</p>';
  const rows = entries.slice(0, MAX_DEADLINE_ROWS).map(({ accountId, user, at }) => {
    const hours = Math.round((at - now) / 3_600_000);
    const left = at <= now ? 'passed' : hours >= 48 ? `${Math.floor(hours / 24)} days` : `${hours} hours`;
    return `<tr><td>${e(accountId)}</td><td>${e(user.userName)}</td><td><time datetime="${e(user.deadline as string)}">${e(when(user.deadline as string))}</time></td><td>${e(left)}</td><td>${e(STATE_STYLE[user.state].label)}</td><td>${user.notified ? e(when(user.notified)) : '—'}</td></tr>`;
  });
  const more =
    entries.length > MAX_DEADLINE_ROWS
      ? `<p>… and ${entries.length - MAX_DEADLINE_ROWS} more (see the JSON or CSV output).</p>`
      : '';
  return `<table><caption>Deadlines, soonest first</caption><thead><tr><th scope="col">Account</th><th scope="col">User</th><th scope="col">Deadline</th><th scope="col">Time left</th><th scope="col">State</th><th scope="col">Last notified</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function exemptTable(report: Report): string {
  const exempt = okAccounts(report).flatMap((account) =>
    account.users
      .filter((user) => user.state === 'exempt')
      .map((user) => ({ accountId: account.accountId, user })),
  );
  if (exempt.length === 0) return '<p>No user lacking MFA is exempt.</p>';
  exempt.sort(
    (a, b) =>
      (a.user.exemptUntil ?? '9999').localeCompare(b.user.exemptUntil ?? '9999') ||
      a.user.userName.localeCompare(b.user.userName),
  );
  const rows = exempt.map(
    ({ accountId, user }) =>
      `<tr><td>${e(accountId)}</td><td>${e(user.userName)}</td><td>${user.exemptUntil ? `<time datetime="${e(user.exemptUntil)}">${e(when(user.exemptUntil))}</time>` : 'no expiry'}</td><td>${e(user.exemptReason ?? '')}</td></tr>`,
  );
  return `<table><caption>Exempt users lacking MFA, soonest expiry first</caption><thead><tr><th scope="col">Account</th><th scope="col">User</th><th scope="col">Exempt until</th><th scope="col">Why</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:1080px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:36px 0 10px}
.meta{color:var(--muted);margin:0 0 20px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(118px,1fr));gap:12px;margin:0;padding:0;list-style:none}
.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px;border-left:6px solid var(--c)}
.tile strong{display:block;font-size:26px;line-height:1.2}
.tile span{color:var(--muted);font-size:13px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 10px;padding:0;list-style:none;font-size:13px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{width:14px;height:14px;border-radius:3px;display:inline-block}
.chart{display:block;max-width:100%;height:auto}
.chart .axis-label{font-size:13px;fill:var(--ink)}
.chart .total{font-size:12px;fill:var(--muted)}
.chart .in-bar{font-size:12px;fill:#fff;font-weight:600}
.chart .tick{font-size:11px;fill:var(--muted)}
.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart rect:hover{opacity:.85}
table{border-collapse:collapse;width:100%;margin-top:14px;background:#fff;font-size:14px}
caption{text-align:left;font-weight:600;padding:6px 0}
th,td{border-bottom:1px solid var(--line);padding:6px 10px;text-align:left}
td{font-variant-numeric:tabular-nums}
thead th{background:#f6f8fa}
.total-row th,.total-row td{font-weight:600}
.card>table:first-child{margin-top:0}
.axis-title{font-size:11px;fill:var(--muted)}
.failed{background:#fff1f0;border:1px solid #ffb3ab;border-radius:8px;padding:10px 14px}
@media print{body{background:#fff}.card,.tile{break-inside:avoid}}
`;

/** Renders the report as a self-contained HTML document. */
export function reportHtml(report: Report): string {
  const now = Date.parse(report.generatedAt);
  const { totals } = report;
  const tiles = [
    { label: 'Users in scope', value: totals.inScope, colour: '#6e7781' },
    {
      label: `Compliant (${percent(totals.compliant, totals.inScope)})`,
      value: totals.compliant,
      colour: STATE_STYLE.compliant.colour,
    },
    ...USER_STATES.filter((state) => state !== 'compliant').map((state) => ({
      label: STATE_STYLE[state].label,
      value: totals[COUNT_OF[state]],
      colour: STATE_STYLE[state].colour,
    })),
  ]
    .map(
      (tile) =>
        `<li class="tile" style="--c:${tile.colour}"><strong>${tile.value}</strong><span>${e(tile.label)}</span></li>`,
    )
    .join('');
  const legend = USER_STATES.map(
    (state) =>
      `<li><span class="swatch" style="background:${STATE_STYLE[state].colour}" aria-hidden="true"></span>${e(STATE_STYLE[state].label)}</li>`,
  ).join('');
  const failed = report.accounts.filter((account) => account.status === 'failed');
  const problems = [
    ...failed.map(
      (account) =>
        `<li>${e(account.accountId)}: not reported — ${e(account.status === 'failed' ? `${account.error.code}: ${account.error.message}` : '')}</li>`,
    ),
    ...report.skipped.map((skip) => `<li>${e(skip.accountId)}: skipped — ${e(skip.reason)}</li>`),
    ...okAccounts(report)
      .filter((account) => account.rootWithoutMfa)
      .map(
        (account) =>
          `<li>${e(account.accountId)}: the root user has no MFA device (only a person can fix it)</li>`,
      ),
  ];
  const timeline = deadlineChart(report, now);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mfa-remediation">
<title>MFA campaign report — ${e(when(report.generatedAt))}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>MFA campaign report</h1>
<p class="meta">Generated ${e(when(report.generatedAt))} · scope <code>${e(report.scope)}</code> · ${okAccounts(report).length} account(s) · schema <code>${e(report.schema)}</code></p>
<ul class="tiles" aria-label="Totals">${tiles}</ul>
${problems.length > 0 ? `<h2>Needs attention</h2><ul class="failed">${problems.join('')}</ul>` : ''}
<h2 id="by-account">Users by state per account</h2>
<section class="card" aria-labelledby="by-account">
<ul class="legend" aria-label="Legend">${legend}</ul>
${stateChart(report)}
${countsTable(report)}
</section>
<h2 id="deadlines">Deadlines coming up</h2>
<section class="card" aria-labelledby="deadlines">
${timeline.svg}
${deadlineTable(report, now)}
</section>
<h2 id="exempt">Exemptions</h2>
<section class="card" aria-labelledby="exempt">
${exemptTable(report)}
</section>
</main>
</body>
</html>
`;
}
