/**
 * Which accounts a scheduled sweep covers: `SWEEP_ACCOUNTS` — unset (the worker's own account), a
 * comma-separated list of account ids, or `organization` (every ACTIVE account of the AWS Organization).
 * Validated like every other variable: one line naming the variable on error.
 */
import type { Env } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { PATTERNS } from './model.ts';

/** The accounts a sweep is asked to cover, before ALLOWED_ACCOUNTS filters them. */
export type SweepTarget =
  | { readonly kind: 'self' }
  | { readonly kind: 'accounts'; readonly accounts: readonly string[] }
  | { readonly kind: 'organization' };

/** The keyword for every ACTIVE account of the organisation. */
export const ORGANIZATION_KEYWORD = 'organization';

/** Parses `SWEEP_ACCOUNTS`; throws {@link ConfigError} naming it when a value is not an account id. */
export function loadSweepTarget(env: Env = process.env): SweepTarget {
  const raw = env.SWEEP_ACCOUNTS?.trim() ?? '';
  if (raw === '') return { kind: 'self' };
  const items = [
    ...new Set(
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
  if (items.includes(ORGANIZATION_KEYWORD)) {
    if (items.length > 1) {
      throw new ConfigError(
        'SWEEP_ACCOUNTS',
        `"${ORGANIZATION_KEYWORD}" cannot be combined with account ids`,
      );
    }
    return { kind: 'organization' };
  }
  for (const item of items) {
    if (!PATTERNS.accountId.test(item)) {
      throw new ConfigError(
        'SWEEP_ACCOUNTS',
        `"${item}" is not a 12-digit account id (or use "${ORGANIZATION_KEYWORD}")`,
      );
    }
  }
  return { kind: 'accounts', accounts: items };
}
