/**
 * The `MfaRemediationGuard` managed policy, attached to users who lack MFA while they enrol. It follows AWS's
 * documented "IAM: Allows IAM users to self-manage an MFA device" policy: without `aws:MultiFactorAuthPresent`,
 * everything is denied except what a person needs to enrol a device on their own user, and to change their
 * password (a console user whose password must be reset cannot sign in far enough to enrol otherwise).
 *
 * This object is the single source: the local cloud attaches it as is, and `scripts/render-policies.ts`
 * renders it into `deploy/guard-policy.json` (serverless.yml) and `deploy/member-account-role.yml`.
 *
 * The exemptions are scoped by Deny, not only by Allow. A contained user may hold other policies —
 * AdministratorAccess, IAMFullAccess — whose Allows reach every user and device; an action merely left out of
 * the guard's Deny would then be allowed on anyone. So each exempted action is denied again, without MFA, on
 * every resource but the user's own (`NotResource`), exactly as AWS's self-manage pattern scopes its Allows
 * to `${aws:username}`:
 * - user actions (enable, resync, get, list, change password) on the own user only, with and without a path
 *   (`user/${aws:username}` and `user/*\/${aws:username}`: user names are unique in an account whatever the
 *   path, so `*\/alice` never matches another user, and a user created as `user/engineering/alice` can enrol);
 * - `CreateVirtualMFADevice` only for a device named after the user at the root path (`mfa/${aws:username}`):
 *   not any name, not another user's, and not under `/mfa-remediation/`, the path of the product's own
 *   custodial devices. It is also the only name the worker enables from submitted codes (`claims/device.ts`).
 *
 * Further choices, and why:
 * - `iam:ListUsers`, `iam:ListVirtualMFADevices` and `iam:GetAccountPasswordPolicy` have no resource type and
 *   stay exempt account-wide (the console's MFA page calls them); the guard grants only the last two, and
 *   never gives a contained user more than they had, except self-service MFA and password change.
 * - `sts:GetSessionToken` stays outside the deny so a programmatic user who has just enrolled can obtain
 *   MFA-authenticated session credentials; without MFA codes those credentials are still denied by this policy.
 * - `BoolIfExists` (not `Bool`) so that long-term access keys, whose requests carry no
 *   `aws:MultiFactorAuthPresent` key at all, are denied too (docs/reference.md, Configuration: containing
 *   programmatic users breaks their keys, which is why it is opt-in).
 * - What the guard cannot do: whoever holds a contained user's password (or keys) can still enrol a device
 *   on that user — the same as in AWS's own pattern; and deactivating a device needs an MFA session.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS placeholder
const OWN_USER = ['arn:aws:iam::*:user/${aws:username}', 'arn:aws:iam::*:user/*/${aws:username}'] as const;
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS placeholder
const OWN_DEVICE = 'arn:aws:iam::*:mfa/${aws:username}';

/** Without MFA, only these are not denied outright; the user-scoped ones are denied on others below. */
const OWN_USER_ACTIONS = [
  'iam:ChangePassword',
  'iam:EnableMFADevice',
  'iam:GetMFADevice',
  'iam:GetUser',
  'iam:ListMFADevices',
  'iam:ResyncMFADevice',
] as const;
const ACCOUNT_WIDE_ACTIONS = [
  'iam:GetAccountPasswordPolicy',
  'iam:ListUsers',
  'iam:ListVirtualMFADevices',
  'sts:GetSessionToken',
] as const;
const NO_MFA = { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } as const;

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
      Sid: 'AllowCreateOwnVirtualMFADevice',
      Effect: 'Allow',
      Action: ['iam:CreateVirtualMFADevice'],
      Resource: OWN_DEVICE,
    },
    {
      Sid: 'AllowManageOwnUserMFA',
      Effect: 'Allow',
      Action: [...OWN_USER_ACTIONS],
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
      NotAction: [...ACCOUNT_WIDE_ACTIONS, 'iam:CreateVirtualMFADevice', ...OWN_USER_ACTIONS].sort(),
      Resource: '*',
      Condition: NO_MFA,
    },
    {
      Sid: 'DenyOtherUsersIfNoMFA',
      Effect: 'Deny',
      Action: [...OWN_USER_ACTIONS],
      NotResource: [...OWN_USER],
      Condition: NO_MFA,
    },
    {
      Sid: 'DenyOtherDevicesIfNoMFA',
      Effect: 'Deny',
      Action: ['iam:CreateVirtualMFADevice'],
      NotResource: OWN_DEVICE,
      Condition: NO_MFA,
    },
  ],
} as const;
