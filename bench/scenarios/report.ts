/**
 * Scenario 5: `mfa-remediation report` over growing populations in one account, wired as the command wires it
 * (the credential-report and IAM adapters on the account's IAM client). The point is the cost its help states:
 * report generation and download and one ListEntitiesForPolicy page, whatever the size, plus one ListUserTags
 * per user that lacks MFA in scope or is contained — users with MFA cost nothing. A tenth of the users are
 * contained beforehand (guard attached, tags as the worker writes them), outside the measured span.
 */
import { AttachUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { createCredentialReportAdapter } from '../../src/aws/credential-report.ts';
import { createIamAdapter } from '../../src/aws/iam.ts';
import { guardPolicyArn, TAGS } from '../../src/core/model.ts';
import { buildReport } from '../../src/core/report/collect.ts';
import type { BenchCloud, SeedUser } from '../lib/cloud.ts';
import { sinkLogger } from '../lib/measure.ts';
import { BENCH_ACCOUNT } from '../lib/population.ts';
import { measureSpan } from '../lib/span.ts';
import { type CallCounts, ofService, round } from '../lib/stats.ts';

export interface ReportScenarioOptions {
  readonly sizes: readonly number[];
  readonly latenciesMs: readonly number[];
  readonly progress?: (message: string) => void;
}

export interface ReportRun {
  readonly users: number;
  readonly latencyMs: number;
  /** Users in the default console-users scope. */
  readonly inScope: number;
  /** Users the report had to read tags of: without MFA in scope, or contained. */
  readonly needTags: number;
  readonly contained: number;
  readonly wallMs: number;
  /** IAM calls of the report, by operation. */
  readonly iamCalls: CallCounts;
  /** Whether the IAM calls are exactly the stated cost: 2 + 1 + 1 + needTags (the report is ready at the first poll here). */
  readonly asStated: boolean;
}

export interface ReportScenarioResult {
  readonly runs: ReportRun[];
}

/** Half the users have a password, a quarter MFA; every tenth lacks MFA with a password and is contained. */
export function reportPopulation(n: number): (SeedUser & { contained: boolean })[] {
  const deadline = new Date(Date.now() + 48 * 3_600_000).toISOString();
  return Array.from({ length: n }, (_, i) => {
    const contained = i % 10 === 2;
    const tags: Record<string, string> = contained
      ? { [TAGS.state]: 'enrollment-required', [TAGS.deadline]: deadline }
      : {};
    return {
      userName: `report-user-${String(i).padStart(5, '0')}`,
      consolePassword: i % 2 === 0,
      mfa: i % 4 === 0,
      accessKeys: 0,
      tags,
      contained,
    };
  });
}

export async function runReportScenario(
  cloud: BenchCloud,
  options: ReportScenarioOptions,
): Promise<ReportScenarioResult> {
  const runs: ReportRun[] = [];
  for (const latencyMs of options.latenciesMs) {
    for (const users of options.sizes) {
      options.progress?.(`report: ${users} users at ${latencyMs} ms`);
      runs.push(await reportOnce(cloud, users, latencyMs));
    }
  }
  return { runs };
}

async function reportOnce(cloud: BenchCloud, users: number, latencyMs: number): Promise<ReportRun> {
  await cloud.reset();
  const population = reportPopulation(users);
  await cloud.seed({ accountId: BENCH_ACCOUNT, users: population.map(({ contained: _c, ...user }) => user) });
  const client = new IAMClient(cloud.clientOptions);
  try {
    for (const user of population.filter((u) => u.contained)) {
      await client.send(
        new AttachUserPolicyCommand({ UserName: user.userName, PolicyArn: guardPolicyArn(BENCH_ACCOUNT) }),
      );
    }
    const ports = {
      accountId: BENCH_ACCOUNT,
      iam: createIamAdapter(client),
      reports: createCredentialReportAdapter(client),
    };
    const span = await measureSpan(cloud, latencyMs, () =>
      buildReport([BENCH_ACCOUNT], [], {
        accounts: { selfAccountId: async () => BENCH_ACCOUNT, forAccount: async () => ports },
        now: () => new Date(),
        log: sinkLogger(),
        config: { scope: 'console-users', exemptUsers: [] },
        polling: { initialDelayMs: 10 },
      }),
    );
    const inScope = population.filter((u) => u.consolePassword || u.contained).length;
    const needTags = population.filter((u) => (u.consolePassword && !u.mfa) || u.contained).length;
    const account = span.result.accounts[0];
    if (account?.status !== 'ok' || account.counts.inScope !== inScope) {
      throw new Error(
        `report of ${users} users: ${JSON.stringify(account?.status === 'ok' ? account.counts : account)}`,
      );
    }
    const iamCalls = ofService(span.calls, 'iam');
    // GenerateCredentialReport: the call that starts the report and the poll that finds it COMPLETE.
    const asStated =
      iamCalls['iam:GenerateCredentialReport'] === 2 &&
      iamCalls['iam:GetCredentialReport'] === 1 &&
      iamCalls['iam:ListEntitiesForPolicy'] === 1 &&
      iamCalls['iam:ListUserTags'] === needTags &&
      Object.keys(iamCalls).length === 4;
    return {
      users,
      latencyMs,
      inScope,
      needTags,
      contained: population.filter((u) => u.contained).length,
      wallMs: round(span.wallMs, 1),
      iamCalls,
      asStated,
    };
  } finally {
    client.destroy();
  }
}
