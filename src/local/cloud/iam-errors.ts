/**
 * IAM's errors with the codes, statuses and (as close as documented) messages AWS returns. The codes are the
 * model's `awsQueryError` codes, which is what makes the SDK raise `NoSuchEntityException` and friends.
 */
import { AwsApiError } from '../cloud-types.ts';

export const iamErrors = {
  noSuchUser: (userName: string) =>
    new AwsApiError('NoSuchEntity', `The user with name ${userName} cannot be found.`, 404),
  noSuchEntity: (message: string) => new AwsApiError('NoSuchEntity', message, 404),
  alreadyExists: (message: string) => new AwsApiError('EntityAlreadyExists', message, 409),
  deleteConflict: (message: string) => new AwsApiError('DeleteConflict', message, 409),
  limitExceeded: (message: string) => new AwsApiError('LimitExceeded', message, 409),
  invalidInput: (message: string) => new AwsApiError('InvalidInput', message, 400),
  concurrentModification: (userName: string) =>
    new AwsApiError(
      'ConcurrentModification',
      `Cannot perform the operation on user ${userName} because another modification of it is in progress. Please try again.`,
      409,
    ),
  invalidAuthenticationCode: () =>
    new AwsApiError('InvalidAuthenticationCode', 'Authentication code for device is not valid.', 403),
  malformedPolicy: (message: string) => new AwsApiError('MalformedPolicyDocument', message, 400),
  passwordPolicy: (message: string) => new AwsApiError('PasswordPolicyViolation', message, 400),
  reportNotPresent: () =>
    new AwsApiError(
      'ReportNotPresent',
      'Credential report does not exist. Use GenerateCredentialReport to generate a report.',
      410,
    ),
  reportInProgress: () =>
    new AwsApiError('ReportInProgress', 'Credential report generation is in progress.', 404),
} as const;
