/**
 * `npm run bench`: the benchmarks of docs/benchmarks.md. A readable report on stdout (or one JSON document
 * with `--output json`), progress on stderr. Exit status: 0 all invariants held, 1 an invariant failed or a
 * scenario crashed, 2 usage error.
 */
import { pathToFileURL } from 'node:url';
import { runBenchmarks } from './benchmark.ts';
import { HelpShown, parseBenchArgs, UsageError } from './options.ts';
import { renderReport } from './report.ts';

export async function main(argv: readonly string[]): Promise<number> {
  let plan: ReturnType<typeof parseBenchArgs>;
  try {
    plan = parseBenchArgs(argv, (text) => process.stdout.write(text));
  } catch (error) {
    if (error instanceof HelpShown) return 0;
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n(see npm run bench -- --help)\n`);
      return 2;
    }
    throw error;
  }
  // The SDK warns on every client about Node 20's end of support; Lambda runs Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    const report = await runBenchmarks(plan, (message) => process.stderr.write(`bench: ${message}\n`));
    process.stdout.write(
      plan.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report),
    );
    return report.checks.every((check) => check.ok) ? 0 : 1;
  } catch (error) {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
