/**
 * Enrolment against the local cloud: the production runtime (real SDK clients and adapters) pointed at a
 * local cloud, with a movable workflow clock and a captured log, plus assertions on the cloud's own state.
 */
import { expect } from 'vitest';
import { createClientOptions } from '../../src/aws/clients.ts';
import type { Config } from '../../src/config.ts';
import type { WorkflowDeps } from '../../src/core/context.ts';
import { escrowSecretName, NAMES } from '../../src/core/model.ts';
import { consecutiveCodes, seedFromUri } from '../../src/core/totp.ts';
import type { LocalCloud } from '../../src/local/cloud/server.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { ourSerial } from './custodial.ts';
import { captureLogger } from './deps.ts';

export const CLOUD_ACCOUNT = '123456789012';

export interface CloudDeps {
  readonly runtime: Runtime;
  readonly deps: WorkflowDeps;
  readonly lines: string[];
  readonly clock: { now: Date };
}

export function createCloudDeps(cloud: LocalCloud, config: Partial<Config> = {}): CloudDeps {
  const { log, lines } = captureLogger();
  const clock = { now: new Date() };
  const runtime = createRuntime({
    env: {},
    requireTopic: false,
    log,
    clientOptions: createClientOptions({
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    config: { allowedAccounts: '*', ...config },
    now: () => clock.now,
  });
  return { runtime, deps: runtime.depsFor(undefined), lines, clock };
}

export function cloudSerial(userName: string): string {
  return ourSerial(userName, CLOUD_ACCOUNT);
}

/** The cloud's virtual devices under the product's path. */
export function ourDevices(cloud: LocalCloud) {
  return cloud.iam
    .snapshot(CLOUD_ACCOUNT)
    .virtualMfaDevices.filter((d) => d.serialNumber.includes(`:mfa${NAMES.devicePath}`));
}

/**
 * Custodial enrolment's promise, checked in the cloud: exactly one device of ours, assigned to the user; the
 * escrowed URI's seed is that device's and generates codes IAM accepts (ResyncMFADevice); nothing unassigned.
 */
export async function expectCustodialEndState(cloud: LocalCloud, runtime: Runtime, userName: string) {
  const serial = cloudSerial(userName);
  expect(ourDevices(cloud)).toEqual([expect.objectContaining({ serialNumber: serial, userName })]);
  expect(cloud.iam.getUser(CLOUD_ACCOUNT, userName)?.mfaSerialNumbers).toEqual([serial]);
  const uri = cloud.secretsManager.secretString(CLOUD_ACCOUNT, escrowSecretName(CLOUD_ACCOUNT, userName));
  expect(uri).toMatch(/^otpauth:\/\/totp\//);
  const seed = seedFromUri(uri ?? '');
  expect(seed).toBe(cloud.iam.deviceSeed(CLOUD_ACCOUNT, serial));
  const { iam } = await runtime.depsFor(undefined).accounts.forAccount(CLOUD_ACCOUNT);
  await iam.resyncMfaDevice(userName, serial, ...consecutiveCodes(seed, Date.now()));
}

/** No device of ours and no escrow secret: a failed enrolment rolled back completely. */
export function expectNothingLeftInCloud(cloud: LocalCloud, userName: string): void {
  expect(ourDevices(cloud)).toEqual([]);
  expect(
    cloud.secretsManager.secretString(CLOUD_ACCOUNT, escrowSecretName(CLOUD_ACCOUNT, userName)),
  ).toBeUndefined();
}
