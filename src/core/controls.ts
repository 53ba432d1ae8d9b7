/**
 * Which Security Hub controls mean "this IAM user lacks MFA" (docs/reference.md: Messages).
 *
 * A finding names its control in one of three ways, depending on the account's settings and age:
 * - consolidated control findings (the default since 2023): `Compliance.SecurityControlId` (`IAM.5`) and
 *   `GeneratorId: security-control/IAM.5`, one finding per control whatever the standards enabled;
 * - standard-specific findings (consolidation off, and GovCloud / China regions for a while):
 *   `ProductFields.ControlId` and a GeneratorId per standard, e.g.
 *   `aws-foundational-security-best-practices/v/1.0.0/IAM.5`, `cis-aws-foundations-benchmark/v/1.4.0/1.10`,
 *   or for CIS v1.2.0 `arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.2` with
 *   `ProductFields.RuleId`.
 * CIS numbers its recommendations differently in every version; `CIS_TO_SECURITY_CONTROL` maps them.
 */
import type { AsffFinding } from './asff.ts';

/** What a finding's control asks of us. */
export type ControlClassification =
  | { readonly kind: 'lacks-mfa'; readonly controlId: string; readonly scope: 'console-users' | 'all-users' }
  | { readonly kind: 'root-mfa'; readonly controlId: string }
  | { readonly kind: 'other'; readonly controlId?: string };

/** The finding fields that name a control. */
export type ControlFields = Pick<AsffFinding, 'Compliance' | 'ProductFields' | 'GeneratorId'>;

/**
 * IAM.5: "MFA should be enabled for all IAM users that have a console password" (Config rule
 * `mfa-enabled-for-iam-console-access`). IAM.19: "MFA should be enabled for all IAM users" (Config rule
 * `iam-user-mfa-enabled`), which also fails for users that only have access keys.
 */
export const LACKS_MFA_CONTROLS: Readonly<Record<string, 'console-users' | 'all-users'>> = {
  'IAM.5': 'console-users',
  'IAM.19': 'all-users',
};

/**
 * IAM.6 "Hardware MFA should be enabled for the root user" and IAM.9 "MFA should be enabled for the root
 * user". Only someone who can sign in as root can add a root MFA device; no API call can.
 */
export const ROOT_MFA_CONTROLS: ReadonlySet<string> = new Set(['IAM.6', 'IAM.9']);

/**
 * CIS AWS Foundations Benchmark recommendation → Security Hub security control, per version, as listed in
 * the "Related requirements" of each control in the Security Hub user guide (IAM controls page, checked
 * against the v5.0.0 update): IAM.5 = v1.2.0/1.2, v1.4.0/1.10, v3.0.0/1.10, v5.0.0/1.9;
 * IAM.6 = v1.2.0/1.14, v1.4.0/1.6, v3.0.0/1.6, v5.0.0/1.5; IAM.9 = v1.2.0/1.13, v1.4.0/1.5, v3.0.0/1.5,
 * v5.0.0/1.4. IAM.19 is not part of any CIS version.
 */
export const CIS_TO_SECURITY_CONTROL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '1.2.0': { '1.2': 'IAM.5', '1.13': 'IAM.9', '1.14': 'IAM.6' },
  '1.4.0': { '1.10': 'IAM.5', '1.5': 'IAM.9', '1.6': 'IAM.6' },
  '3.0.0': { '1.10': 'IAM.5', '1.5': 'IAM.9', '1.6': 'IAM.6' },
  '5.0.0': { '1.9': 'IAM.5', '1.4': 'IAM.9', '1.5': 'IAM.6' },
};

/** A security control id as Security Hub writes them: `IAM.5`, `S3.1`, `CloudTrail.4`. */
const SECURITY_CONTROL_ID = /^[A-Za-z][A-Za-z0-9]*\.\d+$/;
const CONSOLIDATED_GENERATOR = /^security-control\/([^/]+)$/;
const FSBP_GENERATOR = /^aws-foundational-security-best-practices\/v\/[^/]+\/([^/]+)$/;
/** Optional ruleset ARN prefix (v1.2.0), version, optional `rule/` (v1.2.0), recommendation number. */
const CIS_GENERATOR =
  /^(?:arn:[\w-]+:securityhub:::ruleset\/)?cis-aws-foundations-benchmark\/v\/(\d+\.\d+\.\d+)\/(?:rule\/)?(\d+(?:\.\d+)*)$/;
const CIS_STANDARD = /cis-aws-foundations-benchmark\/v\/(\d+\.\d+\.\d+)/;

/**
 * Classifies a finding's control. The returned `controlId` is the Security Hub security control id whenever
 * the control is known (so `IAM.5` whether the finding came from the consolidated control or from CIS
 * v1.4.0 recommendation 1.10), else the finding's own name for it (`CIS v1.4.0/1.8`, `S3.1`), else absent.
 *
 * Standards other than FSBP and CIS (PCI DSS, NIST 800-53) are only recognised through consolidated
 * findings; their standard-specific ids (`PCI.IAM.…`) predate consolidation and are not mapped here.
 */
export function classifyControl(finding: ControlFields): ControlClassification {
  const securityControlId = finding.Compliance?.SecurityControlId;
  if (securityControlId) return bySecurityControl(securityControlId);

  const productControlId = productField(finding, 'ControlId');
  if (productControlId && SECURITY_CONTROL_ID.test(productControlId))
    return bySecurityControl(productControlId);

  const fromGenerator = fromGeneratorId(finding.GeneratorId);
  if (fromGenerator) return fromGenerator;

  const cisVersion = cisVersionOf(finding);
  const cisId = productControlId ?? productField(finding, 'RuleId');
  if (cisVersion && cisId) return byCis(cisVersion, cisId);

  return productControlId ? { kind: 'other', controlId: productControlId } : { kind: 'other' };
}

/** Classifies a Security Hub security control id (`IAM.5`). */
export function bySecurityControl(controlId: string): ControlClassification {
  const scope = LACKS_MFA_CONTROLS[controlId];
  if (scope) return { kind: 'lacks-mfa', controlId, scope };
  if (ROOT_MFA_CONTROLS.has(controlId)) return { kind: 'root-mfa', controlId };
  return { kind: 'other', controlId };
}

function byCis(version: string, recommendation: string): ControlClassification {
  const mapped = CIS_TO_SECURITY_CONTROL[version]?.[recommendation];
  return mapped
    ? bySecurityControl(mapped)
    : { kind: 'other', controlId: `CIS v${version}/${recommendation}` };
}

function fromGeneratorId(generatorId: string | undefined): ControlClassification | undefined {
  if (!generatorId) return undefined;
  const consolidated = CONSOLIDATED_GENERATOR.exec(generatorId) ?? FSBP_GENERATOR.exec(generatorId);
  if (consolidated?.[1]) return bySecurityControl(consolidated[1]);
  const cis = CIS_GENERATOR.exec(generatorId);
  if (cis?.[1] && cis[2]) return byCis(cis[1], cis[2]);
  return undefined;
}

function cisVersionOf(finding: ControlFields): string | undefined {
  for (const key of ['StandardsArn', 'StandardsGuideArn', 'StandardsControlArn']) {
    const match = CIS_STANDARD.exec(productField(finding, key) ?? '');
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function productField(finding: ControlFields, key: string): string | undefined {
  const value = finding.ProductFields?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
