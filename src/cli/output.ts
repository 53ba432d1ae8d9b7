/**
 * Result output for every command, with the AWS CLI's `--output` formats and `--query`:
 *
 * - `json`: the document as JSON with four-space indents, as `aws` prints it; a stream of documents (the
 *   outcomes of `process` and `worker`) is JSON lines, one compact document per line.
 * - `text`: tab-separated values exactly as the AWS CLI's text formatter prints them (awscli/text.py): the
 *   scalars of an object on one line in key order, nested lists and objects on lines of their own, headed
 *   by their key in capitals; Python's spelling of `True`, `False` and `None`.
 * - `yaml`: the document as YAML (a stream: one YAML document per result, each after `---`).
 * - `table`: aligned columns for people, fitted to the terminal's width by shortening free text with an
 *   ellipsis; when headers and identifiers alone do not fit, one record of `HEADER  value` lines per row.
 *
 * `--query` (JMESPath) is applied to each printed document, then the result is formatted, as the AWS CLI
 * does: `process --query outcome --output text` prints one outcome name per line.
 */
import { ValidationError } from '../errors.ts';

/** jmespath's `search`, loaded by {@link loadQuery} only when `--query` is given (start-up stays fast). */
let search: ((value: never, expression: string) => unknown) | undefined;

/** Loads the JMESPath implementation and checks the expression, before any work is done. */
export async function loadQuery(query: string): Promise<void> {
  search ??= (await import('jmespath')).search;
  applyQuery({}, query);
}

export const OUTPUT_FORMATS = ['json', 'text', 'table', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** Formats of documents for people rather than programs, which only `report` writes. */
export const REPORT_FORMATS = ['csv', 'html'] as const;

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | undefined;
  /** Free text (reasons, actions, handles): narrowed first when the table must fit the terminal. */
  readonly flex?: boolean;
}

/** How a command shows its result as a table; `--query` and the other formats work on the JSON document. */
export interface TableView<T> {
  readonly rows: readonly T[];
  readonly columns: readonly Column<T>[];
  /** Lines after the table (counts, hints); part of the table view only. */
  readonly footer?: string;
}

export interface TableStyle {
  /** The terminal's width in columns; undefined = no limit (output is not a terminal). */
  readonly width?: number;
  /** Bold headers (`--color on`, or `auto` on a terminal). */
  readonly color?: boolean;
}

const ELLIPSIS = '…';
/** Narrowest a column is shrunk to when the table must fit the terminal. */
const MIN_COLUMN = 6;
/** Narrowest a free-text column may get before the table is printed as records instead. */
const MIN_FREE_TEXT = 12;
const GAP = '  ';

/**
 * A plain-text table with aligned columns, one line per row. When it is wider than `style.width`, columns
 * with nothing in them are left out, then free-text (`flex`) columns are narrowed and their long cells end in
 * an ellipsis. Headers, identifiers and numbers are never cut: when they alone do not fit, or would leave a
 * free-text column fewer than {@link MIN_FREE_TEXT} characters, each row is printed as a record of
 * `HEADER  value` lines instead (psql's expanded display), values wrapped to the width.
 */
export function renderTable<T>(
  rows: readonly T[],
  allColumns: readonly Column<T>[],
  style: TableStyle = {},
): string {
  let columns = allColumns;
  let cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  let widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => length(r[i] ?? ''))));
  const bold = (text: string) => (style.color ? `\x1b[1m${text}\x1b[0m` : text);
  if (style.width !== undefined && tableWidth(widths) > style.width) {
    // Too wide: first leave out columns with nothing in them, then narrow the free text.
    const keep = columns.map((_, i) => cells.some((r) => (r[i] ?? '') !== ''));
    if (keep.some((k) => !k) && keep.some(Boolean)) {
      columns = columns.filter((_, i) => keep[i]);
      cells = cells.map((r) => r.filter((_, i) => keep[i]));
      widths = widths.filter((_, i) => keep[i]);
    }
    if (!narrowFreeText(widths, columns, style.width)) {
      return renderRecords(cells, columns, style.width, bold);
    }
  }
  const line = (values: readonly string[], header = false) =>
    values
      .map((v, i) => {
        const cell = pad(truncate(v, widths[i] ?? 0), widths[i] ?? 0);
        return header ? bold(cell) : cell;
      })
      .join(GAP)
      .trimEnd();
  return [
    line(
      columns.map((c) => c.header),
      true,
    ),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((r) => line(r)),
  ].join('\n');
}

