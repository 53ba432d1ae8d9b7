/**
 * The command line's output formats. `--output text` must print exactly what the AWS CLI's text formatter
 * prints for the same document: the expected strings below are awscli's own output (awscli 1.45,
 * `awscli.text.format_text`), recorded for these documents.
 */
import { describe, expect, it } from 'vitest';
import { formatJson, formatText, renderTable, renderValueTable, wrapText } from '../../src/cli/output.ts';

const AWS_CLI_TEXT: [unknown, string][] = [
  [
    {
      Users: [
        { UserName: 'bob', Arn: 'arn:aws:iam::1:user/bob', Tags: [{ Key: 'a', Value: '1' }] },
        { UserName: 'al', Path: '/' },
      ],
      IsTruncated: false,
    },
    'False\nUSERS\tarn:aws:iam::1:user/bob\t\tbob\nTAGS\ta\t1\nUSERS\t\t/\tal\n',
  ],
  [['a', 'b', 1, true, null], 'a\tb\t1\tTrue\tNone\n'],
  [[['x', 'y'], ['z']], 'x\ty\nz\n'],
  [
    {
      outcome: 'remediated',
      actions: [{ action: 'tag-user', result: 'applied' }],
      dryRun: false,
      attempts: 1,
      trigger: { source: 'sweep', sweepId: 's1' },
    },
    '1\tFalse\tremediated\nACTIONS\ttag-user\tapplied\nTRIGGER\tsweep\ts1\n',
  ],
  ['enrollment-required', 'enrollment-required\n'],
  [[], ''],
  [{ a: null, b: [1, 2], c: { d: 'e' } }, 'None\nB\t1\nB\t2\nC\te\n'],
];

describe('--output text', () => {
  it.each(AWS_CLI_TEXT)('prints %j as the AWS CLI does', (document, expected) => {
    expect(formatText(document)).toBe(expected);
  });
});

describe('--output json', () => {
  it('indents with four spaces, as the AWS CLI does', () => {
    expect(formatJson({ a: [1] })).toBe('{\n    "a": [\n        1\n    ]\n}');
  });
});

describe('--output table', () => {
  const rows = [{ id: 'eyJ0YXNrSWQiOi'.repeat(12), status: 'COMPLETED', empty: '' }];
  const columns = [
    { header: 'STATUS', value: (r: (typeof rows)[number]) => r.status },
    { header: 'TASK', value: (r: (typeof rows)[number]) => r.id, flex: true },
    { header: 'ERROR', value: (r: (typeof rows)[number]) => r.empty },
  ];

  it('fits the width: empty columns go first, then long free text ends in an ellipsis; one line per row', () => {
    const table = renderTable(rows, columns, { width: 40 });
    const lines = table.split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(lines[0]).not.toContain('ERROR');
    expect(lines[2]).toMatch(/^COMPLETED {2}eyJ0YXNrSWQiOi.*…$/);
  });

  it('without a width keeps every cell whole', () => {
    expect(renderTable(rows, columns)).toContain(rows[0]?.id);
  });

  it('never cuts a header, an identifier or a number: what does not fit becomes one record per row', () => {
    // Prepare: a sweep-like row, nine columns that need 94 characters.
    type Row = { account: string; scanned: number; reason: string };
    const headers = ['ACCOUNT', 'SCANNED', 'NON-COMPLIANT', 'EXEMPT', 'ENQUEUED', 'ROOT MFA', 'REPORT AGE'];
    const wide: Row[] = [
      {
        account: '123456789012',
        scanned: 7,
        reason: 'a reason that is long enough to need two lines at this width',
      },
      { account: '210987654321', scanned: 12, reason: '' },
    ];
    const cols = [
      ...headers.map((header, i) => ({
        header,
        value: (r: Row) => (i === 0 ? r.account : i === 1 ? r.scanned : 'x'),
      })),
      { header: 'REASON', value: (r: Row) => r.reason, flex: true },
    ];

    // Act
    const table = renderTable(wide, cols, { width: 40 });

    // Assess: every value whole, labels aligned, long text wrapped under its value, records apart.
    const lines = table.split('\n');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(40);
    expect(table).not.toContain('…');
    expect(lines.slice(0, 3)).toEqual([
      'ACCOUNT        123456789012',
      'SCANNED        7',
      'NON-COMPLIANT  x',
    ]);
    expect(lines.slice(7, 10)).toEqual([
      'REASON         a reason that is long',
      '               enough to need two lines',
      '               at this width',
    ]);
    expect(lines[10]).toBe('');
    expect(lines[11]).toBe('ACCOUNT        210987654321');
    // An empty value is left out of its record.
    expect(lines.slice(11)).toHaveLength(7);
  });

  it('prints records when free text would get fewer than 12 characters', () => {
    const reasons = [{ id: 'a'.repeat(30), reason: 'account 111111111111 is not allowed' }];
    const table = renderTable(
      reasons,
      [
        { header: 'MESSAGE ID', value: (r: (typeof reasons)[number]) => r.id },
        { header: 'REASON', value: (r: (typeof reasons)[number]) => r.reason, flex: true },
      ],
      { width: 40 },
    );
    expect(table.split('\n')).toEqual([
      `MESSAGE ID  ${'a'.repeat(28)}`,
      '            aa',
      'REASON      account 111111111111 is not',
      '            allowed',
    ]);
  });

  it('wraps text at spaces, and inside a word only when it alone is wider than a line', () => {
    expect(wrapText('  │ one two three four', 12, '  │ ')).toEqual(['  │ one two', '  │ three', '  │ four']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('short', 80)).toEqual(['short']);
  });

  it('renders a queried value by its shape: objects as columns, scalars as lines', () => {
    expect(renderValueTable([{ user: 'bob', outcome: 'x' }]).split('\n')[0]).toMatch(/^user\s+outcome$/);
    expect(renderValueTable(['a', 'b'])).toBe('a\nb');
    expect(renderValueTable(null)).toBe('');
  });
});
