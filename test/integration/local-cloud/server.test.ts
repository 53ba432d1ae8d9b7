import {
  CreateUserCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListUsersCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { AwsApiError, type EmulatedService } from '../../../src/local/cloud-types.ts';
import { admin, authorization, clientOptions, failure } from './support.ts';

/** A JSON 1.1 and a REST-JSON test double, to see the server's generic error rendering. */
function doubles(): EmulatedService[] {
  const failing = (name: string, protocol: 'json-1.1' | 'rest-json'): EmulatedService => ({
    name,
    protocol,
    operationOf: (req) => req.headers['x-amz-target']?.split('.')[1] ?? 'Anything',
    isWrite: () => false,
    handle: (_req, operation) => {
      if (operation === 'Crash') throw new Error('boom');
      throw new AwsApiError('ResourceNotFoundException', `nothing for ${operation}`, 404);
    },
    reset: () => {},
  });
  return [failing('double-json', 'json-1.1'), failing('double-rest', 'rest-json')];
}

describe('local cloud server', () => {
  let cloud: LocalCloud;
  let iam: IAMClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, services: doubles });
    iam = new IAMClient(clientOptions(cloud));
  });
  afterEach(() => cloud.reset());
  afterAll(async () => {
    iam.destroy();
    await cloud.close();
  });

  describe('routing and protocol', () => {
    it('serves the SDK on an ephemeral loopback port and echoes the request id in x-amzn-RequestId', async () => {
      // Act
      const result = await iam.send(new ListUsersCommand({}));

      // Assess
      expect(cloud.url).toBe(`http://127.0.0.1:${cloud.port}`);
      expect(cloud.port).toBeGreaterThan(0);
      expect(result.$metadata.httpStatusCode).toBe(200);
      expect(result.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('routes by the credential scope service and counts requests as service:Operation', async () => {
      // Prepare
      const sts = new STSClient(clientOptions(cloud));

      // Act
      await iam.send(new ListUsersCommand({}));
      await iam.send(new ListUsersCommand({}));
      await sts.send(new GetCallerIdentityCommand({}));
      const stats = await admin(cloud, 'GET', '/_local/stats');

      // Assess
      expect(stats.status).toBe(200);
      expect(stats.json()).toEqual({
        requests: { 'iam:ListUsers': 2, 'sts:GetCallerIdentity': 1 },
        faults: {},
      });
      expect(cloud.stats().requests['iam:ListUsers']).toBe(2);
      sts.destroy();
    });

    it('answers an unknown query action with InvalidAction (400) in XML', async () => {
      // Act
      const response = await fetch(cloud.url, {
        method: 'POST',
        headers: { authorization: authorization('iam'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=MakeCoffee&Version=2010-05-08',
      });
      const text = await response.text();

      // Assess
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(text).toContain('<Code>InvalidAction</Code>');
      expect(text).toContain('<Type>Sender</Type>');
    });

    it('answers a service it does not emulate in the protocol the client spoke', async () => {
      // Act
      const json = await fetch(cloud.url, {
        method: 'POST',
        headers: {
          authorization: authorization('dynamodb'),
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
        },
        body: '{}',
      });
      const query = await fetch(cloud.url, {
        method: 'POST',
        headers: { authorization: authorization('ec2'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=DescribeInstances',
      });

      // Assess
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({ __type: 'UnknownOperationException' });
      expect(query.status).toBe(400);
      expect(await query.text()).toContain('<Code>InvalidAction</Code>');
    });

    it('refuses an unsigned request with MissingAuthenticationToken (403)', async () => {
      // Act
      const response = await fetch(cloud.url, { method: 'POST', body: 'Action=ListUsers' });

      // Assess
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    });

    it('renders JSON 1.1 errors with __type and REST-JSON errors with x-amzn-ErrorType', async () => {
      // Act
      const json = await fetch(cloud.url, {
        method: 'POST',
        headers: { authorization: authorization('double-json'), 'x-amz-target': 'Double.GetThing' },
        body: '{}',
      });
      const rest = await fetch(`${cloud.url}/things/1`, {
        method: 'GET',
        headers: { authorization: authorization('double-rest') },
      });

      // Assess
      expect(json.status).toBe(404);
      expect(json.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await json.json()).toEqual({
        __type: 'ResourceNotFoundException',
        message: 'nothing for GetThing',
      });
      expect(rest.status).toBe(404);
      expect(rest.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
      expect(await rest.json()).toMatchObject({ message: 'nothing for Anything' });
    });

    it('turns an unexpected exception in a service into InternalFailure (500)', async () => {
      // Act
      const response = await fetch(cloud.url, {
        method: 'POST',
        headers: { authorization: authorization('double-json'), 'x-amz-target': 'Double.Crash' },
        body: '{}',
      });

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ __type: 'InternalFailure' });
    });

    it('rejects two services with the same signing name', async () => {
      // Act
      const start = startLocalCloud({ services: () => [doubles()[0]!, doubles()[0]!] });

      // Assess
      await expect(start).rejects.toThrow(/two local cloud services are named double-json/);
    });
  });

  describe('admin API', () => {
    it('reports health', async () => {
      // Act
      const health = await admin(cloud, 'GET', '/_local/health');

      // Assess
      expect(health.status).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
    });

    it('answers 404 for an unknown admin endpoint', async () => {
      // Act
      const response = await admin(cloud, 'POST', '/_local/coffee');

      // Assess
      expect(response.status).toBe(404);
    });

    it('seeds an account with users in the requested state', async () => {
      // Act
      const response = await admin(
        cloud,
        'POST',
        '/_local/seed',
        JSON.stringify({
          accountId: '222222222222',
          accountName: 'workloads',
          users: [
            { userName: 'alice', consolePassword: true, mfa: false, accessKeys: 1, tags: { team: 'red' } },
            { userName: 'bob', consolePassword: false, mfa: true, accessKeys: 2 },
          ],
        }),
      );

      // Assess
      expect(response.status).toBe(200);
      const result = response.json() as {
        accountId: string;
        accountName: string;
        users: {
          userName: string;
          userId: string;
          arn: string;
          accessKeyIds: string[];
          mfaSerialNumber?: string;
        }[];
      };
      expect(result.accountId).toBe('222222222222');
      expect(result.accountName).toBe('workloads');
      expect(result.users.map((u) => u.arn)).toEqual([
        'arn:aws:iam::222222222222:user/alice',
        'arn:aws:iam::222222222222:user/bob',
      ]);
      expect(result.users[0]?.userId).toMatch(/^AIDA[A-Z0-9]{17}$/);
      expect(result.users[0]?.accessKeyIds).toHaveLength(1);
      expect(result.users[1]?.mfaSerialNumber).toBe('arn:aws:iam::222222222222:mfa/bob');
      expect(cloud.env.knownAccounts()).toContain('222222222222');
      expect(cloud.iam.getUser('222222222222', 'alice')).toMatchObject({
        hasLoginProfile: true,
        tags: { team: 'red' },
        mfaSerialNumbers: [],
      });
      expect(cloud.iam.getUser('222222222222', 'bob')).toMatchObject({
        hasLoginProfile: false,
        mfaSerialNumbers: ['arn:aws:iam::222222222222:mfa/bob'],
      });
    });

    it('seeds the default account when no account id is given, visible through the SDK', async () => {
      // Prepare
      cloud.seed({ users: [{ userName: 'carol', consolePassword: true, mfa: true, accessKeys: 1 }] });

      // Act
      const devices = await iam.send(new ListMFADevicesCommand({ UserName: 'carol' }));
      const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'carol' }));
      const profile = await iam.send(new GetLoginProfileCommand({ UserName: 'carol' }));

      // Assess
      expect(devices.MFADevices?.map((d) => d.SerialNumber)).toEqual(['arn:aws:iam::123456789012:mfa/carol']);
      expect(keys.AccessKeyMetadata).toHaveLength(1);
      expect(profile.LoginProfile?.UserName).toBe('carol');
    });

    it('refuses an invalid seed body (400) and a duplicate user (409) without creating anything', async () => {
      // Prepare
      cloud.seed({ users: [{ userName: 'dave' }] });

      // Act
      const invalid = await admin(
        cloud,
        'POST',
        '/_local/seed',
        JSON.stringify({ accountId: '12', users: [] }),
      );
      const notJson = await admin(cloud, 'POST', '/_local/seed', '{');
      const duplicate = await admin(
        cloud,
        'POST',
        '/_local/seed',
        JSON.stringify({ users: [{ userName: 'erin' }, { userName: 'DAVE' }] }),
      );

      // Assess
      expect(invalid.status).toBe(400);
      expect(invalid.json()).toMatchObject({ error: 'InvalidSeed' });
      expect((invalid.json() as { message: string }).message).toContain('accountId');
      expect(notJson.status).toBe(400);
      expect(duplicate.status).toBe(409);
      expect(duplicate.json()).toMatchObject({ error: 'EntityAlreadyExists' });
      expect(cloud.iam.getUser('123456789012', 'erin')).toBeUndefined();
    });

    it('resets every service, seeded accounts, statistics and faults', async () => {
      // Prepare
      cloud.seed({ accountId: '333333333333', users: [{ userName: 'frank' }] });
      await iam.send(new CreateUserCommand({ UserName: 'grace' }));
      await admin(cloud, 'POST', '/_local/faults', 'iam:GetUser=Throttling:1');

      // Act
      const reset = await admin(cloud, 'POST', '/_local/reset');

      // Assess
      expect(reset.status).toBe(200);
      expect(cloud.env.knownAccounts()).toEqual(['123456789012']);
      expect(cloud.stats()).toEqual({ requests: {}, faults: {} });
      expect((await admin(cloud, 'GET', '/_local/faults')).text).toBe('');
      const error = await failure(iam.send(new GetUserCommand({ UserName: 'grace' })));
      expect(error).toBeInstanceOf(NoSuchEntityException);
    });

    it('sets latency for AWS requests only, and validates it', async () => {
      // Act
      const set = await admin(cloud, 'POST', '/_local/latency', JSON.stringify({ ms: 60 }));
      const started = performance.now();
      await iam.send(new ListUsersCommand({}));
      const elapsed = performance.now() - started;
      const adminStarted = performance.now();
      await admin(cloud, 'GET', '/_local/health');
      const adminElapsed = performance.now() - adminStarted;
      const invalid = await admin(cloud, 'POST', '/_local/latency', JSON.stringify({ ms: -1 }));
      cloud.setLatency(0);

      // Assess
      expect(set.status).toBe(200);
      expect(elapsed).toBeGreaterThanOrEqual(55);
      expect(adminElapsed).toBeLessThan(55);
      expect(invalid.status).toBe(400);
    });
  });

  describe('start-up', () => {
    it('validates its options', async () => {
      await expect(startLocalCloud({ port: -1 })).rejects.toThrow(/port/);
      await expect(startLocalCloud({ defaultAccountId: '42' })).rejects.toThrow(/defaultAccountId/);
      await expect(startLocalCloud({ latencyMs: -5 })).rejects.toThrow(/latencyMs/);
    });

    it('uses the configured default account and closes promptly with keep-alive clients', async () => {
      // Prepare
      const other = await startLocalCloud({ defaultAccountId: '444444444444' });
      const sts = new STSClient(clientOptions(other));

      // Act
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      const started = performance.now();
      await other.close();

      // Assess
      expect(identity.Account).toBe('444444444444');
      expect(performance.now() - started).toBeLessThan(1000);
      sts.destroy();
    });
  });
});
