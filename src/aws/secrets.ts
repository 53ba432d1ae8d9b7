/**
 * Seed escrow in Secrets Manager (custodial enrolment): create the secret, or put a new version when it exists.
 * ClientRequestToken makes a retried write idempotent: the same token never creates two versions.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsPort } from '../core/ports.ts';
import { errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

export function createSecretsAdapter(client: SecretsManagerClient): SecretsPort {
  return {
    async putSecret({ name, value, kmsKeyId, tags, clientRequestToken }) {
      try {
        const created = await call('secretsmanager', 'CreateSecret', () =>
          client.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: value,
              ClientRequestToken: clientRequestToken,
              Description: 'TOTP seed of a custodially enrolled IAM user (mfa-remediation)',
              ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            }),
          ),
        );
        return { arn: created.ARN ?? name };
      } catch (error) {
        if (errorCode(error) !== 'ResourceExists') throw error;
      }
      const put = await call('secretsmanager', 'PutSecretValue', () =>
        client.send(
          new PutSecretValueCommand({
            SecretId: name,
            SecretString: value,
            ClientRequestToken: clientRequestToken,
          }),
        ),
      );
      return { arn: put.ARN ?? name };
    },

    async getSecretValue(name) {
      try {
        const response = await call('secretsmanager', 'GetSecretValue', () =>
          client.send(new GetSecretValueCommand({ SecretId: name })),
        );
        return response.SecretString;
      } catch (error) {
        if (errorCode(error) === 'ResourceNotFound') return undefined;
        throw error;
      }
    },

    async deleteSecret(name) {
      try {
        // Without recovery: a dead seed must not linger, and a recovery window would block re-creating the
        // name for 7-30 days. Deletion is asynchronous, so CreateSecret right after may still be refused.
        await call('secretsmanager', 'DeleteSecret', () =>
          client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
        );
        return 'deleted';
      } catch (error) {
        if (errorCode(error) === 'ResourceNotFound') return 'absent';
        throw error;
      }
    },
  };
}
