/**
 * An in-memory Secrets Manager for unit tests of seed escrow: secrets with their versions, tags and KMS key,
 * call counts and scriptable failures (wrapped like the adapters wrap SDK errors).
 */
import { toDependencyError } from '../../src/aws/sdk-errors.ts';
import type { SecretsPort } from '../../src/core/ports.ts';

export interface FakeSecret {
  value: string;
  versions: string[];
  tags: Record<string, string>;
  kmsKeyId?: string;
}

export interface FakeSecrets extends SecretsPort {
  readonly secrets: Map<string, FakeSecret>;
  readonly calls: Map<string, number>;
  /** Makes the next `times` calls of `operation` (`PutSecret`, `GetSecretValue`, `DeleteSecret`) fail. */
  failNext(operation: string, name: string, times?: number): void;
}

export function createFakeSecrets(): FakeSecrets {
  const secrets = new Map<string, FakeSecret>();
  const calls = new Map<string, number>();
  const failures = new Map<string, { name: string; times: number }>();
  const op = (operation: string) => {
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    const failure = failures.get(operation);
    if (failure && failure.times > 0) {
      failure.times--;
      const raw = Object.assign(new Error(`${failure.name} (fake)`), { name: `${failure.name}Exception` });
      throw toDependencyError(raw, 'secretsmanager', operation);
    }
  };
  return {
    secrets,
    calls,
    failNext(operation, name, times = 1) {
      failures.set(operation, { name, times });
    },
    async putSecret({ name, value, kmsKeyId, tags, clientRequestToken }) {
      op('PutSecret');
      const existing = secrets.get(name);
      if (!existing) {
        secrets.set(name, {
          value,
          versions: [clientRequestToken],
          tags: { ...tags },
          ...(kmsKeyId ? { kmsKeyId } : {}),
        });
      } else if (!existing.versions.includes(clientRequestToken)) {
        existing.value = value;
        existing.versions.push(clientRequestToken);
      }
      return { arn: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}` };
    },
    async getSecretValue(name) {
      op('GetSecretValue');
      return secrets.get(name)?.value;
    },
    async deleteSecret(name) {
      op('DeleteSecret');
      return secrets.delete(name) ? 'deleted' : 'absent';
    },
  };
}
