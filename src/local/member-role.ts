/**
 * Member accounts in the local cloud, set up the way a real organisation is: the member role is created from
 * `deploy/member-account-role.yml` itself (its trust policy, maximum session duration and inline policies,
 * evaluated for the stack's parameters), through IAM CreateRole / PutRolePolicy with the real SDK, so a
 * mistake in the template fails the demo and the tests that use member accounts exactly as it would fail on
 * AWS. The worker calls as a session of a central worker role, as on Lambda, so the trust policy is evaluated
 * against the principal the template names.
 *
 * Administrative access to a member account goes through `OrganizationAccountAccessRole`, which AWS
 * Organizations creates in the accounts it creates (and the local cloud in every seeded member account).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ClientOptions } from '../aws/clients.ts';
import { NAMES } from '../core/model.ts';
import { ORGANIZATION_ACCESS_ROLE } from './cloud/seed.ts';
import { createEvaluator, parseCloudFormationYaml, type Template } from './cloudformation.ts';

export { ORGANIZATION_ACCESS_ROLE };

/** The external id the demo and the tests deploy the member role with (docs/deploy.md: any shared string). */
export const DEMO_EXTERNAL_ID = 'mfa-remediation-local';
/** The central worker's role in local set-ups (on AWS: the stack's WorkerRole, assumed by Lambda). */
export const LOCAL_WORKER_ROLE = 'mfa-remediation-local-worker';

/** `deploy/member-account-role.yml`, from the sources or from the compiled package alike. */
function templatePath(): string {
  for (const relative of ['../../deploy/', '../../../deploy/']) {
    const path = fileURLToPath(new URL(`${relative}member-account-role.yml`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('deploy/member-account-role.yml not found beside the package');
}

let cached: Template | undefined;
/** The member account template, parsed once. */
export function memberRoleTemplate(): Template {
  cached ??= parseCloudFormationYaml(readFileSync(templatePath(), 'utf8'));
  return cached;
}

/** The template's parameters (docs/deploy.md); the two without defaults are required. */
export interface MemberRoleParameters {
  readonly WorkerRoleArn: string;
  readonly ExternalId: string;
  readonly MemberRoleName?: string;
  readonly Escalation?: 'none' | 'disable-console' | 'disable-console-and-keys';
  readonly EscrowKmsKeyArn?: string;
}

/** The `AWS::IAM::Role` the template declares, evaluated for an account and parameters. */
export interface MemberRoleDefinition {
  readonly RoleName: string;
  readonly Description?: string;
  readonly MaxSessionDuration?: number;
  readonly AssumeRolePolicyDocument: unknown;
  readonly Policies: readonly { readonly PolicyName: string; readonly PolicyDocument: unknown }[];
}

/** Evaluates the template's MemberRole for `accountId` (conditions applied, `AWS::NoValue` dropped). */
export function memberRoleDefinition(
  accountId: string,
  parameters: MemberRoleParameters,
  template: Template = memberRoleTemplate(),
): MemberRoleDefinition {
  const evaluated = createEvaluator(template, {
    accountId,
    parameters: Object.fromEntries(Object.entries(parameters).filter(([, v]) => v !== undefined)),
  }).resources();
  const role = Object.values(evaluated).find((resource) => resource.Type === 'AWS::IAM::Role');
  if (!role) throw new Error('the member account template declares no AWS::IAM::Role');
  return role.Properties as unknown as MemberRoleDefinition;
}

/** Client options acting as `roleName` in `accountId` (a fresh AssumeRole session). */
export async function assumeRole(
  clientOptions: ClientOptions,
  roleArn: string,
  sessionName: string,
  externalId?: string,
): Promise<ClientOptions> {
  const sts = new STSClient(clientOptions);
  try {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        ...(externalId === undefined ? {} : { ExternalId: externalId }),
      }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    return {
      ...clientOptions,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      },
    };
  } finally {
    sts.destroy();
  }
}

/** An administrator's client options in a member account, through OrganizationAccountAccessRole. */
export function memberAdmin(managementOptions: ClientOptions, accountId: string): Promise<ClientOptions> {
  return assumeRole(
    managementOptions,
    `arn:aws:iam::${accountId}:role/${ORGANIZATION_ACCESS_ROLE}`,
    'mfa-remediation-setup',
  );
}

/**
 * Deploys the template's member role into a member account, as the StackSet would: CreateRole with its trust
 * policy, description and maximum session duration, then one PutRolePolicy per inline policy. `adminOptions`
 * act in that account (see {@link memberAdmin}). Returns the role's ARN.
 */
export async function deployMemberRole(
  adminOptions: ClientOptions,
  accountId: string,
  parameters: MemberRoleParameters,
): Promise<string> {
  const role = memberRoleDefinition(accountId, parameters);
  const iam = new IAMClient(adminOptions);
  try {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: role.RoleName,
        AssumeRolePolicyDocument: JSON.stringify(role.AssumeRolePolicyDocument),
        ...(role.Description === undefined ? {} : { Description: role.Description }),
        ...(role.MaxSessionDuration === undefined ? {} : { MaxSessionDuration: role.MaxSessionDuration }),
      }),
    );
    for (const policy of role.Policies) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: role.RoleName,
          PolicyName: policy.PolicyName,
          PolicyDocument: JSON.stringify(policy.PolicyDocument),
        }),
      );
    }
    return created.Role?.Arn ?? `arn:aws:iam::${accountId}:role/${role.RoleName}`;
  } finally {
    iam.destroy();
  }
}

