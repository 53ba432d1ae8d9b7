/**
 * The guard policy's meaning, checked with an IAM policy simulator rather than by reading JSON: a contained
 * user without MFA can enrol (and change their password) on their own user only; everything else is denied;
 * once signed in with MFA, the guard no longer stands in the way.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { GUARD_POLICY_DOCUMENT } from '../../src/policies/guard-policy.ts';

const ACCOUNT = '111111111111';
const userArn = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:user${path}${name}`;

/** What alice already had before being contained: read access to one bucket. */
const EXISTING_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
};

interface Request {
  readonly action: string;
  readonly resource: string;
  readonly mfa: boolean | 'absent';
  readonly user?: string;
  readonly path?: string;
}

async function decide({ action, resource, mfa, user = 'alice', path = '/' }: Request): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: userArn(user, path),
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: {
        'aws:username': user,
        'aws:PrincipalArn': userArn(user, path),
        'aws:PrincipalAccount': ACCOUNT,
        ...(mfa === 'absent' ? {} : { 'aws:MultiFactorAuthPresent': String(mfa) }),
      },
    },
    identityPolicies: [
      { name: 'existing-access', policy: EXISTING_ACCESS },
      { name: 'MfaRemediationGuard', policy: GUARD_POLICY_DOCUMENT },
    ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

const OBJECT = 'arn:aws:s3:::reports/2026/q3.csv';

describe('MfaRemediationGuard (policy simulator)', () => {
  it('denies ordinary work without MFA, whether the key is false or absent (access keys)', async () => {
    // Prepare / Act
    const signedIn = await decide({ action: 's3:GetObject', resource: OBJECT, mfa: false });
    const accessKey = await decide({ action: 's3:GetObject', resource: OBJECT, mfa: 'absent' });
    // Assess
    expect(signedIn).toBe('ExplicitlyDenied');
    expect(accessKey).toBe('ExplicitlyDenied');
  });

  it('allows ordinary work again once signed in with MFA', async () => {
    expect(await decide({ action: 's3:GetObject', resource: OBJECT, mfa: true })).toBe('Allowed');
  });

  it('lets a user enable MFA on their own user, with or without MFA', async () => {
    const own = { action: 'iam:EnableMFADevice', resource: userArn('alice') };
    expect(await decide({ ...own, mfa: false })).toBe('Allowed');
    expect(await decide({ ...own, mfa: 'absent' })).toBe('Allowed');
    expect(await decide({ ...own, mfa: true })).toBe('Allowed');
  });

  it('never lets a user enable or resync MFA on someone else', async () => {
    for (const action of ['iam:EnableMFADevice', 'iam:ResyncMFADevice', 'iam:ChangePassword']) {
      expect(await decide({ action, resource: userArn('bob'), mfa: false })).not.toBe('Allowed');
      // `*\/${aws:username}` must not become a suffix match: malice is not alice.
      expect(await decide({ action, resource: userArn('malice'), mfa: false })).not.toBe('Allowed');
    }
  });

  it('covers users created with a path', async () => {
    const path = '/engineering/';
    const result = await decide({
      action: 'iam:EnableMFADevice',
      resource: userArn('alice', path),
      path,
      mfa: false,
    });
    expect(result).toBe('Allowed');
  });

  it('allows creating a virtual device named after the user, and no other name', async () => {
    const create = (device: string) =>
      decide({
        action: 'iam:CreateVirtualMFADevice',
        resource: `arn:aws:iam::${ACCOUNT}:mfa/${device}`,
        mfa: false,
      });
    expect(await create('alice')).toBe('Allowed');
    for (const device of ['alice-phone', 'my-yubikey-2', 'bob', 'mfa-remediation/alice']) {
      expect(await create(device), device).toBe('ExplicitlyDenied');
    }
  });

  it('allows changing the own password (first sign-in, expired password) without MFA', async () => {
    expect(await decide({ action: 'iam:ChangePassword', resource: userArn('alice'), mfa: false })).toBe(
      'Allowed',
    );
    expect(await decide({ action: 'iam:GetAccountPasswordPolicy', resource: '*', mfa: false })).toBe(
      'Allowed',
    );
  });

  it('keeps self-service limited to enrolment: deactivating MFA or managing keys needs MFA', async () => {
    const deactivate = { action: 'iam:DeactivateMFADevice', resource: userArn('alice') };
    expect(await decide({ ...deactivate, mfa: false })).toBe('ExplicitlyDenied');
    expect(await decide({ ...deactivate, mfa: true })).toBe('Allowed');
    const createKey = { action: 'iam:CreateAccessKey', resource: userArn('alice'), mfa: false } as const;
    expect(await decide(createKey)).toBe('ExplicitlyDenied');
    const detach = { action: 'iam:DetachUserPolicy', resource: userArn('alice'), mfa: false } as const;
    expect(await decide(detach)).toBe('ExplicitlyDenied');
  });

  it('lets a freshly enrolled programmatic user ask STS for an MFA session', async () => {
    expect(await decide({ action: 'sts:GetSessionToken', resource: '*', mfa: 'absent' })).not.toBe(
      'ExplicitlyDenied',
    );
  });
});
