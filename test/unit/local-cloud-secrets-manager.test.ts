import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createSecretsManagerService,
  type SecretsManagerService,
} from '../../src/local/cloud/secrets-manager.ts';
import { ACCOUNT, type FakeEnv, fakeEnv, type Json, localRequest } from './local-cloud-support.ts';

const OTHER = '210987654321';

describe('Secrets Manager emulator (unit)', () => {
  let env: FakeEnv;
  let sm: SecretsManagerService;
  const call = async (operation: string, input: unknown, accountId = ACCOUNT): Promise<Json> => {
    const req = localRequest('secretsmanager', {
      accountId,
      headers: { 'x-amz-target': `secretsmanager.${operation}` },
      body: JSON.stringify(input),
    });
    return JSON.parse(String((await sm.handle(req, sm.operationOf(req))).body));
  };
  const name = `mfa-remediation/${ACCOUNT}/bob`;

  beforeEach(() => {
    env = fakeEnv({ accounts: [ACCOUNT, OTHER] });
    sm = createSecretsManagerService(env);
  });

  it('creates a secret with an ARN suffix and reads it by name, ARN and partial ARN', async () => {
    // Act
    const created = await call('CreateSecret', {
      Name: name,
      SecretString: 'seed-1',
      KmsKeyId: 'alias/aws/secretsmanager',
      Tags: [{ Key: 'app', Value: 'mfa-remediation' }],
      ClientRequestToken: randomUUID(),
    });
    // Assess
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    for (const id of [name, created.ARN, created.ARN.slice(0, -7)]) {
      expect((await call('GetSecretValue', { SecretId: id })).SecretString).toBe('seed-1');
    }
    const got = await call('GetSecretValue', { SecretId: name });
    expect(got).toMatchObject({ VersionId: created.VersionId, VersionStages: ['AWSCURRENT'] });
    expect(got.CreatedDate).toBe(env.now() / 1000);
  });

  it('is idempotent by ClientRequestToken and refuses a second secret of the same name', async () => {
    const token = randomUUID();
    const first = await call('CreateSecret', { Name: name, SecretString: 's', ClientRequestToken: token });
    const retry = await call('CreateSecret', { Name: name, SecretString: 's', ClientRequestToken: token });
    expect(retry.VersionId).toBe(first.VersionId);
    await expect(
      call('CreateSecret', { Name: name, SecretString: 's', ClientRequestToken: randomUUID() }),
    ).rejects.toMatchObject({
      code: 'ResourceExistsException',
    });
  });

  it('versions values: AWSCURRENT moves, the previous one becomes AWSPREVIOUS', async () => {
    // Prepare
    const v1 = (
      await call('CreateSecret', { Name: name, SecretString: 'one', ClientRequestToken: randomUUID() })
    ).VersionId;
    // Act
    const put = await call('PutSecretValue', {
      SecretId: name,
      SecretString: 'two',
      ClientRequestToken: randomUUID(),
    });
    const v3token = randomUUID();
    await call('PutSecretValue', { SecretId: name, SecretString: 'three', ClientRequestToken: v3token });
    const retried = await call('PutSecretValue', {
      SecretId: name,
      SecretString: 'three',
      ClientRequestToken: v3token,
    });
    const previous = await call('GetSecretValue', { SecretId: name, VersionStage: 'AWSPREVIOUS' });
    const described = await call('DescribeSecret', { SecretId: name });
    // Assess
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(retried.VersionId).toBe(v3token);
    expect(previous.SecretString).toBe('two');
    expect(described.VersionIdsToStages).toEqual({
      [put.VersionId]: ['AWSPREVIOUS'],
      [v3token]: ['AWSCURRENT'],
    });
    expect((await call('GetSecretValue', { SecretId: name, VersionId: v1 })).SecretString).toBe('one');
    await expect(
      call('PutSecretValue', { SecretId: name, SecretString: 'other', ClientRequestToken: v3token }),
    ).rejects.toMatchObject({ code: 'ResourceExistsException' });
  });

  it('tags, untags and describes', async () => {
    await call('CreateSecret', { Name: name, SecretString: 's', Description: 'seed escrow' });
    await call('TagResource', {
      SecretId: name,
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    });
    await call('UntagResource', { SecretId: name, TagKeys: ['a'] });
    const described = await call('DescribeSecret', { SecretId: name });
    expect(described).toMatchObject({
      Name: name,
      Description: 'seed escrow',
      Tags: [{ Key: 'b', Value: '2' }],
      RotationEnabled: false,
    });
  });

  it('partitions secrets by account', async () => {
    await call('CreateSecret', { Name: name, SecretString: 'mine' });
    await expect(call('GetSecretValue', { SecretId: name }, OTHER)).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
      status: 400,
    });
  });

  it('schedules deletion, refuses reads while pending, and forgets after the window', async () => {
    // Prepare
    await call('CreateSecret', { Name: name, SecretString: 's' });
    // Act
    const deleted = await call('DeleteSecret', { SecretId: name, RecoveryWindowInDays: 7 });
    // Assess
    expect(deleted.DeletionDate).toBe(env.now() / 1000 + 7 * 86_400);
    await expect(call('GetSecretValue', { SecretId: name })).rejects.toMatchObject({
      code: 'InvalidRequestException',
    });
    await expect(call('CreateSecret', { Name: name, SecretString: 's' })).rejects.toMatchObject({
      code: 'InvalidRequestException',
    });
    expect((await call('DescribeSecret', { SecretId: name })).DeletedDate).toBe(deleted.DeletionDate);
    env.advance(7 * 86_400_000);
    await expect(call('DescribeSecret', { SecretId: name })).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
    });
  });

  it('force-deletes and validates delete options', async () => {
    await call('CreateSecret', { Name: name, SecretString: 's' });
    await expect(call('DeleteSecret', { SecretId: name, RecoveryWindowInDays: 3 })).rejects.toMatchObject({
      code: 'InvalidParameterException',
    });
    await expect(
      call('DeleteSecret', { SecretId: name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true }),
    ).rejects.toMatchObject({ code: 'InvalidParameterException' });
    await call('DeleteSecret', { SecretId: name, ForceDeleteWithoutRecovery: true });
    await call('CreateSecret', { Name: name, SecretString: 'again' });
    expect(sm.secretString(ACCOUNT, name)).toBe('again');
  });

  it('lists secrets with filters and pagination', async () => {
    for (const n of ['a/one', 'a/two', 'b/three']) await call('CreateSecret', { Name: n, SecretString: 's' });
    const filtered = await call('ListSecrets', { Filters: [{ Key: 'name', Values: ['a/'] }] });
    const page = await call('ListSecrets', { MaxResults: 2 });
    const next = await call('ListSecrets', { MaxResults: 2, NextToken: page.NextToken });
    expect(filtered.SecretList.map((s: Json) => s.Name)).toEqual(['a/one', 'a/two']);
    expect(page.SecretList).toHaveLength(2);
    expect(next.SecretList.map((s: Json) => s.Name)).toEqual(['b/three']);
  });
});
