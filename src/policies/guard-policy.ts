/**
 * The `MfaRemediationGuard` managed policy, attached to users who lack MFA while they enrol. It follows
 * AWS's documented "self-manage MFA" policy: without `aws:MultiFactorAuthPresent`, everything is denied
 * except what a person needs to enrol a device on their own user (and change their password).
 * Device ARNs use `mfa/*` because users now choose device names and may hold several devices.
 */
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
      Sid: 'AllowManageOwnVirtualMFADevice',
      Effect: 'Allow',
      Action: ['iam:CreateVirtualMFADevice'],
      Resource: 'arn:aws:iam::*:mfa/*',
    },
    {
      Sid: 'AllowManageOwnUserMFA',
      Effect: 'Allow',
      Action: [
        'iam:EnableMFADevice',
        'iam:GetUser',
        'iam:GetMFADevice',
        'iam:ListMFADevices',
        'iam:ResyncMFADevice',
        'iam:ChangePassword',
      ],
      Resource: 'arn:aws:iam::*:user/${aws:username}',
    },
    {
      Sid: 'DenyAllExceptListedIfNoMFA',
      Effect: 'Deny',
      NotAction: [
        'iam:CreateVirtualMFADevice',
        'iam:EnableMFADevice',
        'iam:GetUser',
        'iam:GetMFADevice',
        'iam:ListMFADevices',
        'iam:ListVirtualMFADevices',
        'iam:ResyncMFADevice',
        'iam:ChangePassword',
        'iam:GetAccountPasswordPolicy',
        'sts:GetSessionToken',
      ],
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
  ],
} as const;
