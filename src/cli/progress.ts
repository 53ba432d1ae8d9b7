/**
 * Live progress on stderr for people at a terminal: one status line redrawn in place (carriage return,
 * erase line), kept below the log lines, which are written above it. Only drawn when stderr is a terminal;
 * otherwise a no-op, so redirected output and logs never receive control codes.
 */
import type { Writable } from 'node:stream';

export interface StatusLine {
  /** Whether anything is drawn (stderr is a terminal). */
  readonly enabled: boolean;
  /** Replaces the status text. */
  set(text: string): void;
  /** Prints a permanent line (a stage done, a log line) above the status line. */
  above(text: string): void;
  /** Erases the status line. */
  clear(): void;
}

const ERASE = '\r\x1b[K';

/** A status line on `stream` (disabled unless `enabled`); lines longer than the terminal are cut. */
export function createStatusLine(
  stream: Writable & { columns?: number },
  options: { enabled: boolean },
): StatusLine {
  let text = '';
  const cut = (line: string) => {
    const width = (stream.columns ?? 80) - 1;
    const chars = [...line];
    return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
  };
  const draw = () => {
    if (text) stream.write(`${ERASE}${cut(text)}`);
  };
  if (!options.enabled) {
    return { enabled: false, set() {}, above: (line) => void stream.write(line), clear() {} };
  }
  return {
    enabled: true,
    set(next) {
      text = next;
      stream.write(ERASE);
      draw();
    },
    above(line) {
      stream.write(`${text ? ERASE : ''}${line.endsWith('\n') ? line : `${line}\n`}`);
      draw();
    },
    clear() {
      if (text) stream.write(ERASE);
      text = '';
    },
  };
}

/** `n unit` with thousands separators. */
export function count(n: number, unit: string): string {
  return `${n.toLocaleString('en-US')} ${unit}`;
}