function oneLine(value: string | number | boolean | undefined): string {
  return String(value ?? '').replace(/[\r\n\t]+/g, ' ');
}

/** Characters as the terminal counts them (code points; the product prints no wide characters). */
function length(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - length(text)));
}

function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}${ELLIPSIS}`;
}

function tableWidth(widths: readonly number[]): number {
  return widths.reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.length - 1);
}

/**
 * Narrows the widest free-text column, one character at a time, until the row fits `width`; never below its
 * header or {@link MIN_FREE_TEXT}. False when that is not enough: the table does not fit as lines.
 */
function narrowFreeText<T>(widths: number[], columns: readonly Column<T>[], width: number): boolean {
  const floor = columns.map((c, i) =>
    c.flex ? Math.min(widths[i] ?? 0, Math.max(c.header.length, MIN_FREE_TEXT)) : (widths[i] ?? 0),
  );
  while (tableWidth(widths) > width) {
    let widest = -1;
    for (const [i, w] of widths.entries()) {
      if (w > (floor[i] ?? 0) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) return false;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return true;
}

/** Each row as a block of `HEADER  value` lines (values wrapped to `width`), blocks apart by a blank line. */
function renderRecords<T>(
  cells: readonly (readonly string[])[],
  columns: readonly Column<T>[],
  width: number,
  bold: (text: string) => string,
): string {
  const label = Math.max(...columns.map((c) => length(c.header)));
  const room = Math.max(MIN_COLUMN, width - label - GAP.length);
  const indent = ' '.repeat(label + GAP.length);
  return cells
    .map((row) =>
      columns
        .flatMap((column, i) => {
          const value = row[i] ?? '';
          if (value === '') return [];
          const [first = '', ...rest] = wrapText(value, room);
          return [`${bold(pad(column.header, label))}${GAP}${first}`, ...rest.map((l) => `${indent}${l}`)];
        })
        .join('\n'),
    )
    .join('\n\n');
}

/** Visible width of a line (ANSI colour codes do not count). */
export function visibleWidth(line: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI escape sequences
  return length(line.replace(/\x1b\[[0-9;]*m/g, ''));
}

/**
 * Word-wraps one line of text to `width` characters: it breaks at spaces, and inside a word only when the
 * word alone is wider than a line. The text's own indentation starts the first line, `continuation` every
 * other; both count in the width.
 */
export function wrapText(text: string, width: number, continuation = ''): string[] {
  const indent = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  const prefix = () => (lines.length === 0 ? indent : continuation);
  let line = '';
  for (const word of text.slice(indent.length).split(' ')) {
    if (line !== '' && length(prefix()) + length(line) + 1 + length(word) > width) {
      lines.push(prefix() + line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
    for (
      let room = width - length(prefix());
      length(line) > room && room > 0;
      room = width - length(prefix())
    ) {
      const chars = [...line];
      lines.push(prefix() + chars.slice(0, room).join(''));
      line = chars.slice(room).join('');
    }
  }
  lines.push(prefix() + line);
  return lines;
}

/** A table of any JSON value, for `--output table` with `--query`: the shape decides the columns. */
export function renderValueTable(value: unknown, style: TableStyle = {}): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '';
    if (value.every(isPlainObject)) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return renderTable(
        value,
        keys.map((key) => ({ header: key, value: (row: Record<string, unknown>) => scalar(row[key]) })),
        style,
      );
    }
    if (value.every(Array.isArray)) {
      const width = Math.max(...value.map((v) => (v as unknown[]).length));
      return renderTable(
        value as unknown[][],
        Array.from({ length: width }, (_, i) => ({ header: '', value: (row: unknown[]) => scalar(row[i]) })),
        style,
      )
        .split('\n')
        .slice(2)
        .join('\n');
    }
    return value.map((v) => truncate(oneLine(scalar(v)), style.width ?? Number.POSITIVE_INFINITY)).join('\n');
  }
  if (isPlainObject(value)) {
    return renderTable(
      [value],
      Object.keys(value).map((key) => ({ header: key, value: (row) => scalar(row[key]) })),
      style,
    );
  }
  return truncate(oneLine(scalar(value)), style.width ?? Number.POSITIVE_INFINITY);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function scalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Applies `--query` (JMESPath) to a JSON value; a malformed expression is a usage error. */
export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  if (!search) throw new Error('--query used before loadQuery()');
  try {
    return search(value as never, query);
  } catch (error) {
    throw new ValidationError(`--query: invalid JMESPath expression: ${(error as Error).message}`, {
      field: '--query',
    });
  }
}

/** `--output json`: four-space indents and non-ASCII kept, as the AWS CLI prints (`json.dumps(indent=4)`). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 4);
}

/** One compact JSON line (a document of a stream). */
export function formatJsonLine(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * `--output text`, a port of the AWS CLI's text formatter (awscli/text.py `format_text`), so scripts
 * written against `aws … --output text` read this tool's output the same way. Returns the lines with a
 * trailing newline, or '' for nothing (an empty list, as the AWS CLI prints nothing for it).
 */
export function formatText(value: unknown): string {
  const out: string[] = [];
  textItem(value, out, undefined, undefined);
  return out.join('');
}

type Json = unknown;

function textItem(
  item: Json,
  out: string[],
  identifier: string | undefined,
  scalarKeys: string[] | undefined,
) {
  if (isPlainObject(item)) textDict(item, out, identifier, scalarKeys);
  else if (Array.isArray(item)) textList(item, out, identifier);
  else out.push(`${py(item)}\n`);
}

function textList(item: Json[], out: string[], identifier: string | undefined) {
  if (item.length === 0) return;
  if (item.some(isPlainObject)) {
    const keys = allScalarKeys(item);
    for (const element of item) textItem(element, out, identifier, keys);
  } else if (item.some(Array.isArray)) {
    const scalars = item.filter((e) => !isContainer(e));
    const containers = item.filter(isContainer);
    if (scalars.length > 0) textScalarList(scalars, out, identifier);
    for (const element of containers) textItem(element, out, identifier, undefined);
  } else {
    textScalarList(item, out, identifier);
  }
}

function textScalarList(elements: Json[], out: string[], identifier: string | undefined) {
  if (identifier !== undefined) {
    for (const element of elements) out.push(`${identifier.toUpperCase()}\t${py(element)}\n`);
  } else {
    out.push(`${elements.map(py).join('\t')}\n`);
  }
}

function textDict(
  item: Record<string, Json>,
  out: string[],
  identifier: string | undefined,
  scalarKeys: string[] | undefined,
) {
  const scalars: string[] = [];
  const containers: [string, Json][] = [];
  if (scalarKeys === undefined) {
    for (const key of Object.keys(item).sort(byCodePoint)) {
      const value = item[key];
      if (isContainer(value)) containers.push([key, value]);
      else scalars.push(py(value));
    }
  } else {
    // A key other elements of the list have and this one lacks prints as empty, as in awscli/text.py.
    for (const key of scalarKeys) scalars.push(key in item ? py(item[key]) : '');
    for (const key of Object.keys(item)
      .filter((k) => !scalarKeys.includes(k))
      .sort(byCodePoint)) {
      containers.push([key, item[key]]);
    }
  }
  if (scalars.length > 0) {
    if (identifier !== undefined) scalars.unshift(identifier.toUpperCase());
    out.push(`${scalars.join('\t')}\n`);
  }
  for (const [key, value] of containers) textItem(value, out, key, undefined);
}

function allScalarKeys(list: Json[]): string[] {
  const keys = new Set<string>();
  for (const element of list) {
    if (!isPlainObject(element)) continue;
    for (const [key, value] of Object.entries(element)) if (!isContainer(value)) keys.add(key);
  }
  return [...keys].sort(byCodePoint);
}

function isContainer(value: Json): boolean {
  return value !== null && typeof value === 'object';
}

/** Python's sorted() order of str keys: by code point. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python's str() of a JSON scalar, which is what the AWS CLI's text output prints. */
function py(value: Json): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}
