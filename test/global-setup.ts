/**
 * Vitest global setup: the command-line tests run the real binary (`bin/mfa-remediation.js`, which runs the
 * compiled `dist/`) as a child process, so dist/ is rebuilt first whenever a source is newer than it.
 */
// @ts-expect-error: a plain JavaScript build script without type declarations
import { build, isStale } from '../scripts/build.mjs';

export default function setup(): void {
  if (isStale()) build();
}
