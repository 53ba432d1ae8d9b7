import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, renderSchemas, SCHEMA_FILES } from '../../scripts/generate-schemas.ts';
import { makeTask } from '../../src/local/findings.ts';

describe('schemas/ (docs/reference.md: Schemas)', () => {
  it.each(Object.keys(SCHEMA_FILES))('%s matches the zod schema it is generated from', (path) => {
    // Prepare
    const expected = renderSchemas()[path];

    // Act
    const committed = readFileSync(join(ROOT, path), 'utf8');

    // Assess: if this fails, run `npx tsx scripts/generate-schemas.ts` and commit the result.
    expect(committed).toBe(expected);
  });

  it('publishes every task type with its required fields and no others', () => {
    const schema = JSON.parse(renderSchemas()['schemas/task.schema.json'] ?? '{}') as {
      oneOf: { properties: { type: { const: string } }; required: string[]; additionalProperties: boolean }[];
    };

    const types = schema.oneOf.map((variant) => variant.properties.type.const);

    expect(types).toEqual(['mfa-missing', 'verify', 'enrollment-codes', 'resync-codes', 'sweep-account']);
    for (const variant of schema.oneOf) {
      expect(variant.additionalProperties).toBe(false);
      const example = makeTask(variant.properties.type.const);
      for (const field of variant.required) expect(example).toHaveProperty(field);
    }
  });
});
