/**
 * Lambda entry point of the remediation worker: SQS event in, `{ batchItemFailures }` out
 * (`functionResponseType: ReportBatchItemFailures`). Configuration and clients are built once per container;
 * an invalid configuration fails the init with one line naming the variable.
 */
import { createRuntime, type InvocationContext, type SqsEvent } from '../src/runtime.ts';

// EMF metric lines go to stdout, where CloudWatch Logs extracts them (docs/reference.md: Metrics).
const runtime = createRuntime({ writeMetrics: (line) => process.stdout.write(`${line}\n`) });

export const handler = async (event: SqsEvent, context: InvocationContext) => {
  const { batchItemFailures } = await runtime.handleSqsEvent(event, context);
  return { batchItemFailures };
};
