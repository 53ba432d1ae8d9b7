/**
 * AWS Organizations emulator for the local cloud (AWS JSON 1.1, `X-Amz-Target:
 * AWSOrganizationsV20161128.<Operation>`). The organisation is the local cloud's accounts: the default
 * account is its management account, every seeded account a member.
 */
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalRequest,
  type LocalResponse,
} from '../cloud-types.ts';
import { jsonResponse, parseJsonObject, targetOperation } from './json-protocol.ts';
import { paginateByOffset } from './pagination.ts';

/** The organisation's id, in AWS's pattern `^o-[a-z0-9]{10,32}$`, and saying where it comes from. */
export const LOCAL_ORGANIZATION_ID = 'o-localcloud';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
/** ListAccounts returns at most 20 accounts per page, whatever MaxResults asks for above that. */
const MAX_PAGE = 20;

/** Creates the Organizations emulator. */
export function createOrganizationsService(env: LocalCloudEnv): EmulatedService {
  // When each account was first seen, standing in for the time it joined the organisation.
  const joinedAt = new Map<string, number>();
  const management = () => env.defaultAccountId;
  const accountArn = (id: string) =>
    `arn:aws:organizations::${management()}:account/${LOCAL_ORGANIZATION_ID}/${id}`;

  function assertMember(accountId: string): void {
    if (!env.knownAccounts().includes(accountId)) {
      throw new AwsApiError(
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization.',
        404,
      );
    }
  }

  /** ListAccounts and DescribeAccount are for the management account (or a delegated administrator). */
  function assertManagement(accountId: string): void {
    assertMember(accountId);
    if (accountId !== management()) {
      throw new AwsApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource.",
        403,
      );
    }
  }

  function account(id: string) {
    const info = env.accountInfo(id);
    if (!info)
      throw new AwsApiError('AccountNotFoundException', "You specified an account that doesn't exist.", 404);
    if (!joinedAt.has(id)) joinedAt.set(id, env.now());
    return {
      Id: info.id,
      Arn: accountArn(info.id),
      Email: `aws+${info.id}@${slug(info.name)}.example.com`,
      Name: info.name,
      Status: info.status,
      State: info.status,
      JoinedMethod: info.id === management() ? 'INVITED' : 'CREATED',
      // JSON 1.1 timestamps are epoch seconds.
      JoinedTimestamp: (joinedAt.get(id) ?? env.now()) / 1000,
    };
  }

  function listAccounts(input: Record<string, unknown>, req: LocalRequest) {
    assertManagement(req.accountId);
    const maxResults = input.MaxResults;
    if (maxResults !== undefined && (!Number.isInteger(maxResults) || (maxResults as number) < 1)) {
      throw invalidInput('MaxResults must be a positive integer.', 'INVALID_INPUT');
    }
    const pageSize = Math.min((maxResults as number | undefined) ?? MAX_PAGE, MAX_PAGE);
    const ids = [...env.knownAccounts()].sort();
    const page = paginateByOffset(ids, input.NextToken, pageSize, () =>
      invalidInput('The NextToken is not valid.', 'INVALID_PAGINATION_TOKEN'),
    );
    return {
      Accounts: page.items.map(account),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  function describeAccount(input: Record<string, unknown>, req: LocalRequest) {
    assertManagement(req.accountId);
    const id = input.AccountId;
    if (typeof id !== 'string' || !/^\d{12}$/.test(id))
      throw invalidInput('AccountId is not valid.', 'INVALID_ENUM');
    if (!env.knownAccounts().includes(id)) {
      throw new AwsApiError('AccountNotFoundException', "You specified an account that doesn't exist.", 404);
    }
    return { Account: account(id) };
  }

  function describeOrganization(_input: Record<string, unknown>, req: LocalRequest) {
    assertMember(req.accountId);
    const root = management();
    return {
      Organization: {
        Id: LOCAL_ORGANIZATION_ID,
        Arn: `arn:aws:organizations::${root}:organization/${LOCAL_ORGANIZATION_ID}`,
        FeatureSet: 'ALL',
        MasterAccountArn: accountArn(root),
        MasterAccountId: root,
        MasterAccountEmail: account(root).Email,
        AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
      },
    };
  }

  const operations: Readonly<
    Record<string, (input: Record<string, unknown>, req: LocalRequest) => Record<string, unknown>>
  > = {
    ListAccounts: listAccounts,
    DescribeAccount: describeAccount,
    DescribeOrganization: describeOrganization,
  };

  return {
    name: 'organizations',
    protocol: 'json-1.1',
    operationOf: (req) => targetOperation(req, TARGET_PREFIX),
    isWrite: () => false,
    handle(req, operation): LocalResponse {
      const run = operations[operation];
      if (!run) {
        throw new AwsApiError(
          'UnknownOperationException',
          `The local cloud does not emulate ${operation}.`,
          400,
        );
      }
      return jsonResponse('json-1.1', run(parseJsonObject(req.body), req));
    },
    reset() {
      joinedAt.clear();
    },
  };
}

/** Organizations' InvalidInputException carries a machine-readable `Reason`; the message says it. */
function invalidInput(message: string, reason: string): AwsApiError {
  return new AwsApiError('InvalidInputException', `${message} (${reason})`, 400);
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'account'
  );
}
