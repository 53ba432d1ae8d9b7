/**
 * Generates the JSON Schema files of `schemas/` from the zod schemas in `src/core/model.ts` (docs/reference.md: Schemas), so
 * that producers and consumers in other languages validate against exactly what the code accepts and emits.
 * The schemas are never written by hand:
 *
 *   npx tsx scripts/generate-schemas.ts          # write schemas/*.schema.json
 *   npx tsx scripts/generate-schemas.ts --check  # exit 1 if a committed file is out of date (CI)
 *
 * `test/unit/schemas.test.ts` fails when the committed files differ from freshly generated ones.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { Outcome, SweepSummary, TaskMessage } from '../src/core/model.ts';
import { Report } from '../src/core/report/model.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface SchemaSource {
  readonly schema: z.ZodType;
  readonly title: string;
  readonly description: string;
  /** Producers send tasks (validate the input side); outcomes and summaries are what we emit. */
  readonly io: 'input' | 'output';
}

/** Each generated file (relative to the repository root) and the zod schema it comes from. */
export const SCHEMA_FILES: Readonly<Record<string, SchemaSource>> = {
  'schemas/task.schema.json': {
    schema: TaskMessage,
    title: 'mfa-remediation task message',
    description: 'A task message for the remediation queue (SQS message body), discriminated by "type".',
    io: 'input',
  },
  'schemas/outcome.schema.json': {
    schema: Outcome,
    title: 'mfa-remediation outcome (mfa-remediation/outcome@1)',
    description: 'One outcome, published to the outcome SNS topic per finding or task.',
    io: 'output',
  },
  'schemas/sweep.schema.json': {
    schema: SweepSummary,
    title: 'mfa-remediation sweep summary (mfa-remediation/sweep@1)',
    description: 'The per-account summary a sweep publishes to the outcome SNS topic.',
    io: 'output',
  },
  'schemas/report.schema.json': {
    schema: Report,
    title: 'mfa-remediation campaign report (mfa-remediation/report@1)',
    description:
      'What `mfa-remediation report --output json` prints: per account, every user in scope and its state.',
    io: 'output',
  },
};

const GENERATED = 'Generated from src/core/model.ts by scripts/generate-schemas.ts; do not edit.';

/** The text of every schema file, keyed by path relative to the repository root. */
export function renderSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [path, source] of Object.entries(SCHEMA_FILES)) {
    const { $schema, ...body } = z.toJSONSchema(source.schema, { target: 'draft-2020-12', io: source.io });
    const document = {
      $schema,
      $comment: GENERATED,
      title: source.title,
      description: source.description,
      ...body,
    };
    files[path] = `${JSON.stringify(document, null, 2)}\n`;
  }
  return files;
}

/** Paths whose committed content differs from the generated one (missing files included). */
export function staleSchemas(root = ROOT): string[] {
  return Object.entries(renderSchemas())
    .filter(([path, text]) => {
      try {
        return readFileSync(join(root, path), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(([path]) => path);
}

function main(argv: readonly string[]): number {
  if (argv.includes('--check')) {
    const stale = staleSchemas();
    for (const path of stale)
      process.stderr.write(`${path} is out of date: run npx tsx scripts/generate-schemas.ts\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const [path, text] of Object.entries(renderSchemas())) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), text);
    process.stderr.write(`wrote ${path}\n`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
