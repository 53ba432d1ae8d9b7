/**
 * The command line's output formats. `--output text` must print exactly what the AWS CLI's text formatter
 * prints for the same document: the expected strings below are awscli's own output (awscli 1.45,
 * `awscli.text.format_text`), recorded for these documents.
 */
import { describe, expect, it } from 'vitest';
import { formatJson, formatText, renderTable, renderValueTable } from '../../src/cli/output.ts';

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
    { header: 'TASK', value: (r: (typeof rows)[number]) => r.id },
    { header: 'ERROR', value: (r: (typeof rows)[number]) => r.empty },
  ];

  it('fits the width: empty columns go first, then long cells end in an ellipsis; nothing wraps', () => {
    const table = renderTable(rows, columns, { width: 40 });
    const lines = table.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(lines[0]).not.toContain('ERROR');
    expect(lines[2]).toMatch(/^COMPLETED {2}eyJ0YXNrSWQiOi.*…$/);
  });

  it('without a width keeps every cell whole', () => {
    expect(renderTable(rows, columns)).toContain(rows[0]?.id);
  });

  it('renders a queried value by its shape: objects as columns, scalars as lines', () => {
    expect(renderValueTable([{ user: 'bob', outcome: 'x' }]).split('\n')[0]).toMatch(/^user\s+outcome$/);
    expect(renderValueTable(['a', 'b'])).toBe('a\nb');
    expect(renderValueTable(null)).toBe('');
  });
});
