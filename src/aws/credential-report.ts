/**
 * The credential-report adapter: {@link CredentialReportPort} over `@aws-sdk/client-iam`
 * (GenerateCredentialReport, GetCredentialReport, ListEntitiesForPolicy).
 *
 * IAM's error codes for the report are `ReportNotPresent`, `ReportExpired` and `ReportInProgress` on the wire;
 * the SDK names its classes `CredentialReportNotPresentException` etc. Both spellings map to the wire codes,
 * which the sweep's polling understands. ReportInProgress is retryable: generation finishes by itself.
 */
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
  paginateListEntitiesForPolicy,
} from '@aws-sdk/client-iam';
import type { CredentialReportPort, CredentialReportState } from '../core/ports.ts';
import { DependencyError, errorCode } from '../errors.ts';
import { call } from './sdk-errors.ts';

const REPORT_CODES: Readonly<Record<string, string>> = {
  CredentialReportNotPresent: 'ReportNotPresent',
  CredentialReportExpired: 'ReportExpired',
  CredentialReportNotReady: 'ReportInProgress',
  ReportNotPresent: 'ReportNotPresent',
  ReportExpired: 'ReportExpired',
  ReportInProgress: 'ReportInProgress',
};

/** ListEntitiesForPolicy's largest page: fewer calls for accounts with many contained users. */
const PAGE_SIZE = 1000;

function reportError(error: unknown): unknown {
  const code = REPORT_CODES[errorCode(error)];
  if (!code || !(error instanceof DependencyError)) return error;
  return new DependencyError(error.message, {
    service: error.service,
    operation: error.operation,
    code,
    retryable: code === 'ReportInProgress',
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    cause: error.cause,
  });
}

function decode(content: Uint8Array | string | undefined): string {
  if (content === undefined) return '';
  return typeof content === 'string' ? content : new TextDecoder('utf-8').decode(content);
}

/** Creates the credential-report adapter for one account's IAM client. */
export function createCredentialReportAdapter(client: IAMClient): CredentialReportPort {
  return {
    async generate() {
      const response = await call('iam', 'GenerateCredentialReport', () =>
        client.send(new GenerateCredentialReportCommand({})),
      ).catch((error: unknown) => {
        throw reportError(error);
      });
      const state = response.State ?? 'STARTED';
      return (
        ['STARTED', 'INPROGRESS', 'COMPLETE'].includes(state) ? state : 'INPROGRESS'
      ) as CredentialReportState;
    },

    async get() {
      const response = await call('iam', 'GetCredentialReport', () =>
        client.send(new GetCredentialReportCommand({})),
      ).catch((error: unknown) => {
        throw reportError(error);
      });
      return {
        content: decode(response.Content as Uint8Array | string | undefined),
        generatedAt: response.GeneratedTime ?? new Date(),
      };
    },

    async listGuardedUsers(policyArn) {
      try {
        const names: string[] = [];
        await call('iam', 'ListEntitiesForPolicy', async () => {
          const pages = paginateListEntitiesForPolicy(
            { client, pageSize: PAGE_SIZE },
            { PolicyArn: policyArn, EntityFilter: 'User' },
          );
          for await (const page of pages) {
            for (const user of page.PolicyUsers ?? []) if (user.UserName) names.push(user.UserName);
          }
        });
        return names;
      } catch (error) {
        // The guard is not deployed in this account: nobody can be contained by it.
        if (errorCode(error) === 'NoSuchEntity') return [];
        throw error;
      }
    },
  };
}
