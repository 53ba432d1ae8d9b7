/**
 * The Organizations adapter: {@link OrganizationPort} over `@aws-sdk/client-organizations`. ListAccounts
 * works only from the management account or a delegated administrator; it is a global service (the SDK
 * resolves its single endpoint whatever the region).
 */
import { type OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import type { OrganizationAccount, OrganizationPort } from '../core/ports.ts';
import { call } from './sdk-errors.ts';

export function createOrganizationsAdapter(client: OrganizationsClient): OrganizationPort {
  return {
    listActiveAccounts: () =>
      call('organizations', 'ListAccounts', async () => {
        const accounts: OrganizationAccount[] = [];
        for await (const page of paginateListAccounts({ client, pageSize: 20 }, {})) {
          for (const account of page.Accounts ?? []) {
            // `State` replaces the deprecated `Status` (retired September 2026); read whichever is present.
            const status = account.State ?? account.Status ?? 'UNKNOWN';
            if (!account.Id || status !== 'ACTIVE') continue;
            accounts.push({ id: account.Id, status, ...(account.Name ? { name: account.Name } : {}) });
          }
        }
        return accounts;
      }),
  };
}
