/**
 * Scenario 4: what a Lambda cold start of the remediation worker costs. The handler is bundled exactly as
 * `npm run package` bundles it — the `custom.esbuild` options of serverless.yml, read from the file so the
 * two cannot drift — into a temporary directory, then:
 *
 * - bundle size: the `.mjs` Lambda loads, its deflated size (what the zip holds) and the source map beside it;
 * - import time: `import()` of the bundle (module evaluation builds the runtime: configuration, logger, SDK
 *   clients) timed inside fresh `node` processes, with and without `--enable-source-maps`, which
 *   serverless.yml sets in NODE_OPTIONS and which makes Node read the source map at load;
 * - peak memory: `process.resourceUsage().maxRSS` of a fresh process that imports the bundle and hands one
 *   SQS event of N records to the handler, against the local cloud (AWS_ENDPOINT_URL), as Lambda would.
 *
 * The child processes run plain `node` on the bundle with a minimal environment — no tsx, no test runner —
 * so their memory and timings are the bundle's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { drainOutcomes } from '../../src/local/pipeline.ts';
import { type BenchCloud, ROOT } from '../lib/cloud.ts';
import { median, timed } from '../lib/measure.ts';
import { BENCH_ACCOUNT, benchUsers, messageBody, prepareCloud } from '../lib/population.ts';
import { measureSpan } from '../lib/span.ts';
import { byService, round } from '../lib/stats.ts';

export interface ColdStartOptions {
  /** Fresh processes per import-time measurement. */
  readonly imports: number;
  /** Records of the SQS event handed to the handler, one fresh process each. */
  readonly batchSizes: readonly number[];
  readonly progress?: (message: string) => void;
}

/**
 * The deflate level of the function's zip as `npm run package` writes it: serverless-esbuild zips with
 * archiver, whose compress-commons defaults to zlib's BEST_SPEED (1) — about 20 % larger than level 9 here.
 */
const PACKAGE_DEFLATE_LEVEL = 1;

export interface ColdStartResult {
  readonly bundle: {
    readonly bytes: number;
    readonly deflatedBytes: number;
    readonly sourceMapBytes: number;
    readonly sourceMapDeflatedBytes: number;
    /** What the function's zip holds: the bundle and its source map, deflated (zip headers aside). */
    readonly zipBytes: number;
    /** Whether the source map carries a copy of the sources (`sourcesContent`). */
    readonly sourcesInMap: boolean;
    readonly buildMs: number;
    /** The esbuild options used (from serverless.yml's `custom.esbuild`). */
    readonly options: Record<string, unknown>;
  };
  readonly import: {
    readonly processes: number;
    /** `import()` of the bundle in a fresh process, without source-map support. */
    readonly medianMs: number;
    readonly minMs: number;
    readonly maxMs: number;
    /** The same with `--enable-source-maps`, as deployed (serverless.yml's NODE_OPTIONS). */
    readonly withSourceMapsMedianMs: number;
    /** Whole process, spawn to exit (Node start-up + import), with source maps. */
    readonly processMedianMs: number;
    /** Peak RSS of a process that only imported the bundle (with source maps), MB. */
    readonly maxRssMb: number;
  };
  readonly batches: BatchRun[];
  /** The function's memory size in serverless.yml, MB. */
  readonly lambdaMemoryMb: number;
}

export interface BatchRun {
  readonly records: number;
  /** Peak RSS of the fresh process after the handler returned, MB. */
  readonly maxRssMb: number;
  /** Handler time (records processed at the handler's default concurrency, 0 ms latency). */
  readonly handlerMs: number;
  readonly batchItemFailures: number;
  /** Outcomes published to the topic: one per record. */
  readonly outcomes: number;
  /** Calls the handler made to the local cloud, by service: proof it worked against it. */
  readonly callsByService: Record<string, number>;
}

interface Serverless {
  provider: { memorySize?: number; environment?: Record<string, unknown> };
  custom: { esbuild: Record<string, unknown> };
  functions: { remediate: { handler: string; timeout?: number } };
}

