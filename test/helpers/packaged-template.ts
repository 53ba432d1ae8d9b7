/**
 * The CloudFormation template `npm run package` (osls + serverless-esbuild, offline) produces, for the tests
 * that assert on what the stack would really deploy. CI packages right before the tests; when the template is
 * missing or older than its sources, the first test file that asks packages (about 5 seconds), under a lock
 * so that test files running in parallel never package into `.serverless/` at the same time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/render-policies.ts';
import type { Template } from '../../src/local/cloudformation.ts';

export const PACKAGE_OUTPUT = join(ROOT, '.serverless');
export const PACKAGED_TEMPLATE = join(PACKAGE_OUTPUT, 'cloudformation-template-update-stack.json');
const LOCK = join(ROOT, '.serverless.lock');

function isStale(): boolean {
  if (!existsSync(PACKAGED_TEMPLATE)) return true;
  const built = statSync(PACKAGED_TEMPLATE).mtimeMs;
  const sources = [
    join(ROOT, 'serverless.yml'),
    ...readdirSync(join(ROOT, 'deploy')).map((file) => join(ROOT, 'deploy', file)),
  ];
  return sources.some((source) => statSync(source).mtimeMs > built);
}

/** Waits for (then takes) the packaging lock; a lock older than two minutes is a crashed run's, and broken. */
function withLock<T>(fn: () => T): T {
  for (const started = Date.now(); ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000)
        rmSync(LOCK, { recursive: true });
      if (Date.now() - started > 150_000) throw new Error(`timed out waiting for ${LOCK}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The packaged template, packaged first when stale. */
export function loadPackagedTemplate<T extends Template = Template>(): T {
  withLock(() => {
    if (isStale()) {
      execFileSync('npm', ['run', 'package', '--silent'], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    }
  });
  return JSON.parse(readFileSync(PACKAGED_TEMPLATE, 'utf8')) as T;
}
