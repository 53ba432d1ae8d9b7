import {
  ConcurrentModificationException,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  ListUserTagsCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultSpecError } from '../../../src/local/cloud/faults.ts';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { admin, clientOptions, failure } from './support.ts';

describe('local cloud fault injection', () => {
  let cloud: LocalCloud;
  let iam: IAMClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, randomSeed: 1 });
    iam = new IAMClient(clientOptions(cloud));
  });
  afterEach(() => cloud.reset());
  afterAll(async () => {
    iam.destroy();
    await cloud.close();
  });

  it('fails a write with ConcurrentModificationException (409) before it changes anything', async () => {
    // Prepare
    await iam.send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'red' }] }));
    await admin(cloud, 'POST', '/_local/faults', 'iam:write=ConcurrentModification:1');

    // Act
    const error = await failure(
      iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'blue' }] })),
    );
    const tags = await iam.send(new ListUserTagsCommand({ UserName: 'alice' }));

    // Assess
    expect(error).toBeInstanceOf(ConcurrentModificationException);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'red' }]);
    expect(cloud.stats().faults).toEqual({ 'iam:TagUser': 1 });
    expect(cloud.stats().requests['iam:TagUser']).toBe(1);
  });

  it('lets the SDK retry an injected Throttling until its attempts run out', async () => {
    // Prepare
    cloud.setFaults('iam:ListUsers=Throttling:1');
    const retrying = new IAMClient(clientOptions(cloud, { maxAttempts: 3 }));

    // Act
    const error = await failure(retrying.send(new ListUsersCommand({})));

    // Assess
    expect(error.name).toBe('Throttling');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.attempts).toBe(3);
    expect(cloud.stats()).toEqual({ requests: { 'iam:ListUsers': 3 }, faults: { 'iam:ListUsers': 3 } });
    retrying.destroy();
  });

  it('lets the SDK retry a 5xx fault and succeed once the fault is gone', async () => {
    // Prepare: with p = 0.5 some attempts fail; seed 3 makes the first one fail, so the SDK must retry.
    const seeded = await startLocalCloud({ randomSeed: 3, faults: 'sts:*=ServiceUnavailable:0.5' });
    const sts = new STSClient(clientOptions(seeded, { maxAttempts: 10 }));

    // Act
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    // Assess
    const { requests, faults } = seeded.stats();
    expect(identity.Account).toBe('123456789012');
    expect(requests['sts:GetCallerIdentity']).toBe((faults['sts:GetCallerIdentity'] ?? 0) + 1);
    expect(identity.$metadata.attempts).toBe(requests['sts:GetCallerIdentity']);
    sts.destroy();
    await seeded.close();
  });

  it('renders a fault in the service’s protocol with the mapped status', async () => {
    // Prepare
    cloud.setFaults('sts:*=ServiceUnavailable:1,secretsmanager:*=ThrottlingException:1');
    const sts = new STSClient(clientOptions(cloud));
    const secrets = new SecretsManagerClient(clientOptions(cloud));

    // Act
    const stsError = await failure(sts.send(new GetCallerIdentityCommand({})));
    const secretsError = await failure(secrets.send(new GetSecretValueCommand({ SecretId: 'anything' })));

    // Assess
    expect(stsError.name).toBe('ServiceUnavailable');
    expect(stsError.$metadata.httpStatusCode).toBe(503);
    expect(secretsError.name).toBe('ThrottlingException');
    expect(secretsError.$metadata.httpStatusCode).toBe(400);
    sts.destroy();
    secrets.destroy();
  });

  it('matches write rules against mutating operations only', async () => {
    // Prepare
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    cloud.setFaults('iam:write=EntityTemporarilyUnmodifiable:1');

    // Act
    const read = await iam.send(new GetUserCommand({ UserName: 'bob' }));
    const write = await failure(iam.send(new CreateUserCommand({ UserName: 'carol' })));

    // Assess
    expect(read.User?.UserName).toBe('bob');
    expect(write.name).toBe('EntityTemporarilyUnmodifiableException');
    expect(write.$metadata.httpStatusCode).toBe(409);
    expect(cloud.iam.getUser('123456789012', 'carol')).toBeUndefined();
  });

  it('fires the same faults for the same seed', async () => {
    // Prepare
    const run = async () => {
      const seeded = await startLocalCloud({ randomSeed: 99, faults: 'iam:ListUsers=ServiceFailure:0.5' });
      const client = new IAMClient(clientOptions(seeded));
      const outcomes: boolean[] = [];
      for (let i = 0; i < 12; i++) {
        outcomes.push(
          await client.send(new ListUsersCommand({})).then(
            () => true,
            () => false,
          ),
        );
      }
      client.destroy();
      await seeded.close();
      return outcomes;
    };

    // Act
    const first = await run();
    const second = await run();

    // Assess
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  describe('admin API', () => {
    it('sets, reports and clears the SPEC', async () => {
      // Act
      const set = await admin(cloud, 'POST', '/_local/faults', 'iam:*=Throttling:0.25');
      const current = await admin(cloud, 'GET', '/_local/faults');
      const cleared = await admin(cloud, 'POST', '/_local/faults', '');

      // Assess
      expect(set.status).toBe(200);
      expect(current.text).toBe('iam:*=Throttling:0.25');
      expect(cleared.status).toBe(200);
      expect(cloud.faults()).toBe('');
    });

    it('accepts the SPEC as JSON too', async () => {
      // Act
      const set = await admin(
        cloud,
        'POST',
        '/_local/faults',
        JSON.stringify({ spec: 'sts:*=Throttling:1' }),
      );

      // Assess
      expect(set.status).toBe(200);
      expect(cloud.faults()).toBe('sts:*=Throttling:1');
    });

    it('rejects an invalid SPEC with 400 naming the rule, keeping the current rules', async () => {
      // Prepare
      cloud.setFaults('iam:*=Throttling:0.5');

      // Act
      const response = await admin(
        cloud,
        'POST',
        '/_local/faults',
        'iam:*=Throttling:0.5,iam:TagUser=Oops:7',
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ error: 'InvalidFaultSpec', rule: 'iam:TagUser=Oops:7' });
      expect(cloud.faults()).toBe('iam:*=Throttling:0.5');
    });

    it('refuses to start with an invalid SPEC', async () => {
      await expect(startLocalCloud({ faults: 'iam:*' })).rejects.toBeInstanceOf(FaultSpecError);
    });
  });
});
