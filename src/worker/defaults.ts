/** The poller's defaults, in a module of their own: the command line reads them at start-up, without the SDK. */

/**
 * Records the poller works on at once by default. Measured with `npm run bench` (docs/benchmarks.md): at
 * 20-50 ms per AWS call the throughput grows with the concurrency (8 → 32 is ×3.6-3.9), and at 0 ms one
 * process is CPU-bound from 8 on; 16 doubles the throughput of 8 at real latencies while keeping one
 * worker's IAM request rate at about what a Lambda deployment of the stack's defaults (5 invocations of 8)
 * makes. Raise it for a backlog, lower it when IAM throttles (the IamThrottles metric, the SDK's warnings).
 */
export const DEFAULT_CONCURRENCY = 16;