/**
 * The central worker's role in the worker's own account, trusted by that account (locally the runner stands
 * in for Lambda, which assumes the stack's WorkerRole). Created once; returns its ARN.
 */
export async function ensureWorkerRole(managementOptions: ClientOptions, accountId: string): Promise<string> {
  const iam = new IAMClient(managementOptions);
  try {
    const existing = await iam
      .send(new GetRoleCommand({ RoleName: LOCAL_WORKER_ROLE }))
      .catch((error: unknown) => {
        if (error instanceof NoSuchEntityException) return undefined;
        throw error;
      });
    if (existing?.Role?.Arn) return existing.Role.Arn;
    const trust = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    };
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: LOCAL_WORKER_ROLE,
        AssumeRolePolicyDocument: JSON.stringify(trust),
        Description: 'The mfa-remediation worker in the local cloud (on AWS: the stack WorkerRole).',
      }),
    );
    return created.Role?.Arn ?? `arn:aws:iam::${accountId}:role/${LOCAL_WORKER_ROLE}`;
  } finally {
    iam.destroy();
  }
}

/** A local organisation ready for the worker: its credentials and the environment it needs. */
export interface LocalOrganisation {
  /** Client options of the worker: a session of the central worker role. */
  readonly workerOptions: ClientOptions;
  /** `MEMBER_ROLE_NAME` / `MEMBER_ROLE_EXTERNAL_ID` for the worker's configuration. */
  readonly env: Readonly<Record<string, string>>;
  readonly workerRoleArn: string;
}

/**
 * Sets up what a deployed organisation has: the central worker role in the management (worker's) account, the
 * member role from the template in each member account, and worker credentials as a session of the worker
 * role. Member accounts must already be in the local organisation (seeded).
 */
export async function deployLocalOrganisation(
  managementOptions: ClientOptions,
  options: {
    managementAccountId: string;
    memberAccountIds: readonly string[];
    externalId: string;
    escalation?: MemberRoleParameters['Escalation'];
  },
): Promise<LocalOrganisation> {
  const workerRoleArn = await ensureWorkerRole(managementOptions, options.managementAccountId);
  for (const accountId of options.memberAccountIds) {
    if (accountId === options.managementAccountId) continue;
    await deployMemberRole(await memberAdmin(managementOptions, accountId), accountId, {
      WorkerRoleArn: workerRoleArn,
      ExternalId: options.externalId,
      ...(options.escalation ? { Escalation: options.escalation } : {}),
    });
  }
  const workerOptions = await assumeRole(managementOptions, workerRoleArn, 'mfa-remediation-worker');
  return {
    workerOptions,
    workerRoleArn,
    env: { MEMBER_ROLE_NAME: NAMES.memberRoleName, MEMBER_ROLE_EXTERNAL_ID: options.externalId },
  };
}
