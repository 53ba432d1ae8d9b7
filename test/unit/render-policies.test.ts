/**
 * The deployment files embed documents rendered from `src/policies/`; this fails when someone edits a source
 * without re-rendering (or edits a rendered file by hand). Fix: `npx tsx scripts/render-policies.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fillGeneratedBlocks,
  GUARD_POLICY_CLOUDFORMATION,
  JSON_FILES,
  MEMBER_TEMPLATE,
  ROOT,
  renderAll,
} from '../../scripts/render-policies.ts';
import { createEvaluator } from '../../src/local/cloudformation.ts';
import { asCloudFormation } from '../../src/policies/cloudformation.ts';
import { GUARD_POLICY_DOCUMENT } from '../../src/policies/guard-policy.ts';

const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('rendered deployment files', () => {
  it.each(Object.entries(JSON_FILES))('%s holds the current source', (path, value) => {
    expect(JSON.parse(committed(path))).toEqual(value);
  });

  it('every rendered file is byte-for-byte what the script writes', () => {
    // Act
    const stale = [...renderAll()].filter(([path, content]) => committed(path) !== content).map(([p]) => p);
    // Assess
    expect(stale, 'run: npx tsx scripts/render-policies.ts').toEqual([]);
  });

  it(`${MEMBER_TEMPLATE} embeds the guard policy that CloudFormation turns back into the source`, () => {
    // Prepare
    const evaluate = createEvaluator({ Resources: {} }).evaluate;
    // Act / Assess: Fn::Sub with `${!aws:username}` yields the IAM policy variable itself.
    expect(evaluate(GUARD_POLICY_CLOUDFORMATION)).toEqual(GUARD_POLICY_DOCUMENT);
    expect(JSON.stringify(GUARD_POLICY_CLOUDFORMATION)).not.toMatch(/\$\{aws:/);
  });
});

describe('asCloudFormation', () => {
  it('escapes policy variables and takes the partition from the stack', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
    const plain = 'arn:aws:iam::*:user/${aws:username}';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax
    const sub = 'arn:${AWS::Partition}:iam::*:user/${!aws:username}';
    expect(asCloudFormation({ Resource: [plain, '*', 'iam:GetUser'] })).toEqual({
      Resource: [{ 'Fn::Sub': sub }, '*', 'iam:GetUser'],
    });
  });

  it('leaves values without ARNs or variables alone', () => {
    expect(asCloudFormation({ Bool: { 'aws:MultiFactorAuthPresent': 'false' }, n: 1 })).toEqual({
      Bool: { 'aws:MultiFactorAuthPresent': 'false' },
      n: 1,
    });
  });
});

describe('fillGeneratedBlocks', () => {
  it('replaces a marked block at its indentation and keeps the rest', () => {
    // Prepare
    const template = 'A:\n  B:\n    # >>> generated: doc\n    old: 1\n    # <<< generated: doc\n  C: 2\n';
    // Act
    const filled = fillGeneratedBlocks(template, { doc: { Version: '2012-10-17', Action: ['x:Y'] } });
    // Assess
    expect(filled).toBe(
      'A:\n  B:\n    # >>> generated: doc\n    Version: "2012-10-17"\n    Action:\n      - x:Y\n    # <<< generated: doc\n  C: 2\n',
    );
  });

  it('refuses unknown and missing blocks', () => {
    expect(() => fillGeneratedBlocks('# >>> generated: x\n# <<< generated: x', {})).toThrow(/unknown/);
    expect(() => fillGeneratedBlocks('nothing here', { doc: {} })).toThrow(/missing/);
  });
});
