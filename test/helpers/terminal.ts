/**
 * A scripted terminal for interactive commands: an input stream the test types into and an output stream it
 * reads, with `expect`-style waiting for a prompt before answering.
 */
import { PassThrough } from 'node:stream';

export interface Terminal {
  readonly input: PassThrough & { isTTY?: boolean };
  readonly output: PassThrough & { isTTY?: boolean };
  /** Everything written so far. */
  text(): string;
  /** Resolves when `needle` appears after the previous match; rejects after `timeoutMs`. */
  waitFor(needle: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Types a line. */
  type(line: string): void;
  /** Ends the input (Ctrl-D). */
  end(): void;
}

export function createTerminal(options: { tty?: boolean } = {}): Terminal {
  const input: Terminal['input'] = new PassThrough();
  const output: Terminal['output'] = new PassThrough();
  if (options.tty ?? true) {
    input.isTTY = true;
    output.isTTY = true;
  }
  let written = '';
  let cursor = 0;
  const waiters = new Set<() => void>();
  output.on('data', (chunk) => {
    written += String(chunk);
    for (const wake of waiters) wake();
  });
  const find = (needle: string | RegExp): number => {
    const rest = written.slice(cursor);
    if (typeof needle === 'string') {
      const at = rest.indexOf(needle);
      return at < 0 ? -1 : cursor + at + needle.length;
    }
    const match = needle.exec(rest);
    return match ? cursor + match.index + match[0].length : -1;
  };
  return {
    input,
    output,
    text: () => written,
    waitFor(needle, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const end = find(needle);
          if (end < 0) return;
          cursor = end;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out waiting for ${String(needle)}; output after cursor:\n${written.slice(cursor)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    type: (line) => {
      input.write(`${line}\n`);
    },
    end: () => {
      input.end();
    },
  };
}
