/**
 * Result output for every command: `--output json` (one JSON document, or JSON lines for streams),
 * `--output table` (the default on a terminal), and `--query`, a JMESPath expression over the JSON as in the
 * AWS CLI. Results go to stdout; logs go to stderr.
 */
import { search } from 'jmespath';
import { ValidationError } from '../errors.ts';

export type OutputFormat = 'table' | 'json';

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | undefined;
}

/** A plain-text table with aligned columns; no colours, so it survives pipes and logs. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row) ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

/** Applies `--query` (JMESPath) to a JSON value; a malformed expression is a usage error. */
export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  try {
    return search(value, query) as unknown;
  } catch (error) {
    throw new ValidationError(`--query: invalid JMESPath expression: ${(error as Error).message}`, {
      field: '--query',
    });
  }
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
