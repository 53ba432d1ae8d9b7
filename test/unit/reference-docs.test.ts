/**
 * The documents name everything that exists, and only that: every configuration variable the code reads is a
 * row of the Configuration tables (README.md and docs/reference.md), every stage parameter, resource and
 * output of serverless.yml is in docs/deploy.md, and every "docs/reference.md: <Section>" citation names a
 * section the page has. A variable, parameter or section added or renamed without its documentation fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadSweepTarget } from '../../src/core/sweep-target.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

/** The variables a configuration loader reads, recorded by giving it an environment that watches. */
function variablesRead(load: (env: Record<string, string | undefined>) => unknown): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => {
      if (typeof name === 'string') seen.add(name);
      return undefined;
    },
  });
  load(env);
  return [...seen];
}

/** The first column of the Markdown table that follows `heading`. */
function tableKeys(page: string, heading: string): string[] {
  const rest = page.slice(page.indexOf(`\n${heading}\n`));
  const keys: string[] = [];
  for (const line of rest.split('\n').slice(1)) {
    if (keys.length > 0 && !line.startsWith('|')) break;
    const key = /^\| `([^`]+)` /.exec(line)?.[1];
    if (key) keys.push(key);
  }
  return keys;
}

describe('configuration', () => {
  const variables = [
    ...variablesRead((env) => loadConfig(env, { requireTopic: false })),
    ...variablesRead(loadSweepTarget),
  ].sort();

  it.each([
    ['README.md', '## Configuration'],
    ['docs/reference.md', '## Configuration'],
  ])('%s lists exactly the variables the code reads', (path, heading) => {
    expect(variables.length).toBeGreaterThan(20);
    expect(tableKeys(read(path), heading).sort()).toEqual(variables);
  });
});

describe('docs/deploy.md', () => {
  const template = read('serverless.yml');
  const page = read('docs/deploy.md');
  const block = (start: RegExp, indent: number) => {
    const from = template.slice(template.search(start));
    const names: string[] = [];
    for (const line of from.split('\n').slice(1)) {
      const match = new RegExp(`^ {${indent}}(\\w+):`).exec(line);
      if (match?.[1]) names.push(match[1]);
      else if (line.trim() !== '' && !line.startsWith(' '.repeat(indent)) && !line.trim().startsWith('#'))
        break;
    }
    return names;
  };

  it('names every stage parameter in its Parameters table', () => {
    const parameters = block(/^ {2}default:$/m, 4);
    expect(parameters).toContain('mode');
    expect(tableKeys(page, '## Parameters').filter((key) => !key.startsWith('—'))).toEqual(
      expect.arrayContaining(parameters),
    );
    const documented = [...page.matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1]);
    expect(parameters.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('names every resource and output of the stack', () => {
    const resources = block(/^ {2}Resources:$/m, 4);
    const outputs = block(/^ {2}Outputs:$/m, 4);
    expect(resources).toContain('RemediationQueue');
    expect(outputs).toContain('WorkerRoleArn');
    expect([...resources, ...outputs].filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('citations', () => {
  const files = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.md', '*.yml', '*.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && path !== 'package-lock.json');
  const sections = [...read('docs/reference.md').matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1] as string);

  it('every "docs/reference.md: <Section>" names a section of the page', () => {
    const wrong: string[] = [];
    for (const path of files) {
      // A citation may wrap onto the next line of a comment: join lines, dropping comment markers.
      const text = read(path).replace(/\n\s*(?:\*|\/\/|#)?\s*/g, ' ');
      for (const match of text.matchAll(/docs\/reference\.md(?:[:,]| \()\s*([A-Z][\w ]+)/g)) {
        const cited = match[1] as string;
        if (!sections.some((section) => cited.startsWith(section))) wrong.push(`${path}: ${cited}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('nothing cites an issue number or the product contract, which no reader of the repository can open', () => {
    const wrong = files.filter((path) => /\bissue #?\d+\b|contract ?§|contract\.md/i.test(read(path)));
    expect(wrong).toEqual([]);
  });
});
