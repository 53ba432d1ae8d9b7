/**
 * The local cloud the client tests drive: the product's queues and topic provisioned as serverless.yml does,
 * and the worker run in this process until the queue is empty, so a task a client sends ends in an outcome.
 */
import { CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Secret, TOTP } from 'otpauth';
import type { ClientOptions } from '../../src/aws/clients.ts';
import { NAMES, type Outcome } from '../../src/core/model.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { drainOutcomes, type LocalPipeline, provisionPipeline } from '../../src/local/pipeline.ts';
import { createRuntime } from '../../src/runtime.ts';
import { createPoller } from '../../src/worker/poller.ts';
import { captureLogger } from '../helpers/deps.ts';

export const ACCOUNT = '123456789012';

export interface ClientWorld {
  readonly cloud: LocalCloud;
  readonly pipeline: LocalPipeline;
  readonly options: ClientOptions;
  /** A virtual device as the product names it for the user (path /mfa-remediation/, name = user). */
  createDevice(userName: string): Promise<{ serialNumber: string; seed: string }>;
  /** The worker until the queue is empty; the outcomes it published. */
  runWorker(): Promise<Outcome[]>;
  close(): Promise<void>;
}

/** Two consecutive TOTP codes a person would type now (previous step, current step). */
export function consecutiveCodes(seed: string): [string, string] {
  const totp = new TOTP({ secret: Secret.fromBase32(seed), algorithm: 'SHA1', digits: 6, period: 30 });
  const now = Date.now();
  return [totp.generate({ timestamp: now - 30_000 }), totp.generate({ timestamp: now })];
}

export async function startClientWorld(): Promise<ClientWorld> {
  const cloud = await startLocalCloud({ port: 0 });
  const options: ClientOptions = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'setup', secretAccessKey: 'setup' },
    maxAttempts: 3,
  };
  const pipeline = await provisionPipeline(options);
  const iam = new IAMClient(options);
  const sqs = new SQSClient(options);
  return {
    cloud,
    pipeline,
    options,
    async createDevice(userName) {
      const { VirtualMFADevice } = await iam.send(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName, Path: NAMES.devicePath }),
      );
      const serialNumber = VirtualMFADevice?.SerialNumber ?? '';
      return { serialNumber, seed: cloud.iam.deviceSeed(ACCOUNT, serialNumber) ?? '' };
    },
    async runWorker() {
      const runtime = createRuntime({
        env: { ...pipeline.env, ALLOWED_ACCOUNTS: ACCOUNT, LOG_LEVEL: 'warn' },
        log: captureLogger().log,
        clientOptions: options,
      });
      await createPoller({
        sqs: runtime.sqs,
        queueUrl: pipeline.queueUrl,
        deps: runtime.depsFor(pipeline.queueUrl),
        log: runtime.log,
        untilEmpty: true,
        waitTimeSeconds: 0,
        concurrency: 2,
      }).run();
      return drainOutcomes(sqs, pipeline);
    },
    async close() {
      iam.destroy();
      sqs.destroy();
      await cloud.close();
    },
  };
}
