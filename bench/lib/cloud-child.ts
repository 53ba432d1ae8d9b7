/**
 * Entry point of the local cloud's own process during a benchmark (see `cloud.ts`). Started with the cloud's
 * options as one JSON argument, it prints `ready URL` on stdout once it accepts requests, then serves until
 * its stdin closes (the benchmark exited, normally or not) or it receives SIGTERM.
 */
import { type LocalCloudOptions, startLocalCloud } from '../../src/local/cloud/server.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LocalCloudOptions;
const cloud = await startLocalCloud({ ...options, port: 0 });
process.stdout.write(`ready ${cloud.url}\n`);

const stop = () => {
  void cloud.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
