/**
 * The AWS reads that check a batch's claims, made once for the whole batch rather than once per item: one bulk
 * `describe` of every finding the batch's records name (so a Security Hub event of 100 findings costs five
 * GetFindings, not a hundred), and at most one user listing per account for the Config user ids that the
 * cache cannot vouch for (IAM has no lookup by id: 21 events in a 4,000-user account would otherwise list
 * the account 21 times).
 *
 * A batch builds one instance, {@link ClaimLookups.prefetch}es every record's items before running any, and
 * hands it to each item; an item run on its own (the `enroll` command, tests) gets a fresh instance that
 * fetches on first use. Answers are never kept beyond the instance: a finding's workflow status and a user's
 * id change, and the next batch must see the change.
 */
import { errorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { FindingRef, IntakeItem } from '../model.ts';
import type { AccountAccess, FindingFacts, FindingsPort, IamUserIdentity } from '../ports.ts';
import { findingKey } from '../ports.ts';

/** What Security Hub said about one finding: its facts (undefined when it has none), or why it could not say. */
export type FindingFactsAnswer =
  | { readonly facts: FindingFacts | undefined }
  | { readonly unavailable: string };

export interface ClaimLookups {
  /** Fetches, in bulk, what the items' claims need: finding facts and unknown user ids. Never throws. */
  prefetch(items: readonly IntakeItem[]): Promise<void>;
  /** What Security Hub says about the finding (fetched now if the batch did not prefetch it). */
  findingFacts(ref: FindingRef): Promise<FindingFactsAnswer>;
  /**
   * The user that has this IAM user id now, or undefined when none has. A cached answer is checked with
   * GetUser first: a user deleted and re-created under the same name has a new id, and must not inherit the
   * old one's findings.
   */
  resolveUserId(accountId: string, userId: string): Promise<IamUserIdentity | undefined>;
}

export interface ClaimLookupDeps {
  readonly findings: FindingsPort;
  readonly accounts: AccountAccess;
  /** Long-lived `account/userId` → user answers; checked on every use. */
  readonly userIdCache?: Map<string, IamUserIdentity>;
  /** Finding facts are only needed to update findings: not fetched when updates are off or in a dry run. */
  readonly config: { readonly securityHubUpdates: boolean; readonly dryRun: boolean };
  readonly log: Logger;
}

interface AccountUsers {
  readonly resolved: Map<string, IamUserIdentity | null>;
  /** The one listing this instance may make for the account. */
  listing?: Promise<Map<string, IamUserIdentity>>;
}

/** Creates the lookups of one batch. */
export function createClaimLookups(deps: ClaimLookupDeps): ClaimLookups {
  const facts = new Map<string, FindingFacts | null>();
  const unavailable = new Map<string, string>();
  const users = new Map<string, AccountUsers>();
  const wantFacts = deps.config.securityHubUpdates && !deps.config.dryRun;

  async function fetchFacts(refs: readonly FindingRef[]): Promise<void> {
    const missing = uniqueRefs(refs).filter((ref) => {
      const key = findingKey(ref);
      return !facts.has(key) && !unavailable.has(key);
    });
    if (missing.length === 0) return;
    try {
      const found = await deps.findings.describe(missing);
      for (const ref of missing) facts.set(findingKey(ref), found.get(findingKey(ref)) ?? null);
    } catch (error) {
      deps.log.warn({ findings: missing.length, code: errorCode(error) }, 'finding_lookup_failed');
      for (const ref of missing) unavailable.set(findingKey(ref), errorCode(error));
    }
  }

  function accountUsers(accountId: string): AccountUsers {
    let entry = users.get(accountId);
    if (!entry) {
      entry = { resolved: new Map() };
      users.set(accountId, entry);
    }
    return entry;
  }

  async function resolveIds(accountId: string, userIds: readonly string[]): Promise<void> {
    const entry = accountUsers(accountId);
    const pending = [...new Set(userIds)].filter((id) => !entry.resolved.has(id));
    if (pending.length === 0) return;
    const { iam } = await deps.accounts.forAccount(accountId);
    const unknown: string[] = [];
    for (const userId of pending) {
      const cacheKey = `${accountId}/${userId}`;
      const cached = deps.userIdCache?.get(cacheKey);
      if (cached) {
        const current = await iam.getUser(cached.userName);
        if (current?.userId === userId) {
          entry.resolved.set(userId, current);
          continue;
        }
        deps.userIdCache?.delete(cacheKey);
      }
      unknown.push(userId);
    }
    if (unknown.length === 0) return;
    entry.listing ??= iam
      .listUsers()
      .then((listed) => new Map(listed.map((user) => [user.userId, user] as const)));
    const byId = await entry.listing;
    for (const userId of unknown) {
      const user = byId.get(userId);
      entry.resolved.set(userId, user ?? null);
      if (user) deps.userIdCache?.set(`${accountId}/${userId}`, user);
    }
  }

  return {
    async prefetch(items) {
      const work = items.flatMap((item) => (item.kind === 'work' ? [item.work] : []));
      const refs = wantFacts ? work.flatMap((w) => (w.finding ? [w.finding] : [])) : [];
      const idsByAccount = new Map<string, string[]>();
      for (const w of work) {
        if (w.userId === undefined || w.userName !== undefined) continue;
        idsByAccount.set(w.accountId, [...(idsByAccount.get(w.accountId) ?? []), w.userId]);
      }
      await Promise.all([
        refs.length > 0 ? fetchFacts(refs) : undefined,
        ...[...idsByAccount].map(([accountId, ids]) =>
          resolveIds(accountId, ids).catch((error) => {
            // The items resolve again and meet the same error, which then decides their retry.
            deps.log.warn({ accountId, code: errorCode(error) }, 'user_id_lookup_failed');
          }),
        ),
      ]);
    },

    async findingFacts(ref) {
      const key = findingKey(ref);
      if (!facts.has(key) && !unavailable.has(key)) await fetchFacts([ref]);
      const failure = unavailable.get(key);
      if (failure !== undefined) return { unavailable: failure };
      return { facts: facts.get(key) ?? undefined };
    },

    async resolveUserId(accountId, userId) {
      await resolveIds(accountId, [userId]);
      return accountUsers(accountId).resolved.get(userId) ?? undefined;
    },
  };
}

function uniqueRefs(refs: readonly FindingRef[]): FindingRef[] {
  return [...new Map(refs.map((ref) => [findingKey(ref), ref] as const)).values()];
}
