/**
 * Lambda entry point of the remediation worker: SQS event in, `{ batchItemFailures }` out
 * (`functionResponseType: ReportBatchItemFailures`). Configuration and clients are built once per container;
 * an invalid configuration fails the init with one line naming the variable.
 */
import { createRuntime, type InvocationContext, type SqsEvent } from '../src/runtime.ts';

const runtime = createRuntime();

export const handler = async (event: SqsEvent, context: InvocationContext) => {
  const { batchItemFailures } = await runtime.handleSqsEvent(event, context);
  return { batchItemFailures };
};
