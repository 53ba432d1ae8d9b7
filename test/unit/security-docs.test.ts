/**
 * docs/security.md explains every statement of every policy the stack deploys; this fails when a statement is
 * added (or renamed) in `src/policies/` without the page saying why it is there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JSON_FILES, MEMBER_TEMPLATE, ROOT } from '../../scripts/render-policies.ts';

const page = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');

function sids(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(sids);
  if (value === null || typeof value !== 'object') return [];
  const own = typeof (value as { Sid?: unknown }).Sid === 'string' ? [(value as { Sid: string }).Sid] : [];
  return [...own, ...Object.values(value).flatMap(sids)];
}

describe('docs/security.md', () => {
  it.each(Object.entries(JSON_FILES).filter(([path]) => !path.endsWith('-pattern.json')))(
    'explains every statement of %s',
    (_path, document) => {
      const missing = sids(document).filter((sid) => !page.includes(`\`${sid}\``));
      expect(missing).toEqual([]);
    },
  );

  it(`explains the member role's trust policy (${MEMBER_TEMPLATE})`, () => {
    const template = readFileSync(`${ROOT}/${MEMBER_TEMPLATE}`, 'utf8');
    for (const sid of [...template.matchAll(/Sid: (\w+)/g)].map((m) => m[1] as string)) {
      expect(page, sid).toContain(`\`${sid}\``);
    }
  });
});
