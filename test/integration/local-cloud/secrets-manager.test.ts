import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { clientOptions } from './support.ts';

describe('local cloud: Secrets Manager through the AWS SDK', () => {
  let cloud: LocalCloud;
  let sm: SecretsManagerClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    sm = new SecretsManagerClient(clientOptions(cloud));
  });

  afterAll(async () => {
    sm?.destroy();
    await cloud?.close();
  });

  it('creates, versions, reads, tags and describes a secret', async () => {
    // Prepare
    const name = 'mfa-remediation/123456789012/alice';
    // Act
    const created = await sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: '{"seed":"one"}',
        Tags: [{ Key: 'app', Value: 'mfa' }],
      }),
    );
    const put = await sm.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: '{"seed":"two"}' }),
    );
    const current = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    await sm.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'owner', Value: 'security' }] }));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    // Assess
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:mfa-remediation\/123456789012\/alice-[A-Za-z0-9]{6}$/,
    );
    expect(current).toMatchObject({
      SecretString: '{"seed":"two"}',
      VersionId: put.VersionId,
      VersionStages: ['AWSCURRENT'],
    });
    expect(current.CreatedDate).toBeInstanceOf(Date);
    expect(previous).toMatchObject({ SecretString: '{"seed":"one"}', VersionId: created.VersionId });
    expect(described.Tags).toEqual([
      { Key: 'app', Value: 'mfa' },
      { Key: 'owner', Value: 'security' },
    ]);
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId!]: ['AWSPREVIOUS'],
      [put.VersionId!]: ['AWSCURRENT'],
    });
  });

  it('raises the SDK exception classes', async () => {
    // Prepare
    const name = 'mfa-remediation/123456789012/bob';
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 's' }));
    // Act
    const exists = await sm
      .send(new CreateSecretCommand({ Name: name, SecretString: 's' }))
      .catch((e: unknown) => e);
    const missing = await sm.send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: unknown) => e);
    await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const pending = await sm.send(new GetSecretValueCommand({ SecretId: name })).catch((e: unknown) => e);
    // Assess
    expect(exists).toBeInstanceOf(ResourceExistsException);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
    expect(pending).toBeInstanceOf(InvalidRequestException);
  });
});
