/**
 * SQS's wire format: AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Operation>`) in "query-compatible" mode. SQS
 * moved from the query protocol to JSON in 2023 and keeps the old error codes alive in a header,
 * `x-amzn-query-error: <code>;<Sender|Receiver>`, which the SDKs prefer over `__type` to pick the exception
 * class (e.g. `AWS.SimpleQueueService.NonExistentQueue` → `QueueDoesNotExist`). The generic JSON error
 * renderer cannot know these codes, so SQS renders its own errors (the service's `renderError` hook).
 */
import { AwsApiError, type LocalResponse } from '../cloud-types.ts';
import { JSON_CONTENT_TYPES } from './json-protocol.ts';

/** The `X-Amz-Target` prefix of SQS operations (`AmazonSQS.SendMessage`). */
export const SQS_TARGET_PREFIX = 'AmazonSQS.';

/**
 * Errors of the SQS model that carry a legacy query error code and HTTP status (the `awsQueryError` trait);
 * every other code (InvalidParameterValue, MissingParameter, …) is its own query code, with status 400.
 */
const QUERY_ERRORS: Readonly<Record<string, readonly [queryCode: string, status: number]>> = {
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidAddress: ['InvalidAddress', 404],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  InvalidSecurity: ['InvalidSecurity', 403],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  OverLimit: ['OverLimit', 403],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  QueueDeletedRecently: ['AWS.SimpleQueueService.QueueDeletedRecently', 400],
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  RequestThrottled: ['RequestThrottled', 403],
  ResourceNotFoundException: ['ResourceNotFoundException', 404],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
};

/** An SQS error by its model shape name (e.g. `QueueDoesNotExist`), with the status SQS returns for it. */
export function sqsError(code: string, message: string): AwsApiError {
  return new AwsApiError(code, message, QUERY_ERRORS[code]?.[1] ?? 400);
}

/** The legacy query error code for a shape name: what `x-amzn-query-error` and per-entry batch errors carry. */
export function queryErrorCode(code: string): string {
  return QUERY_ERRORS[code]?.[0] ?? code;
}

/** The status SQS answers an error with: its model's for SQS's own errors, else the error's (injected faults). */
export function sqsStatus(err: AwsApiError): number {
  return QUERY_ERRORS[err.code]?.[1] ?? err.status;
}

/** An {@link AwsApiError} as SQS sends it: `__type` in the body plus the query-compatible error header. */
export function renderSqsError(err: AwsApiError, requestId?: string): LocalResponse {
  return {
    status: sqsStatus(err),
    headers: {
      'content-type': JSON_CONTENT_TYPES['json-1.0'],
      'x-amzn-query-error': `${queryErrorCode(err.code)};${err.fault}`,
      ...(requestId ? { 'x-amzn-requestid': requestId } : {}),
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${err.code}`, message: err.message }),
  };
}
