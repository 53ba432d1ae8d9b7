/**
 * What the guided enrolment writes for a person: lines wrapped at spaces to the terminal's width (a terminal
 * would cut them mid-word at its last column), and pre-drawn lines that fit — the QR code's, with colour
 * codes — left exactly as they are.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPrompter } from '../../src/cli/prompt.ts';

function terminal(columns?: number) {
  const output = Object.assign(new PassThrough(), columns === undefined ? {} : { columns });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  const prompter = createPrompter(new PassThrough(), output);
  return { prompter, written: () => written };
}

describe('Prompter.say', () => {
  it('wraps a long line at spaces to the terminal width', () => {
    const { prompter, written } = terminal(40);
    prompter.say('MFA is enabled for bob: from now on, signing in asks for a code from this device.');
    prompter.close();
    expect(written()).toBe(
      'MFA is enabled for bob: from now on,\nsigning in asks for a code from this\ndevice.\n',
    );
  });

  it('leaves lines that fit alone, counting what is visible (colour codes do not count)', () => {
    const { prompter, written } = terminal(12);
    const drawn = `\x1b[30;47m${'█'.repeat(10)}\x1b[0m`;
    prompter.say(`${drawn}\nshort`);
    prompter.close();
    expect(written()).toBe(`${drawn}\nshort\n`);
  });

  it('does not wrap without a terminal width (a pipe)', () => {
    const { prompter, written } = terminal();
    const line = 'x '.repeat(100).trim();
    prompter.say(line);
    prompter.close();
    expect(written()).toBe(`${line}\n`);
  });
});
