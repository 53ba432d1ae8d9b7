/**
 * Test dependencies for enrolment: the usual in-memory IAM plus an in-memory Secrets Manager in every account,
 * and assertions shared by the enrolment tests (escrow consistency, no secret in any log or outcome).
 */
import { expect } from 'vitest';
import type { WorkItem } from '../../src/core/model.ts';
import { escrowSecretName, NAMES } from '../../src/core/model.ts';
import { seedFromUri } from '../../src/core/totp.ts';
import { ACCOUNT, createTestDeps, type TestDeps } from './deps.ts';
import type { FakeIam } from './fake-iam.ts';
import { createFakeSecrets, type FakeSecrets } from './fake-secrets.ts';

export interface EnrolmentTestDeps extends TestDeps {
  readonly secrets: FakeSecrets;
}

export function createEnrolmentDeps(options: Parameters<typeof createTestDeps>[0] = {}): EnrolmentTestDeps {
  const base = createTestDeps(options);
  const secrets = createFakeSecrets();
  const { selfAccountId, forAccount } = base.accounts;
  return Object.assign(base, {
    secrets,
    accounts: {
      selfAccountId,
      forAccount: async (accountId: string) => ({ ...(await forAccount(accountId)), secrets }),
    },
  });
}

export function mfaMissing(userName: string, overrides: Partial<WorkItem> = {}): WorkItem {
  return {
    type: 'mfa-missing',
    accountId: ACCOUNT,
    userName,
    trigger: { source: 'sweep', sweepId: 'sweep-1' },
    scope: 'console-users',
    ...overrides,
  };
}

/** The serial number of the custodial device of `userName` (named after the user, under our path). */
export function ourSerial(userName: string, accountId = ACCOUNT): string {
  return `arn:aws:iam::${accountId}:mfa${NAMES.devicePath}${userName}`;
}

/**
 * The end state custodial enrolment promises: one device, assigned to the user, whose seed is the escrowed
 * one; no unassigned device of ours; no secret without its device.
 */
export function expectEscrowedAndEnabled(iam: FakeIam, secrets: FakeSecrets, userName: string): void {
  const serial = ourSerial(userName);
  expect(iam.users.get(userName)?.devices).toEqual([serial]);
  const device = iam.virtualDevices.get(serial);
  expect(device?.userName).toBe(userName);
  const escrowed = secrets.secrets.get(escrowSecretName(ACCOUNT, userName));
  expect(escrowed).toBeDefined();
  expect(seedFromUri(escrowed?.value ?? '')).toBe(device?.seed);
  expect([...iam.virtualDevices.values()].filter((d) => !d.userName)).toEqual([]);
}

/** Nothing left behind by a failed enrolment: no device, no secret. */
export function expectNothingLeft(iam: FakeIam, secrets: FakeSecrets, userName: string): void {
  expect(iam.virtualDevices.has(ourSerial(userName))).toBe(false);
  expect(secrets.secrets.has(escrowSecretName(ACCOUNT, userName))).toBe(false);
}

/** Asserts that none of `secrets` (seeds, codes, URIs) occurs in any text. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  for (const secret of secrets.filter((s) => s.length > 0)) {
    for (const text of texts) expect(text).not.toContain(secret);
  }
}
