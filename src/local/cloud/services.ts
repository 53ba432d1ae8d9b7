/**
 * The emulated services besides IAM and STS (which the server builds itself, because it needs their
 * in-process handles and the shared credential registry). SNS delivers into SQS, so it gets the SQS service.
 */
import type { LocalCloudEnv } from '../cloud-types.ts';
import { createOrganizationsService } from './organizations.ts';
import { createSecretsManagerService, type SecretsManagerService } from './secrets-manager.ts';
import { createSecurityHubService, type SecurityHubService } from './securityhub.ts';
import { createSesV2Service, type SesV2Service } from './sesv2.ts';
import { createSnsService, type SnsService } from './sns.ts';
import { createSqsService, type SqsService } from './sqs.ts';

export interface PeerServices {
  readonly sqs: SqsService;
  readonly sns: SnsService;
  readonly securityhub: SecurityHubService;
  readonly secretsManager: SecretsManagerService;
  readonly organizations: ReturnType<typeof createOrganizationsService>;
  readonly sesv2: SesV2Service;
}

/** Creates the default set of peer services sharing one environment. */
export function createPeerServices(env: LocalCloudEnv): PeerServices {
  const sqs = createSqsService(env);
  return {
    sqs,
    sns: createSnsService(env, sqs),
    securityhub: createSecurityHubService(env),
    secretsManager: createSecretsManagerService(env),
    organizations: createOrganizationsService(env),
    sesv2: createSesV2Service(env),
  };
}
