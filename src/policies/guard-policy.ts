/**
 * The `MfaRemediationGuard` managed policy, attached to users who lack MFA while they enrol. It follows AWS's
 * documented "IAM: Allows IAM users to self-manage an MFA device" policy: without `aws:MultiFactorAuthPresent`,
 * everything is denied except what a person needs to enrol a device on their own user, and to change their
 * password (a console user whose password must be reset cannot sign in far enough to enrol otherwise).
 *
 * This object is the single source: the local cloud attaches it as is, and `scripts/render-policies.ts`
 * renders it into `deploy/guard-policy.json` (serverless.yml) and `deploy/member-account-role.yml`.
 *
 * Choices that differ from older copies of AWS's example, and why:
 * - Device ARNs are `mfa/*`, not `mfa/${aws:username}`: since 2022 users choose the device name and may hold
 *   up to eight devices, so a name-based ARN no longer identifies the owner. `CreateVirtualMFADevice` is the
 *   only action authorised against the device; every action that binds a device to a user is authorised
 *   against the user, which is what keeps each person to their own user.
 * - The user ARN is matched with and without a path (`user/${aws:username}` and `user/*\/${aws:username}`):
 *   a user created with a path (`user/engineering/alice`) would otherwise be locked out of enrolment.
 *   User names are unique in an account whatever the path, so `*\/alice` never matches another user.
 * - `iam:ListUsers` stays outside the deny (the console's MFA page may call it) but is not granted here:
 *   the guard never gives a contained user more than they had, except self-service MFA and password change.
 * - `sts:GetSessionToken` stays outside the deny so a programmatic user who has just enrolled can obtain
 *   MFA-authenticated session credentials; without MFA codes those credentials are still denied by this policy.
 * - `BoolIfExists` (not `Bool`) so that long-term access keys, whose requests carry no
 *   `aws:MultiFactorAuthPresent` key at all, are denied too (docs/reference.md, Configuration: containing programmatic users breaks
 *   their keys, which is why it is opt-in).
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS placeholder
const OWN_USER = ['arn:aws:iam::*:user/${aws:username}', 'arn:aws:iam::*:user/*/${aws:username}'] as const;

export const GUARD_POLICY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowViewAccountInfo',
      Effect: 'Allow',
      Action: ['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices'],
      Resource: '*',
    },
    {
      Sid: 'AllowCreateVirtualMFADevice',
      Effect: 'Allow',
      Action: ['iam:CreateVirtualMFADevice'],
      Resource: 'arn:aws:iam::*:mfa/*',
    },
    {
      Sid: 'AllowManageOwnUserMFA',
      Effect: 'Allow',
      Action: [
        'iam:ChangePassword',
        'iam:EnableMFADevice',
        'iam:GetMFADevice',
        'iam:GetUser',
        'iam:ListMFADevices',
        'iam:ResyncMFADevice',
      ],
      Resource: [...OWN_USER],
    },
    {
      Sid: 'AllowDeactivateOwnMFAOnlyWithMFA',
      Effect: 'Allow',
      Action: ['iam:DeactivateMFADevice'],
      Resource: [...OWN_USER],
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    },
    {
      Sid: 'DenyAllExceptListedIfNoMFA',
      Effect: 'Deny',
      NotAction: [
        'iam:ChangePassword',
        'iam:CreateVirtualMFADevice',
        'iam:EnableMFADevice',
        'iam:GetAccountPasswordPolicy',
        'iam:GetMFADevice',
        'iam:GetUser',
        'iam:ListMFADevices',
        'iam:ListUsers',
        'iam:ListVirtualMFADevices',
        'iam:ResyncMFADevice',
        'sts:GetSessionToken',
      ],
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
  ],
} as const;
