/**
 * A contained person enrols themselves: `mfa-remediation enroll --user-name alice`, signed with alice's own
 * access key, against the local cloud (which identifies the key as alice, as AWS does, but evaluates no
 * identity policy). Every request the command makes is recorded on the wire and then decided by an IAM policy
 * simulator (@cloud-copilot/iam-simulate) over alice's own permissions plus the real `MfaRemediationGuard`,
 * without MFA (`aws:MultiFactorAuthPresent` false, as a console session, and absent, as long-term keys): every
 * one must be allowed. So the calls `enroll` makes for oneself are exactly calls the guard lets a contained
 * user make — the device `mfa/alice` (not under `/mfa-remediation/`), no DeleteVirtualMFADevice, no tag read
 * or guard release (the worker does that at its next check, shown at the end).
 *
 * Also: an operator enrolling someone else in the same account creates `mfa/<user>` and releases the guard;
 * through the member role (another account) the device is the role's own `mfa/mfa-remediation/<user>`.
 */
import { AttachUserPolicyCommand, CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { guardPolicyArn, NAMES, TAGS } from '../../src/core/model.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { deployLocalOrganisation } from '../../src/local/member-role.ts';
import { GUARD_POLICY_DOCUMENT } from '../../src/policies/guard-policy.ts';
import { CLOUD_ACCOUNT, createCloudDeps } from '../helpers/cloud-enrolment.ts';
import { createTerminal, type Terminal } from '../helpers/terminal.ts';
import { queryParam, startWireTap, type WireExchange, type WireTap } from '../helpers/wire-tap.ts';

const MEMBER = '210987654321';
const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' };

let cloud: LocalCloud;
let tap: WireTap;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  tap = await startWireTap(cloud.url, { services: ['iam', 'sts', 'sqs', 'sns', 'securityhub', 'ses'] });
});
afterAll(async () => {
  await tap?.close();
  await cloud?.close();
});
afterEach(() => {
  cloud.reset();
  tap.exchanges.length = 0;
});

/** What alice may do of her own: read one bucket. Nothing in IAM: the guard's Allows are all she has there. */
const ALICE_OWN_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
};

/** Alice, contained as the worker leaves her: tags, guard attached, a console password and an access key. */
async function containedAlice(): Promise<{ accessKeyId: string; arn: string }> {
  cloud.seed({
    accountId: CLOUD_ACCOUNT,
    users: [
      {
        userName: 'alice',
        consolePassword: true,
        accessKeys: 1,
        tags: { [TAGS.state]: 'enrollment-required' },
      },
    ],
  });
  const iam = new IAMClient({ endpoint: cloud.url, region: 'us-east-1', credentials: ROOT });
  await iam.send(
    new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: guardPolicyArn(CLOUD_ACCOUNT) }),
  );
  iam.destroy();
  const alice = cloud.iam.getUser(CLOUD_ACCOUNT, 'alice');
  return { accessKeyId: alice?.accessKeys[0]?.accessKeyId ?? '', arn: alice?.arn ?? '' };
}

interface Run {
  readonly status: Promise<number>;
  readonly terminal: Terminal;
  readonly stderr: () => string;
}

/** The CLI at a terminal, through the wire tap, signed with the given credentials. */
function enroll(
  args: string[],
  credentials: { accessKeyId: string; secretAccessKey?: string; sessionToken?: string },
  env: Record<string, string> = {},
): Run {
  const terminal = createTerminal({ tty: true });
  const errors = createTerminal({ tty: false });
  const status = main(['--endpoint-url', tap.url, '--output', 'json', 'enroll', ...args], {
    stdin: terminal.input,
    stdout: terminal.output,
    stderr: errors.output,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey ?? 'any',
      ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      ...env,
    },
  });
  return { status, terminal, stderr: () => errors.text() };
}

function printed(run: Run): Record<string, unknown> {
  const text = run.terminal.text();
  return JSON.parse(text.slice(text.lastIndexOf('\n{') + 1)) as Record<string, unknown>;
}

