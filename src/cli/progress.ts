/**
 * A minimal progress bar on stderr for interactive runs: redrawn in place with a carriage return, erased when
 * done. Only drawn on a terminal; a no-op otherwise, so piped output and logs never receive control codes.
 */
import type { Writable } from 'node:stream';

export interface ProgressBar {
  /** Marks one more unit done; `detail` (e.g. the account just finished) is shown after the count. */
  tick(detail?: string): void;
  /** Erases the bar. */
  done(): void;
}

const WIDTH = 24;

/** A bar of `total` units labelled `label`, or a silent one when `enabled` is false. */
export function createProgressBar(
  stream: Writable,
  options: { total: number; label: string; unit: string; enabled: boolean },
): ProgressBar {
  if (!options.enabled || options.total <= 0) return { tick() {}, done() {} };
  let current = 0;
  const draw = (detail?: string) => {
    const filled = Math.round((current / options.total) * WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
    stream.write(
      `\r\x1b[K${options.label} [${bar}] ${current}/${options.total} ${options.unit}${detail ? ` ${detail}` : ''}`,
    );
  };
  draw();
  return {
    tick(detail) {
      current = Math.min(options.total, current + 1);
      draw(detail);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
