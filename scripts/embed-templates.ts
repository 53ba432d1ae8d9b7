/**
 * Embeds the person-notification templates of `templates/notify/` into `src/core/notify/default-templates.ts`,
 * so that the CLI, the compiled package and the single-file Lambda bundles all carry them without reading
 * files at run time (an operator replaces them at run time with NOTIFY_TEMPLATE_DIR instead):
 *
 *   npx tsx scripts/embed-templates.ts          # write
 *   npx tsx scripts/embed-templates.ts --check  # exit 1 if the embedded copy is out of date
 *
 * `test/unit/notify-templates.test.ts` fails when the embedded copy differs from the files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATE_DIR = 'templates/notify';
export const EMBEDDED = 'src/core/notify/default-templates.ts';

/** The template files, by name. */
export function readTemplateFiles(root = ROOT): Record<string, string> {
  const directory = join(root, TEMPLATE_DIR);
  return Object.fromEntries(
    readdirSync(directory)
      .filter((name) => /\.(txt|html)$/.test(name))
      .sort()
      .map((name) => [name, readFileSync(join(directory, name), 'utf8')]),
  );
}

/** The embedded module's source, formatted as `biome check` expects. */
export function renderEmbedded(root = ROOT): string {
  const entries = Object.entries(readTemplateFiles(root))
    .map(([name, content]) => `  ${JSON.stringify(name)}: ${JSON.stringify(content)},`)
    .join('\n');
  const source = [
    `// Generated from ${TEMPLATE_DIR}/ by scripts/embed-templates.ts; do not edit. Edit the files and re-run it.`,
    '',
    '/** The built-in notification templates, by file name (see templates.ts). */',
    'export const DEFAULT_TEMPLATE_FILES: Readonly<Record<string, string>> = {',
    entries,
    '};',
    '',
  ].join('\n');
  const biome = join(root, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return source;
  const result = spawnSync(biome, ['format', `--stdin-file-path=${EMBEDDED}`], {
    input: source,
    encoding: 'utf8',
  });
  return result.status === 0 && result.stdout ? result.stdout : source;
}

function main(argv: readonly string[]): number {
  const target = join(ROOT, EMBEDDED);
  const wanted = renderEmbedded();
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (current === wanted) {
    process.stderr.write(`${EMBEDDED} is up to date\n`);
    return 0;
  }
  if (argv.includes('--check')) {
    process.stderr.write(`${EMBEDDED} is out of date: run npx tsx scripts/embed-templates.ts\n`);
    return 1;
  }
  writeFileSync(target, wanted);
  process.stderr.write(`wrote ${EMBEDDED}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
