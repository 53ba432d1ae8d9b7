import { describe, expect, it } from 'vitest';
import { type ControlFields, classifyControl } from '../../src/core/controls.ts';

describe('classifyControl', () => {
  describe('consolidated findings (Compliance.SecurityControlId)', () => {
    it.each([
      ['IAM.5', { kind: 'lacks-mfa', controlId: 'IAM.5', scope: 'console-users' }],
      ['IAM.19', { kind: 'lacks-mfa', controlId: 'IAM.19', scope: 'all-users' }],
      ['IAM.6', { kind: 'root-mfa', controlId: 'IAM.6' }],
      ['IAM.9', { kind: 'root-mfa', controlId: 'IAM.9' }],
      ['IAM.8', { kind: 'other', controlId: 'IAM.8' }],
      ['S3.1', { kind: 'other', controlId: 'S3.1' }],
    ])('%s', (securityControlId, expected) => {
      // Prepare
      const finding: ControlFields = {
        Compliance: { SecurityControlId: securityControlId },
        GeneratorId: `security-control/${securityControlId}`,
      };

      // Act
      const result = classifyControl(finding);

      // Assess
      expect(result).toEqual(expected);
    });

    it('prefers SecurityControlId over a disagreeing GeneratorId', () => {
      const finding: ControlFields = {
        Compliance: { SecurityControlId: 'IAM.19' },
        GeneratorId: 'aws-foundational-security-best-practices/v/1.0.0/IAM.5',
      };

      expect(classifyControl(finding)).toMatchObject({ controlId: 'IAM.19', scope: 'all-users' });
    });
  });

  describe('standard-specific GeneratorIds (consolidation off)', () => {
    it.each([
      ['security-control/IAM.5', 'lacks-mfa', 'IAM.5', 'console-users'],
      ['security-control/IAM.19', 'lacks-mfa', 'IAM.19', 'all-users'],
      ['aws-foundational-security-best-practices/v/1.0.0/IAM.5', 'lacks-mfa', 'IAM.5', 'console-users'],
      ['aws-foundational-security-best-practices/v/1.0.0/IAM.19', 'lacks-mfa', 'IAM.19', 'all-users'],
      [
        'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.2',
        'lacks-mfa',
        'IAM.5',
        'console-users',
      ],
      [
        'arn:aws-us-gov:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.2',
        'lacks-mfa',
        'IAM.5',
        'console-users',
      ],
      ['cis-aws-foundations-benchmark/v/1.4.0/1.10', 'lacks-mfa', 'IAM.5', 'console-users'],
      ['cis-aws-foundations-benchmark/v/3.0.0/1.10', 'lacks-mfa', 'IAM.5', 'console-users'],
      ['cis-aws-foundations-benchmark/v/5.0.0/1.9', 'lacks-mfa', 'IAM.5', 'console-users'],
      ['aws-foundational-security-best-practices/v/1.0.0/IAM.6', 'root-mfa', 'IAM.6', undefined],
      ['aws-foundational-security-best-practices/v/1.0.0/IAM.9', 'root-mfa', 'IAM.9', undefined],
      [
        'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.13',
        'root-mfa',
        'IAM.9',
        undefined,
      ],
      [
        'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.14',
        'root-mfa',
        'IAM.6',
        undefined,
      ],
      ['cis-aws-foundations-benchmark/v/1.4.0/1.5', 'root-mfa', 'IAM.9', undefined],
      ['cis-aws-foundations-benchmark/v/1.4.0/1.6', 'root-mfa', 'IAM.6', undefined],
      ['cis-aws-foundations-benchmark/v/3.0.0/1.5', 'root-mfa', 'IAM.9', undefined],
      ['cis-aws-foundations-benchmark/v/3.0.0/1.6', 'root-mfa', 'IAM.6', undefined],
      ['cis-aws-foundations-benchmark/v/5.0.0/1.4', 'root-mfa', 'IAM.9', undefined],
      ['cis-aws-foundations-benchmark/v/5.0.0/1.5', 'root-mfa', 'IAM.6', undefined],
      // Same numbers, other meanings: 1.10 is password reuse in v1.2.0, 1.9 is password reuse in v1.4.0.
      [
        'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.10',
        'other',
        'CIS v1.2.0/1.10',
        undefined,
      ],
      ['cis-aws-foundations-benchmark/v/1.4.0/1.9', 'other', 'CIS v1.4.0/1.9', undefined],
      ['cis-aws-foundations-benchmark/v/5.0.0/1.10', 'other', 'CIS v5.0.0/1.10', undefined],
      ['aws-foundational-security-best-practices/v/1.0.0/IAM.8', 'other', 'IAM.8', undefined],
    ])('%s → %s %s', (generatorId, kind, controlId, scope) => {
      const result = classifyControl({ GeneratorId: generatorId });

      expect(result).toEqual({ kind, controlId, ...(scope ? { scope } : {}) });
    });
  });

  describe('ProductFields', () => {
    it('reads a security control id from ProductFields.ControlId', () => {
      const result = classifyControl({
        GeneratorId: 'some-generator',
        ProductFields: { ControlId: 'IAM.19' },
      });

      expect(result).toEqual({ kind: 'lacks-mfa', controlId: 'IAM.19', scope: 'all-users' });
    });

    it.each([
      [
        {
          StandardsArn: 'arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/1.4.0',
          ControlId: '1.10',
        },
        'IAM.5',
      ],
      [
        {
          StandardsArn: 'arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/5.0.0',
          ControlId: '1.4',
        },
        'IAM.9',
      ],
      [
        {
          StandardsGuideArn: 'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0',
          RuleId: '1.2',
        },
        'IAM.5',
      ],
    ])('maps a CIS recommendation with its standard %#', (productFields, controlId) => {
      const result = classifyControl({ GeneratorId: 'unrecognised', ProductFields: productFields });

      expect(result.controlId).toBe(controlId);
    });
  });

  it.each([
    [{}, { kind: 'other' }],
    [{ GeneratorId: 'arn:aws:guardduty:us-east-1:111111111111:detector/abc' }, { kind: 'other' }],
    [
      { GeneratorId: 'pci-dss/v/3.2.1/PCI.IAM.6', ProductFields: { ControlId: 'PCI.IAM.6' } },
      { kind: 'other', controlId: 'PCI.IAM.6' },
    ],
  ])('is other for a finding without a known control %#', (finding, expected) => {
    expect(classifyControl(finding as ControlFields)).toEqual(expected);
  });
});
