/** Account-wide IAM information: GetAccountSummary's usage and quota counters. */
import type { IamHandler } from './iam-handler.ts';
import { xmlMap } from './query-protocol.ts';

export const accountHandlers: Record<string, IamHandler> = {
  GetAccountSummary: ({ account }) => {
    const users = [...account.users.values()];
    const devices = [...account.devices.values()];
    return {
      SummaryMap: xmlMap({
        AccountMFAEnabled: account.rootMfaEnabled ? 1 : 0,
        AccountAccessKeysPresent: 0,
        AccountSigningCertificatesPresent: 0,
        Users: users.length,
        UsersQuota: account.usersQuota,
        Groups: 0,
        GroupsQuota: 300,
        Roles: account.roles.size,
        RolesQuota: 1000,
        Policies: account.policies.size,
        PoliciesQuota: 1500,
        PolicySizeQuota: 6144,
        AttachedPoliciesPerUserQuota: 10,
        AccessKeysPerUserQuota: 2,
        MFADevices: devices.length,
        MFADevicesInUse: devices.filter((d) => d.assignment).length,
        ServerCertificates: 0,
        ServerCertificatesQuota: 20,
      }),
    };
  },
};