/** serverless-esbuild's own settings: they configure the plugin, not esbuild. */
const PLUGIN_ONLY = new Set([
  'exclude',
  'outputFileExtension',
  'packager',
  'packagerOptions',
  'nodeExternals',
  'installExtraArgs',
  'keepOutputDirectory',
  'watch',
  'concurrency',
  'zipConcurrency',
  'nativeZip',
  'disableIncremental',
  'skipRebuild',
  'outputWorkFolder',
  'outputBuildFolder',
]);

/** Measures the import of the bundle named by argv[1]; prints one `BENCH {json}` line. */
const IMPORT_PROGRAM = `
const start = performance.now();
await import(process.argv[1]);
const importMs = performance.now() - start;
process.stdout.write('\\nBENCH ' + JSON.stringify({ importMs, maxRssKb: process.resourceUsage().maxRSS }) + '\\n');
process.exit(0);
`;

/** Imports the bundle (argv[1]) and hands it the SQS event in the file argv[2], as Lambda would. */
const BATCH_PROGRAM = `
import { readFileSync } from 'node:fs';
const [bundle, eventFile, timeoutMs] = process.argv.slice(1);
const { handler } = await import(bundle);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const start = performance.now();
const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => Number(timeoutMs) - (performance.now() - start) };
const result = await handler(event, context);
const handlerMs = performance.now() - start;
process.stdout.write('\\nBENCH ' + JSON.stringify({ handlerMs, batchItemFailures: result.batchItemFailures.length, maxRssKb: process.resourceUsage().maxRSS }) + '\\n');
process.exit(0);
`;

