import { describe, expect, it } from 'vitest';
import { createOrganizationsService } from '../../src/local/cloud/organizations.ts';
import type { LocalRequest } from '../../src/local/cloud-types.ts';
import { ACCOUNT, type FakeEnv, fakeEnv, localRequest } from './local-cloud-support.ts';

const MANAGEMENT = ACCOUNT;

/** The organisation: the management account and `members`, of which those ending in 9 are suspended. */
function organisationEnv(members: string[]): FakeEnv {
  const accounts = [MANAGEMENT, ...members];
  return fakeEnv({
    accounts,
    accountInfo: (id) =>
      accounts.includes(id)
        ? {
            id,
            name: id === MANAGEMENT ? 'Management' : `Member ${id}`,
            status: id.endsWith('9') ? 'SUSPENDED' : 'ACTIVE',
          }
        : undefined,
  });
}

function request(operation: string, input: unknown, accountId = MANAGEMENT): LocalRequest {
  return localRequest('organizations', {
    accountId,
    headers: { 'x-amz-target': `AWSOrganizationsV20161128.${operation}` },
    body: JSON.stringify(input),
  });
}

describe('Organizations emulator (unit)', () => {
  const members = Array.from({ length: 24 }, (_, i) => String(200000000000 + i));
  const orgs = createOrganizationsService(organisationEnv(members));
  const call = async (operation: string, input: unknown, accountId?: string) => {
    const req = request(operation, input, accountId);
    return JSON.parse(String((await orgs.handle(req, orgs.operationOf(req))).body));
  };

  it('lists every account in pages of at most 20', async () => {
    // Act
    const first = await call('ListAccounts', { MaxResults: 50 });
    const second = await call('ListAccounts', { NextToken: first.NextToken });
    // Assess
    expect(first.Accounts).toHaveLength(20);
    expect(second.Accounts).toHaveLength(5);
    expect(second.NextToken).toBeUndefined();
    const all = [...first.Accounts, ...second.Accounts];
    expect(new Set(all.map((a) => a.Id)).size).toBe(25);
    expect(first.Accounts[0]).toEqual({
      Id: MANAGEMENT,
      Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-localcloud/${MANAGEMENT}`,
      Email: `aws+${MANAGEMENT}@management.example.com`,
      Name: 'Management',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: 'INVITED',
      JoinedTimestamp: Date.parse('2026-11-23T10:00:00.000Z') / 1000,
    });
    expect(all.find((a) => a.Id === '200000000009')).toMatchObject({
      Status: 'SUSPENDED',
      JoinedMethod: 'CREATED',
    });
  });

  it('describes the organisation to members but lists accounts only for the management account', async () => {
    const described = await call('DescribeOrganization', {}, members[0]);
    expect(described.Organization).toMatchObject({
      Id: 'o-localcloud',
      MasterAccountId: MANAGEMENT,
      FeatureSet: 'ALL',
    });
    await expect(call('ListAccounts', {}, members[0])).rejects.toMatchObject({
      code: 'AccessDeniedException',
    });
    await expect(call('DescribeOrganization', {}, '999999999999')).rejects.toMatchObject({
      code: 'AWSOrganizationsNotInUseException',
    });
  });

  it('rejects bad pagination input', async () => {
    await expect(call('ListAccounts', { MaxResults: 0 })).rejects.toMatchObject({
      code: 'InvalidInputException',
    });
    await expect(call('ListAccounts', { NextToken: 'bad' })).rejects.toMatchObject({
      code: 'InvalidInputException',
    });
  });
});
