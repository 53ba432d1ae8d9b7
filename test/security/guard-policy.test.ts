/**
 * Attack: a contained user who also holds AdministratorAccess (or IAMFullAccess) uses the guard's enrolment
 * exemptions against others, without MFA — enabling or resyncing a device on another user, reading other
 * users, creating devices under other names (also under `/mfa-remediation/`, where the custodial flow keeps
 * the product's own devices). Decided by an IAM policy simulator over the real guard document, for a session
 * whose `aws:MultiFactorAuthPresent` is false (console without MFA) and absent (long-term access keys).
 *
 * The guard must allow the user's own enrolment and deny every action on another user and every device
 * outside the user's own name; signed in with MFA, the guard no longer stands in the way.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { GUARD_POLICY_DOCUMENT } from '../../src/policies/guard-policy.ts';

const ACCOUNT = '111111111111';
const user = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:user${path}${name}`;
const device = (name: string) => `arn:aws:iam::${ACCOUNT}:mfa/${name}`;

/** The AWS managed policies a privileged contained user may also hold. */
const PRIVILEGES = {
  AdministratorAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  IAMFullAccess: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization'],
        Resource: '*',
      },
    ],
  },
} as const;

type Mfa = true | false | 'absent';

async function decide(
  privilege: keyof typeof PRIVILEGES,
  action: string,
  resource: string,
  mfa: Mfa,
  path = '/',
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: user('alice', path),
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: {
        'aws:username': 'alice',
        'aws:PrincipalArn': user('alice', path),
        'aws:PrincipalAccount': ACCOUNT,
        ...(mfa === 'absent' ? {} : { 'aws:MultiFactorAuthPresent': String(mfa) }),
      },
    },
    identityPolicies: [
      { name: privilege, policy: PRIVILEGES[privilege] },
      { name: 'MfaRemediationGuard', policy: GUARD_POLICY_DOCUMENT },
    ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

const PRIVILEGED = Object.keys(PRIVILEGES) as (keyof typeof PRIVILEGES)[];
const WITHOUT_MFA: readonly Mfa[] = [false, 'absent'];
/** Everything the guard's exemptions name, and then some, aimed at other users. */
const USER_ACTIONS = [
  'iam:EnableMFADevice',
  'iam:ResyncMFADevice',
  'iam:DeactivateMFADevice',
  'iam:GetUser',
  'iam:ListMFADevices',
  'iam:GetMFADevice',
  'iam:ChangePassword',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:CreateAccessKey',
  'iam:AttachUserPolicy',
  'iam:DetachUserPolicy',
  'iam:TagUser',
  'iam:UntagUser',
];
const OTHER_USERS = [
  ['bob', '/'],
  ['malice', '/'],
  ['alice-admin', '/'],
  ['bob', '/alice/'],
  ['carol', '/engineering/'],
] as const;
const OTHER_DEVICES = [
  'bob',
  'alice-phone',
  'alice2',
  'mfa-remediation/alice',
  'mfa-remediation/bob',
  'engineering/alice',
  'attacker',
];

describe.each(PRIVILEGED)('a contained user who also holds %s, without MFA', (privilege) => {
  it.each(WITHOUT_MFA)('can enrol on their own user only (MultiFactorAuthPresent %s)', async (mfa) => {
    expect(await decide(privilege, 'iam:CreateVirtualMFADevice', device('alice'), mfa)).toBe('Allowed');
    for (const action of [
      'iam:EnableMFADevice',
      'iam:ResyncMFADevice',
      'iam:GetUser',
      'iam:ListMFADevices',
    ]) {
      expect(await decide(privilege, action, user('alice'), mfa), action).toBe('Allowed');
      const withPath = await decide(privilege, action, user('alice', '/engineering/'), mfa, '/engineering/');
      expect(withPath, `${action} with a path`).toBe('Allowed');
    }
    expect(await decide(privilege, 'iam:ChangePassword', user('alice'), mfa)).toBe('Allowed');
  });

  it.each(WITHOUT_MFA)('is denied every action on another user (MultiFactorAuthPresent %s)', async (mfa) => {
    for (const [name, path] of OTHER_USERS) {
      for (const action of USER_ACTIONS) {
        expect(await decide(privilege, action, user(name, path), mfa), `${action} on ${path}${name}`).toBe(
          'ExplicitlyDenied',
        );
      }
    }
  });

  it.each(WITHOUT_MFA)(
    'is denied every device outside the own name (MultiFactorAuthPresent %s)',
    async (mfa) => {
      for (const name of OTHER_DEVICES) {
        for (const action of [
          'iam:CreateVirtualMFADevice',
          'iam:DeleteVirtualMFADevice',
          'iam:TagMFADevice',
        ]) {
          expect(await decide(privilege, action, device(name), mfa), `${action} ${name}`).toBe(
            'ExplicitlyDenied',
          );
        }
      }
      // Deleting even the own device needs MFA: a contained user cannot recycle devices to dodge checks.
      expect(await decide(privilege, 'iam:DeleteVirtualMFADevice', device('alice'), mfa)).toBe(
        'ExplicitlyDenied',
      );
    },
  );

  it.each(WITHOUT_MFA)('is denied everything else, the guard itself included (%s)', async (mfa) => {
    const guard = `arn:aws:iam::${ACCOUNT}:policy/mfa-remediation/MfaRemediationGuard`;
    expect(await decide(privilege, 'iam:DeletePolicy', guard, mfa)).toBe('ExplicitlyDenied');
    expect(await decide(privilege, 'iam:CreatePolicyVersion', guard, mfa)).toBe('ExplicitlyDenied');
    expect(await decide(privilege, 'sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/Admin`, mfa)).toBe(
      'ExplicitlyDenied',
    );
    expect(await decide(privilege, 's3:GetObject', 'arn:aws:s3:::reports/q3.csv', mfa)).toBe(
      'ExplicitlyDenied',
    );
  });

  it('is no longer held back once signed in with MFA', async () => {
    expect(await decide(privilege, 'iam:EnableMFADevice', user('bob'), true)).toBe('Allowed');
    expect(await decide(privilege, 'iam:CreateVirtualMFADevice', device('team-token'), true)).toBe('Allowed');
  });
});
