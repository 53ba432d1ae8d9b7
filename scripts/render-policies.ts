/**
 * Renders the policy documents and event patterns of `src/policies/` into the deployment files, so that each
 * is written once in TypeScript and embedded, never copied by hand:
 * - `deploy/*.json`, embedded by `serverless.yml` through `${file(...)}`;
 * - the blocks between `# >>> generated: NAME` and `# <<< generated: NAME` in `deploy/member-account-role.yml`.
 *
 *   npx tsx scripts/render-policies.ts          # write
 *   npx tsx scripts/render-policies.ts --check  # exit 1 if a committed file is out of date (CI)
 *
 * `test/unit/render-policies.test.ts` fails when the committed files differ from the sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { asCloudFormation } from '../src/policies/cloudformation.ts';
import { dashboardCloudFormation } from '../src/policies/dashboard.ts';
import {
  CONFIG_COMPLIANCE_PATTERN,
  SECURITY_HUB_CUSTOM_ACTION_PATTERN,
  SECURITY_HUB_FINDINGS_PATTERN,
  SECURITY_HUB_V2_FINDINGS_PATTERN,
} from '../src/policies/event-patterns.ts';
import { GUARD_POLICY_DOCUMENT } from '../src/policies/guard-policy.ts';
import { MESSAGE_KEY_POLICY, QUEUE_POLICY } from '../src/policies/resource-policies.ts';
import {
  ACCOUNT_POLICY,
  CENTRAL_POLICY,
  ESCALATION_CONSOLE_POLICY,
  ESCALATION_KEYS_POLICY,
  ESCROW_KMS_POLICY,
  MEMBER_ACCESS_POLICY,
  NOTIFY_POLICY,
  SWEEP_ORGANIZATION_POLICY,
  SWEEP_POLICY,
} from '../src/policies/worker-permissions.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MEMBER_TEMPLATE = 'deploy/member-account-role.yml';

/** The guard policy as both templates embed it: policy variables escaped, partition from the stack. */
export const GUARD_POLICY_CLOUDFORMATION = asCloudFormation(GUARD_POLICY_DOCUMENT);

/** JSON files (path relative to the repository root) and the value each one holds. */
export const JSON_FILES: Readonly<Record<string, unknown>> = {
  'deploy/guard-policy.json': GUARD_POLICY_CLOUDFORMATION,
  'deploy/worker-permissions.json': ACCOUNT_POLICY,
  'deploy/escalation-permissions.json': { console: ESCALATION_CONSOLE_POLICY, keys: ESCALATION_KEYS_POLICY },
  'deploy/escrow-kms-permissions.json': ESCROW_KMS_POLICY,
  'deploy/central-permissions.json': CENTRAL_POLICY,
  'deploy/member-access-permissions.json': MEMBER_ACCESS_POLICY,
  'deploy/sweep-permissions.json': { default: SWEEP_POLICY, organization: SWEEP_ORGANIZATION_POLICY },
  'deploy/queue-policy.json': QUEUE_POLICY,
  'deploy/message-key-policy.json': MESSAGE_KEY_POLICY,
  'deploy/securityhub-findings-pattern.json': SECURITY_HUB_FINDINGS_PATTERN,
  'deploy/securityhub-v2-findings-pattern.json': SECURITY_HUB_V2_FINDINGS_PATTERN,
  'deploy/config-compliance-pattern.json': CONFIG_COMPLIANCE_PATTERN,
  'deploy/securityhub-custom-action-pattern.json': SECURITY_HUB_CUSTOM_ACTION_PATTERN,
  'deploy/notify-permissions.json': NOTIFY_POLICY,
  'deploy/dashboard.json': dashboardCloudFormation(),
};

/** Generated blocks of the member-account template, by marker name. */
export const MEMBER_TEMPLATE_BLOCKS: Readonly<Record<string, unknown>> = {
  'guard-policy': GUARD_POLICY_CLOUDFORMATION,
  'worker-permissions': ACCOUNT_POLICY,
  'escalation-console': ESCALATION_CONSOLE_POLICY,
  'escalation-keys': ESCALATION_KEYS_POLICY,
  'escrow-kms': ESCROW_KMS_POLICY,
};

const BLOCK = /^( *)# >>> generated: ([\w-]+)\n[\s\S]*?^\1# <<< generated: \2$/gm;

/**
 * Replaces every generated block of a YAML template with its document in block-style YAML, indented to the
 * marker. Throws on an unknown marker or a missing one, so a renamed block cannot go stale.
 */
export function fillGeneratedBlocks(template: string, blocks: Readonly<Record<string, unknown>>): string {
  const seen = new Set<string>();
  const filled = template.replace(BLOCK, (_match, indent: string, name: string) => {
    if (!(name in blocks)) throw new Error(`unknown generated block "${name}"`);
    seen.add(name);
    const body = stringify(blocks[name], { indent: 2, lineWidth: 0, version: '1.1' })
      .trimEnd()
      .split('\n')
      .map((line) => indent + line)
      .join('\n');
    return `${indent}# >>> generated: ${name}\n${body}\n${indent}# <<< generated: ${name}`;
  });
  const missing = Object.keys(blocks).filter((name) => !seen.has(name));
  if (missing.length > 0)
    throw new Error(`generated blocks missing from the template: ${missing.join(', ')}`);
  return filled;
}

/** Formats a file the way `biome check` expects, so rendered files pass lint exactly as written. */
function format(path: string, raw: string): string {
  const biome = join(ROOT, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return raw;
  const result = spawnSync(biome, ['format', `--stdin-file-path=${path}`], { input: raw, encoding: 'utf8' });
  return result.status === 0 && result.stdout ? result.stdout : raw;
}

/** Every rendered file: path relative to the root → content. */
export function renderAll(root = ROOT): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path, value] of Object.entries(JSON_FILES)) {
    files.set(path, format(path, `${JSON.stringify(value, null, 2)}\n`));
  }
  const template = readFileSync(join(root, MEMBER_TEMPLATE), 'utf8');
  files.set(MEMBER_TEMPLATE, format(MEMBER_TEMPLATE, fillGeneratedBlocks(template, MEMBER_TEMPLATE_BLOCKS)));
  return files;
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const stale: string[] = [];
  for (const [path, content] of renderAll()) {
    const target = join(ROOT, path);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(path);
    if (!check) writeFileSync(target, content);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`out of date (run: npx tsx scripts/render-policies.ts): ${stale.join(', ')}\n`);
    return 1;
  }
  process.stderr.write(stale.length > 0 ? `rendered ${stale.join(', ')}\n` : 'deploy files up to date\n');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
