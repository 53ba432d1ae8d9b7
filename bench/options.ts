/**
 * The benchmark's command line: `npm run bench -- [--quick] [--output table|json] [--only LIST]
 * [--findings N] [--latency LIST] [--concurrency LIST]`. Parsing never exits the process: usage errors are thrown as
 * {@link UsageError}s with commander's message, so `run.ts` decides the exit status and tests can assert.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { integerFlag } from '../src/cli/args.ts';

export const SCENARIOS = ['worker', 'sweep', 'cold-start', 'report', 'cli-start'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Everything a benchmark run does; the profiles below, adjusted by flags. */
export interface BenchPlan {
  readonly quick: boolean;
  /** `full` or `quick` as profiled; `custom` once --only, --findings, --latency or --concurrency change it. */
  readonly profile: 'full' | 'quick' | 'custom';
  readonly output: 'table' | 'json';
  readonly scenarios: readonly Scenario[];
  /** Worker backlog: findings (even: half compliant, half to contain). */
  readonly findings: number;
  /** Latency of every AWS call, one worker run each per concurrency. */
  readonly latenciesMs: readonly number[];
  /** Latencies of the sweep and report runs (`--latency` sets these too). */
  readonly sweepLatenciesMs: readonly number[];
  /** Records the worker (and the baseline) process at once, one worker run each per latency. */
  readonly concurrencies: readonly number[];
  /** Worker/baseline pairs at 0 ms per concurrency; the overhead ratio is their median. */
  readonly pairs: number;
  /** Findings of the unmeasured warm-up passes. */
  readonly warmupFindings: number;
  /** Users in the swept account, one sweep each. */
  readonly sweepSizes: readonly number[];
  /** Fresh processes per import-time measurement. */
  readonly imports: number;
  /** Records of the SQS events handed to the bundled handler. */
  readonly batchSizes: readonly number[];
  /** Pairs of `node -e 0` / `mfa-remediation --version` processes. */
  readonly cliStarts: number;
}

type Profile = Omit<BenchPlan, 'quick' | 'profile' | 'output' | 'scenarios'>;

/** The full run (`npm run bench`): about ten minutes on two cores. */
export const FULL_PROFILE: Profile = {
  findings: 2_000,
  latenciesMs: [0, 20, 50],
  sweepLatenciesMs: [0, 20],
  concurrencies: [8, 32],
  pairs: 3,
  warmupFindings: 100,
  sweepSizes: [100, 1_000, 10_000],
  imports: 10,
  batchSizes: [10, 1_000],
  cliStarts: 20,
};

/** `--quick`: the same scenarios and dimensions at a tenth of the size, in about a minute. */
export const QUICK_PROFILE: Profile = {
  findings: 200,
  latenciesMs: [0, 20, 50],
  sweepLatenciesMs: [0, 20],
  concurrencies: [8, 32],
  pairs: 1,
  warmupFindings: 20,
  sweepSizes: [100, 1_000],
  imports: 3,
  batchSizes: [10, 100],
  cliStarts: 5,
};

/** A command-line mistake; the message is commander's (or ours), ready for stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses the arguments after `npm run bench --`; throws {@link UsageError}. `--help` text goes to `help`. */
export function parseBenchArgs(argv: readonly string[], help: (text: string) => void = () => {}): BenchPlan {
  let captured = '';
  const program = new Command('npm run bench --')
    .description('Benchmarks of the worker, the audit sweep and the Lambda cold start, on the local cloud.')
    .addOption(new Option('--quick', 'a smaller run of every scenario (about 30 s)'))
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addOption(
      new Option('--only <scenarios>', `comma-separated: ${SCENARIOS.join(', ')}`).argParser(scenarioList),
    )
    .addOption(
      new Option('--findings <n>', 'findings in the worker backlog (even)').argParser(evenFlag(2, 100_000)),
    )
    .addOption(
      new Option('--latency <ms>', 'comma-separated latencies of every AWS call, e.g. 0,20').argParser(
        latencyList,
      ),
    )
    .addOption(
      new Option(
        '--concurrency <list>',
        'comma-separated: records the worker and the baseline process at once, e.g. 8,32',
      ).argParser(concurrencyList),
    )
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => help(text),
      writeErr: (text) => {
        captured += text;
      },
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
        throw new HelpShown();
      }
      throw new UsageError((captured || error.message).trim());
    }
    throw error;
  }
  const flags = program.opts<{
    quick?: boolean;
    output: 'table' | 'json';
    only?: Scenario[];
    findings?: number;
    latency?: number[];
    concurrency?: number[];
  }>();
  const profile = flags.quick ? QUICK_PROFILE : FULL_PROFILE;
  const custom = [flags.only, flags.findings, flags.latency, flags.concurrency].some((f) => f !== undefined);
  return {
    ...profile,
    quick: flags.quick === true,
    profile: custom ? 'custom' : flags.quick ? 'quick' : 'full',
    output: flags.output,
    scenarios: flags.only ?? [...SCENARIOS],
    ...(flags.findings === undefined ? {} : { findings: flags.findings }),
    ...(flags.latency === undefined ? {} : { latenciesMs: flags.latency, sweepLatenciesMs: flags.latency }),
    ...(flags.concurrency === undefined ? {} : { concurrencies: flags.concurrency }),
  };
}

/** `--help` was asked for and printed: not an error, nothing to run. */
export class HelpShown extends Error {
  constructor() {
    super('help shown');
    this.name = 'HelpShown';
  }
}

function scenarioList(value: string): Scenario[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `must list scenarios among ${SCENARIOS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}.`,
    );
  }
  return [...new Set(names)] as Scenario[];
}

function evenFlag(min: number, max: number) {
  const integer = integerFlag(min, max);
  return (value: string): number => {
    const n = integer(value);
    if (n % 2 !== 0) throw new InvalidArgumentError('must be even (half compliant, half to contain).');
    return n;
  };
}

function concurrencyList(value: string): number[] {
  const parse = integerFlag(1, 100);
  return [...new Set(value.split(',').map((item) => parse(item.trim())))];
}

function latencyList(value: string): number[] {
  const parse = integerFlag(0, 5_000);
  const latencies = value.split(',').map((item) => parse(item.trim()));
  return [...new Set(latencies)];
}