async function typeCodes(terminal: Terminal, [code1, code2]: [string, string]): Promise<void> {
  await terminal.waitFor('First code');
  terminal.type(code1);
  await terminal.waitFor('Second code');
  terminal.type(code2);
}

/** IAM actions whose resource is the user named by `UserName` (the caller without it): Service Authorization Reference. */
const USER_ACTIONS = new Set([
  'ChangePassword',
  'DetachUserPolicy',
  'EnableMFADevice',
  'GetMFADevice',
  'GetUser',
  'ListMFADevices',
  'ListUserTags',
  'ResyncMFADevice',
  'UntagUser',
]);
/** IAM actions without a resource type: "*" is their only resource. */
const ACCOUNT_WIDE_ACTIONS = new Set(['GetAccountPasswordPolicy', 'ListUsers', 'ListVirtualMFADevices']);

/**
 * The request IAM authorises for a recorded call: its action and resource. A call nobody mapped fails the
 * test, so a new call in `enroll` must be looked up and simulated too.
 */
function authorisation(
  exchange: WireExchange,
  callerArn: string,
): { action: string; resource: string } | 'none' {
  const { service, operation } = exchange;
  // "No permissions are required to perform this operation", even under an explicit Deny (STS API reference).
  if (service === 'sts' && operation === 'GetCallerIdentity') return 'none';
  if (service !== 'iam') throw new Error(`enroll called ${service}:${operation}: map it before allowing it`);
  const action = `iam:${operation}`;
  if (USER_ACTIONS.has(operation)) {
    const name = queryParam(exchange, 'UserName');
    return { action, resource: name ? `arn:aws:iam::${CLOUD_ACCOUNT}:user/${name}` : callerArn };
  }
  if (ACCOUNT_WIDE_ACTIONS.has(operation)) return { action, resource: '*' };
  if (operation === 'CreateVirtualMFADevice') {
    const path = queryParam(exchange, 'Path') ?? '/';
    return {
      action,
      resource: `arn:aws:iam::${CLOUD_ACCOUNT}:mfa${path}${queryParam(exchange, 'VirtualMFADeviceName')}`,
    };
  }
  if (operation === 'DeleteVirtualMFADevice')
    return { action, resource: queryParam(exchange, 'SerialNumber') ?? '' };
  throw new Error(`enroll called iam:${operation}: map its resource type before allowing it`);
}

