/**
 * Which control an OCSF finding is about, with the same mapping as ASFF findings (`../controls.ts`): Security
 * Hub writes the security control id (`IAM.5`) in `compliance.control`; a standard-specific finding
 * (consolidated control findings off) is recognised by its `finding_info.uid` — the ASFF `Id` of the CSPM
 * finding, `arn:…:subscription/cis-aws-foundations-benchmark/v/1.4.0/1.10/finding/<uuid>` — or by a CIS
 * recommendation number in `compliance.control` together with the CIS standard in `compliance.standards`.
 */
import {
  CIS_TO_SECURITY_CONTROL,
  type ControlClassification,
  classifyControl,
  LACKS_MFA_CONTROLS,
} from '../controls.ts';
import type { OcsfFinding } from './schema.ts';

/**
 * `arn:aws:securityhub:<region>:<account>:` then `security-control/IAM.5` or `subscription/<standard path>`,
 * then `/finding/<id>`: the part in between is the ASFF GeneratorId of the same control (without CIS
 * v1.2.0's `ruleset/…/rule/` spelling, which the CIS pattern of `classifyControl` accepts either way).
 */
const CONTROL_FINDING_UID =
  /^arn:aws[\w-]*:securityhub:[\w-]+:\d{12}:(?:subscription\/)?([^:]+?)\/finding\/[^/]+$/;

/** Classifies an OCSF finding's control; `controlId` is the security control id whenever it is known. */
export function classifyOcsfControl(
  finding: Pick<OcsfFinding, 'compliance' | 'finding_info'>,
): ControlClassification {
  const control = finding.compliance?.control;
  const cisStandard = finding.compliance?.standards?.find((s) => s.includes('cis-aws-foundations-benchmark'));
  const generatorId = CONTROL_FINDING_UID.exec(finding.finding_info.uid)?.[1];
  return classifyControl({
    ProductFields: {
      ...(control ? { ControlId: control } : {}),
      ...(cisStandard ? { StandardsArn: cisStandard } : {}),
    },
    ...(generatorId ? { GeneratorId: generatorId } : {}),
  });
}

/**
 * Every `compliance.control` value an MFA control finding of an IAM user can carry: the security control ids
 * and the CIS recommendation numbers that map to them. GetFindingsV2 is asked for these only, so a finding
 * uid of another control never comes back as a candidate.
 */
export const MFA_CONTROL_VALUES: readonly string[] = [
  ...new Set([
    ...Object.keys(LACKS_MFA_CONTROLS),
    ...Object.values(CIS_TO_SECURITY_CONTROL).flatMap((byNumber) =>
      Object.entries(byNumber)
        .filter(([, controlId]) => controlId in LACKS_MFA_CONTROLS)
        .map(([number]) => number),
    ),
  ]),
];