export async function runColdStartScenario(
  cloud: BenchCloud,
  options: ColdStartOptions,
): Promise<ColdStartResult> {
  const progress = options.progress ?? (() => {});
  const serverless = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), {
    logLevel: 'error',
  }) as Serverless;
  const dir = mkdtempSync(join(tmpdir(), 'mfa-remediation-bench-'));
  try {
    progress('cold start: bundling handlers/remediate.ts');
    const bundle = await bundleHandler(serverless, dir);

    const env = {
      ...baseEnv(),
      OUTCOME_TOPIC_ARN: `arn:aws:sns:us-east-1:${BENCH_ACCOUNT}:mfa-remediation-outcomes`,
    };
    const plain: number[] = [];
    const mapped: number[] = [];
    const processMs: number[] = [];
    const rss: number[] = [];
    progress(`cold start: import() in ${options.imports} × 2 fresh processes`);
    for (let i = 0; i < options.imports; i++) {
      plain.push((await runChild(IMPORT_PROGRAM, [bundle.url], env)).output.importMs);
      const run = await runChild(IMPORT_PROGRAM, [bundle.url], {
        ...env,
        NODE_OPTIONS: '--enable-source-maps',
      });
      mapped.push(run.output.importMs);
      processMs.push(run.wallMs);
      rss.push(run.output.maxRssKb);
    }

    const batches: BatchRun[] = [];
    for (const records of options.batchSizes) {
      progress(`cold start: a ${records}-record batch in a fresh process`);
      batches.push(await runBatch(cloud, bundle.url, dir, records, serverless));
    }
    return {
      bundle: {
        bytes: bundle.bytes,
        deflatedBytes: bundle.deflatedBytes,
        sourceMapBytes: bundle.sourceMapBytes,
        sourceMapDeflatedBytes: bundle.sourceMapDeflatedBytes,
        zipBytes: bundle.deflatedBytes + bundle.sourceMapDeflatedBytes,
        sourcesInMap: bundle.sourcesInMap,
        buildMs: bundle.buildMs,
        options: bundle.options,
      },
      import: {
        processes: options.imports,
        medianMs: round(median(plain), 1),
        minMs: round(Math.min(...plain), 1),
        maxMs: round(Math.max(...plain), 1),
        withSourceMapsMedianMs: round(median(mapped), 1),
        processMedianMs: round(median(processMs), 1),
        maxRssMb: megabytes(median(rss)),
      },
      batches,
      lambdaMemoryMb: serverless.provider.memorySize ?? 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** esbuild with serverless.yml's options; the output file as the Lambda package holds it. */
async function bundleHandler(serverless: Serverless, dir: string) {
  const configured = serverless.custom.esbuild;
  const handler = serverless.functions.remediate.handler; // handlers/remediate.handler
  const entry = `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;
  const extension = String(configured.outputFileExtension ?? '.js');
  const options = Object.fromEntries(
    Object.entries(configured).filter(([key]) => !PLUGIN_ONLY.has(key)),
  ) as BuildOptions;
  const { wallMs: buildMs } = await timed(() =>
    build({
      ...options,
      absWorkingDir: ROOT,
      entryPoints: { remediate: entry },
      outdir: dir,
      outExtension: { '.js': extension },
      logLevel: 'error',
    }),
  );
  const file = join(dir, `remediate${extension}`);
  const code = readFileSync(file);
  const map = `${file}.map`;
  const mapText = statSafe(map) > 0 ? readFileSync(map) : Buffer.alloc(0);
  return {
    file,
    url: pathToFileURL(file).href,
    bytes: code.byteLength,
    deflatedBytes: deflateRawSync(code, { level: PACKAGE_DEFLATE_LEVEL }).byteLength,
    sourceMapBytes: mapText.byteLength,
    sourceMapDeflatedBytes:
      mapText.byteLength > 0 ? deflateRawSync(mapText, { level: PACKAGE_DEFLATE_LEVEL }).byteLength : 0,
    sourcesInMap:
      mapText.byteLength > 0 && 'sourcesContent' in (JSON.parse(mapText.toString('utf8')) as object),
    buildMs: round(buildMs, 0),
    options: options as Record<string, unknown>,
  };
}

async function runBatch(
  cloud: BenchCloud,
  bundle: string,
  dir: string,
  records: number,
  serverless: Serverless,
): Promise<BatchRun> {
  const users = benchUsers(records);
  const { pipeline, findings } = await prepareCloud(cloud, users);
  const queueArn = `arn:aws:sqs:us-east-1:${BENCH_ACCOUNT}:mfa-remediation`;
  const sentAt = String(Date.now());
  const event = {
    Records: findings.map((finding, i) => ({
      messageId: `bench-${i}`,
      receiptHandle: `bench-receipt-${i}`,
      body: messageBody(finding),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: sentAt,
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: sentAt,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
  const eventFile = join(dir, `event-${records}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const timeoutMs = (serverless.functions.remediate.timeout ?? 180) * 1000;
  const span = await measureSpan(cloud, 0, () =>
    runChild(BATCH_PROGRAM, [bundle, eventFile, String(timeoutMs)], {
      ...baseEnv(),
      ...pipeline.env,
      AWS_ENDPOINT_URL: cloud.url,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--enable-source-maps',
    }),
  );
  const sqs = new SQSClient(cloud.clientOptions);
  const outcomes = (await drainOutcomes(sqs, pipeline)).length;
  sqs.destroy();
  const { output } = span.result;
  return {
    records,
    maxRssMb: megabytes(output.maxRssKb),
    handlerMs: round(output.handlerMs, 0),
    batchItemFailures: output.batchItemFailures,
    outcomes,
    callsByService: byService(span.calls),
  };
}

/** What a Lambda function's environment has, and no more (no tsx, no test runner, no profile). */
function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    // Lambda's nodejs22.x does not print the SDK's warning about Node 20, which this machine may run.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

interface ChildOutput {
  readonly importMs: number;
  readonly handlerMs: number;
  readonly batchItemFailures: number;
  readonly maxRssKb: number;
}

/** Runs `node --input-type=module -e program ...args` and reads its `BENCH {json}` line. */
function runChild(
  program: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ output: ChildOutput; wallMs: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', program, ...args], {
      cwd: tmpdir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - start;
      const line = /^BENCH (.+)$/m.exec(stdout)?.[1];
      if (code !== 0 || !line) {
        reject(new Error(`cold-start child exited with status ${code}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve({ output: JSON.parse(line) as ChildOutput, wallMs });
    });
  });
}

function statSafe(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function megabytes(kilobytes: number): number {
  return round(kilobytes / 1024, 1);
}