/** The simulator's decision for alice, with her own access and the guard, without MFA. */
async function decide(
  request: { action: string; resource: string },
  callerArn: string,
  mfa: 'false' | 'absent',
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: callerArn,
      action: request.action,
      resource: { resource: request.resource, accountId: CLOUD_ACCOUNT },
      contextVariables: {
        'aws:username': 'alice',
        'aws:PrincipalArn': callerArn,
        'aws:PrincipalAccount': CLOUD_ACCOUNT,
        ...(mfa === 'false' ? { 'aws:MultiFactorAuthPresent': 'false' } : {}),
      },
    },
    identityPolicies: [
      { name: 'alice-own-access', policy: ALICE_OWN_ACCESS },
      { name: NAMES.guardPolicyName, policy: GUARD_POLICY_DOCUMENT },
    ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

/** Every recorded call, as `service:Operation`, and each one's decision for a contained alice without MFA. */
async function decisions(callerArn: string): Promise<{ calls: string[]; refused: string[] }> {
  const calls = tap.exchanges.map((e) => `${e.service}:${e.operation}`);
  const refused: string[] = [];
  for (const exchange of tap.exchanges) {
    const request = authorisation(exchange, callerArn);
    if (request === 'none') continue;
    for (const mfa of ['false', 'absent'] as const) {
      const decision = await decide(request, callerArn, mfa);
      if (decision !== 'Allowed')
        refused.push(`${request.action} on ${request.resource} (MFA ${mfa}): ${decision}`);
    }
  }
  return { calls: [...new Set(calls)], refused };
}

const ALICE_DEVICE = `arn:aws:iam::${CLOUD_ACCOUNT}:mfa/alice`;

describe('enroll, run by a contained user for themselves (guard policy simulated on every call it made)', () => {
  it('creates mfa/alice and enables it with calls the guard allows, leaving the guard to the worker', async () => {
    // Prepare
    const alice = await containedAlice();
    // Act
    const run = enroll(['--user-name', 'alice'], alice);
    await run.terminal.waitFor('Scan this QR code');
    const seed = cloud.iam.deviceSeed(CLOUD_ACCOUNT, ALICE_DEVICE) ?? '';
    await typeCodes(run.terminal, consecutiveCodes(seed, Date.now()));
    // Assess: enabled, the guard and tags still there (the worker's to release), and every call allowed.
    expect(await run.status, run.stderr()).toBe(0);
    expect(printed(run)).toMatchObject({
      outcome: 'remediated',
      userName: 'alice',
      actions: [
        { action: 'enable-mfa-device', result: 'applied' },
        { action: 'detach-guard-policy', result: 'skipped' },
        { action: 'untag-user', result: 'skipped' },
      ],
    });
    const user = cloud.iam.getUser(CLOUD_ACCOUNT, 'alice');
    expect(user?.mfaSerialNumbers).toEqual([ALICE_DEVICE]);
    expect(user?.attachedPolicyArns).toEqual([guardPolicyArn(CLOUD_ACCOUNT)]);
    const { calls, refused } = await decisions(alice.arn);
    expect(calls.sort()).toEqual([
      'iam:CreateVirtualMFADevice',
      'iam:EnableMFADevice',
      'iam:ListMFADevices',
      'sts:GetCallerIdentity',
    ]);
    expect(refused).toEqual([]);
    expect(tap.exchanges.every((e) => e.accessKeyId === alice.accessKeyId)).toBe(true);

    // The worker's next check (the sweep's verify) releases her with its own role.
    const { deps } = createCloudDeps(cloud);
    const [verified] = await runWorkItem(
      { type: 'verify', accountId: CLOUD_ACCOUNT, userName: 'alice', trigger: { source: 'sweep' } },
      deps,
      { attempts: 1, log: deps.log },
    );
    expect(verified?.outcome).toBe('remediated');
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'alice')?.attachedPolicyArns).toEqual([]);
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'alice')?.tags).toEqual({});
  });

  it('cancelled, then run again: keeps and reuses the device, never deletes one, every call allowed', async () => {
    // Prepare: a first session ends (Ctrl-D) after the QR code was scanned.
    const alice = await containedAlice();
    const first = enroll(['--user-name', 'alice'], alice);
    await first.terminal.waitFor('First code');
    first.terminal.end();
    expect(await first.status).toBe(1);
    expect(first.terminal.text()).toContain(
      `aws iam delete-virtual-mfa-device --serial-number ${ALICE_DEVICE}`,
    );
    const seed = cloud.iam.deviceSeed(CLOUD_ACCOUNT, ALICE_DEVICE) ?? '';
    expect(seed).not.toBe('');
    // Act: the second session finds the device and uses the app's entry from the first.
    const second = enroll(['--user-name', 'alice'], alice);
    await second.terminal.waitFor('Does your authenticator app have it');
    second.terminal.type('y');
    await typeCodes(second.terminal, consecutiveCodes(seed, Date.now()));
    // Assess
    expect(await second.status, second.stderr()).toBe(0);
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'alice')?.mfaSerialNumbers).toEqual([ALICE_DEVICE]);
    const { calls, refused } = await decisions(alice.arn);
    expect(calls).toContain('iam:ListVirtualMFADevices');
    expect(calls).not.toContain('iam:DeleteVirtualMFADevice');
    expect(refused).toEqual([]);
  });

  it('as aws iam enable-mfa-device (a device she created herself, codes as flags): calls the guard allows', async () => {
    // Prepare: alice creates her device with her own key, as the AWS CLI's documented flow does.
    const alice = await containedAlice();
    const own = new IAMClient({
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: 'any' },
    });
    const { VirtualMFADevice } = await own.send(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'alice' }),
    );
    own.destroy();
    const [code1, code2] = consecutiveCodes(
      cloud.iam.deviceSeed(CLOUD_ACCOUNT, ALICE_DEVICE) ?? '',
      Date.now(),
    );
    tap.exchanges.length = 0;
    // Act
    const run = enroll(
      [
        '--user-name',
        'alice',
        '--serial-number',
        VirtualMFADevice?.SerialNumber ?? '',
        '--authentication-code1',
        code1,
        '--authentication-code2',
        code2,
      ],
      alice,
    );
    // Assess
    expect(await run.status, run.stderr()).toBe(0);
    expect(printed(run)).toMatchObject({ outcome: 'remediated' });
    const { calls, refused } = await decisions(alice.arn);
    expect(calls.sort()).toEqual(['iam:EnableMFADevice', 'iam:ListMFADevices', 'sts:GetCallerIdentity']);
    expect(refused).toEqual([]);
  });

  it('the same calls under /mfa-remediation/, as enroll made them before, are refused to a contained user', async () => {
    // The simulator is not vacuous: the former device path and the release are what the guard denies.
    const arn = `arn:aws:iam::${CLOUD_ACCOUNT}:user/alice`;
    const device = `arn:aws:iam::${CLOUD_ACCOUNT}:mfa${NAMES.devicePath}alice`;
    expect(await decide({ action: 'iam:CreateVirtualMFADevice', resource: device }, arn, 'false')).toBe(
      'ExplicitlyDenied',
    );
    for (const action of ['iam:ListUserTags', 'iam:DetachUserPolicy', 'iam:DeleteVirtualMFADevice']) {
      const resource = action === 'iam:DeleteVirtualMFADevice' ? ALICE_DEVICE : arn;
      expect(await decide({ action, resource }, arn, 'absent'), action).toBe('ExplicitlyDenied');
    }
  });
});

