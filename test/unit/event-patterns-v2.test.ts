/**
 * The "Findings Imported V2" rule's pattern (src/policies/event-patterns.ts) agrees with intake: every control
 * intake reads as "lacks MFA" is routed by it, through `compliance.control` or the finding uid's wildcards
 * (EventBridge wildcard matching: `*` is any run of characters, everything else literal).
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/core/intake.ts';
import { makeOcsfFinding } from '../../src/local/findings-ocsf.ts';
import {
  MFA_CONTROL_IDS,
  MFA_GENERATOR_IDS,
  SECURITY_HUB_V2_FINDINGS_PATTERN,
} from '../../src/policies/event-patterns.ts';

const { findings: pattern } = SECURITY_HUB_V2_FINDINGS_PATTERN.detail;
const [byControl, byUid] = pattern.$or;
const wildcards = byUid.finding_info.uid.map(
  ({ wildcard }) =>
    new RegExp(
      `^${wildcard
        .split('*')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*')}$`,
    ),
);
const routed = (finding: Record<string, unknown>) => {
  const control = (finding.compliance as { control?: string }).control ?? '';
  const uid = (finding.finding_info as { uid: string }).uid;
  return (
    (byControl.compliance.control as readonly string[]).includes(control) ||
    wildcards.some((w) => w.test(uid))
  );
};
const readAsLacksMfa = (finding: Record<string, unknown>) => {
  const [item] = parseMessage(JSON.stringify(finding), { allowedAccounts: '*' });
  return item?.kind === 'work';
};

describe('SECURITY_HUB_V2_FINDINGS_PATTERN', () => {
  const standardControls = MFA_GENERATOR_IDS.filter((id) => !id.startsWith('security-control/')).map((id) =>
    id.replace(/^arn:aws:securityhub:::ruleset\//, '').replace('/rule/', '/'),
  );

  it.each([...MFA_CONTROL_IDS])('routes consolidated %s findings, which intake acts on', (controlId) => {
    const finding = makeOcsfFinding({ controlId });

    expect(routed(finding)).toBe(true);
    expect(readAsLacksMfa(finding)).toBe(true);
  });

  it.each(standardControls)(
    'routes standard-specific %s findings, which intake acts on',
    (standardControl) => {
      const finding = makeOcsfFinding({ standardControl });

      expect(routed(finding)).toBe(true);
      expect(readAsLacksMfa(finding)).toBe(true);
    },
  );

  it.each([
    ['IAM.8', makeOcsfFinding({ controlId: 'IAM.8' })],
    ['CIS v1.4.0 1.12', makeOcsfFinding({ standardControl: 'cis-aws-foundations-benchmark/v/1.4.0/1.12' })],
    ['root MFA IAM.9', makeOcsfFinding({ controlId: 'IAM.9' })],
  ])('leaves %s findings off the queue', (_name, finding) => {
    expect(routed(finding)).toBe(false);
  });

  it('routes only failed, open, New or In Progress Compliance Findings', () => {
    expect(pattern.class_uid).toEqual([2003]);
    expect(pattern.compliance.status_id).toEqual([3]);
    expect(pattern.status_id).toEqual([1, 2]);
    expect(pattern.activity_id).toEqual([{ 'anything-but': [3] }]);
  });
});
