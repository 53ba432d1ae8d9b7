/**
 * Line-by-line questions on any pair of streams (a terminal, or the injected streams of a test), with
 * `node:readline/promises`. Lines are read through the interface's async iterator, which buffers them, so
 * answers typed (or piped) ahead of a question are never lost.
 */

import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { visibleWidth, wrapText } from './output.ts';

/** The input ended (Ctrl-D, a closed pipe) before the question was answered. */
export class PromptClosedError extends Error {
  constructor() {
    super('input ended before the question was answered');
    this.name = 'PromptClosedError';
  }
}

export interface Prompter {
  /** Writes a line of text for the person, word-wrapped to the terminal's width. */
  say(text: string): void;
  /** Asks a question; resolves with the trimmed answer. */
  ask(question: string): Promise<string>;
  /** Asks until the answer is yes or no; an empty answer takes the default. */
  confirm(question: string, defaultYes: boolean): Promise<boolean>;
  close(): void;
}

export function createPrompter(input: Readable, output: Writable & { columns?: number }): Prompter {
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const prompter: Prompter = {
    say: (text) => {
      // A terminal would break a long line mid-word at its last column. Lines that fit (the QR code's, drawn
      // with colour codes) are left as they are.
      const width = output.columns;
      const wrapped = text
        .split('\n')
        .flatMap((line) => (width && visibleWidth(line) > width ? wrapText(line, width) : [line]));
      output.write(`${wrapped.join('\n')}\n`);
    },
    async ask(question) {
      output.write(question);
      const next = await lines.next();
      if (next.done) throw new PromptClosedError();
      return String(next.value).trim();
    },
    async confirm(question, defaultYes) {
      const hint = defaultYes ? '[Y/n]' : '[y/N]';
      for (;;) {
        const answer = (await prompter.ask(`${question} ${hint} `)).toLowerCase();
        if (answer === '') return defaultYes;
        if (['y', 'yes'].includes(answer)) return true;
        if (['n', 'no'].includes(answer)) return false;
        prompter.say('Please answer y or n.');
      }
    },
    close: () => rl.close(),
  };
  return prompter;
}