describe('enroll, run by an operator for someone else', () => {
  it('in the own account: mfa/<user>, and the guard and tags released', async () => {
    await containedAlice();
    const run = enroll(['--user-name', 'alice'], ROOT);
    await run.terminal.waitFor('Scan this QR code');
    await typeCodes(
      run.terminal,
      consecutiveCodes(cloud.iam.deviceSeed(CLOUD_ACCOUNT, ALICE_DEVICE) ?? '', Date.now()),
    );
    expect(await run.status, run.stderr()).toBe(0);
    const user = cloud.iam.getUser(CLOUD_ACCOUNT, 'alice');
    expect(user?.mfaSerialNumbers).toEqual([ALICE_DEVICE]);
    expect(user?.attachedPolicyArns).toEqual([]);
    expect(user?.tags).toEqual({});
  });

  it("in a member account, through the member role: the role's own mfa/mfa-remediation/<user>", async () => {
    // Prepare: the member role from its template, trusting the worker role, whose session runs enroll.
    cloud.seed({ accountId: MEMBER, users: [{ userName: 'bob', consolePassword: true }] });
    const organisation = await deployLocalOrganisation(
      { endpoint: cloud.url, region: 'us-east-1', credentials: ROOT },
      { managementAccountId: CLOUD_ACCOUNT, memberAccountIds: [MEMBER], externalId: 'enroll-test' },
    );
    const session = organisation.workerOptions.credentials as {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    };
    const device = `arn:aws:iam::${MEMBER}:mfa${NAMES.devicePath}bob`;
    // Act
    const run = enroll(['--user-name', 'bob', '--account', MEMBER], session, organisation.env);
    await run.terminal.waitFor('Scan this QR code');
    await typeCodes(run.terminal, consecutiveCodes(cloud.iam.deviceSeed(MEMBER, device) ?? '', Date.now()));
    // Assess
    expect(await run.status, run.stderr()).toBe(0);
    expect(printed(run)).toMatchObject({ outcome: 'remediated', accountId: MEMBER, userName: 'bob' });
    expect(cloud.iam.getUser(MEMBER, 'bob')?.mfaSerialNumbers).toEqual([device]);
  });
});
