/**
 * `POST /_local/seed` (and `LocalCloud.seed`): an account of the local organisation with users in a given
 * state, created directly in the emulator's state rather than through API calls, so a test or a demo starts
 * from a known picture in one step. `mfa: true` gives the user an enabled virtual MFA device at path `/`
 * named after the user, as if the user had enrolled; `rootMfa` (default true) is the root user's MFA.
 * A seeded member account gets `OrganizationAccountAccessRole`, as accounts AWS Organizations creates do:
 * trusted by the management (default) account, with administrator permissions.
 */
import * as z from 'zod';
import { AccountId, UserName } from '../../core/model.ts';
import type { LocalCloudEnv } from '../cloud-types.ts';
import type { IamService } from './iam.ts';
import { iamErrors } from './iam-errors.ts';
import { assignDevice, createVirtualDevice } from './iam-mfa.ts';
import { createRole } from './iam-roles.ts';
import { userKey } from './iam-state.ts';
import { createAccessKey, createLoginProfile, createUser } from './iam-users.ts';

/**
 * One seeded user. Unknown members are ignored rather than rejected, so callers can pass richer records
 * (the demo's user stories) as they are.
 */
const SeedUser = z.object({
  userName: UserName,
  path: z
    .string()
    .regex(/^\/(?:[\u0021-\u007F]+\/)?$/, 'must be / or start and end with /')
    .optional(),
  consolePassword: z.boolean().default(false),
  mfa: z.boolean().default(false),
  accessKeys: z.number().int().min(0).max(2).default(0),
  tags: z.record(z.string(), z.string()).default({}),
});

export const SeedRequest = z.object({
  accountId: AccountId.optional(),
  accountName: z.string().min(1).max(50).optional(),
  rootMfa: z.boolean().default(true),
  users: z.array(SeedUser).default([]),
});
export type SeedRequest = z.input<typeof SeedRequest>;

export interface SeededUser {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
  readonly consolePassword: boolean;
  readonly accessKeyIds: string[];
  /** The enabled virtual device's serial number, for `mfa: true`. */
  readonly mfaSerialNumber?: string;
}

export interface SeedResult {
  readonly accountId: string;
  readonly accountName: string;
  readonly rootMfa: boolean;
  readonly users: SeededUser[];
}

/** The role AWS Organizations creates in the member accounts it creates. */
export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

/** Thrown for a seed body that fails validation (the admin API answers 400). */
export class SeedValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedValidationError';
  }
}

/**
 * Seeds an account. All users are checked before any is created: a duplicate (in the body or in the account)
 * is EntityAlreadyExists and nothing changes.
 */
export function seedAccount(env: LocalCloudEnv, iam: IamService, body: unknown): SeedResult {
  const parsed = SeedRequest.safeParse(body);
  if (!parsed.success) {
    throw new SeedValidationError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    );
  }
  const request = parsed.data;
  const accountId = request.accountId ?? env.defaultAccountId;
  const account = iam.account(accountId);
  const names = new Set<string>();
  for (const user of request.users) {
    const key = userKey(user.userName);
    if (names.has(key) || account.users.has(key)) {
      throw iamErrors.alreadyExists(`User with name ${user.userName} already exists.`);
    }
    names.add(key);
  }

  env.addAccount(accountId, request.accountName === undefined ? {} : { name: request.accountName });
  account.rootMfaEnabled = request.rootMfa;
  const now = new Date(env.now());
  if (accountId !== env.defaultAccountId && !account.roles.has(ORGANIZATION_ACCESS_ROLE.toLowerCase())) {
    const role = createRole(
      account,
      {
        roleName: ORGANIZATION_ACCESS_ROLE,
        trustDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${env.defaultAccountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      },
      now,
      iam.resolvePrincipal,
    );
    role.inlinePolicies.set('AdministratorAccess', {
      policyName: 'AdministratorAccess',
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    });
  }
  const users = request.users.map((input): SeededUser => {
    const tags = Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value }));
    const user = createUser(account, { userName: input.userName, path: input.path, tags }, now);
    if (input.consolePassword) createLoginProfile(user, false, now);
    const accessKeyIds = Array.from(
      { length: input.accessKeys },
      () => createAccessKey(user, now).accessKeyId,
    );
    let mfaSerialNumber: string | undefined;
    if (input.mfa) {
      const device = createVirtualDevice(account, { name: input.userName }, now);
      assignDevice(user, device, now);
      mfaSerialNumber = device.serialNumber;
    }
    return {
      userName: user.userName,
      userId: user.userId,
      arn: user.arn,
      consolePassword: input.consolePassword,
      accessKeyIds,
      ...(mfaSerialNumber === undefined ? {} : { mfaSerialNumber }),
    };
  });
  return {
    accountId,
    accountName: env.accountInfo(accountId)?.name ?? accountId,
    rootMfa: request.rootMfa,
    users,
  };
}
