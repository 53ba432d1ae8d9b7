/**
 * Start-up checks of everything a command is about to rely on, each failing with one line that names the
 * flag or variable and says how to fix it (docs/reference.md: Exit status, 2): the endpoint URL, a region
 * and credentials (with the profile's name when `--profile` was given), and the queues and topic the
 * configuration names. Without them the SDK would fail later with "Region is missing" or a stack trace.
 */
import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { type ClientOptions, createClientOptions, type RequestHandlerOptions } from '../aws/clients.ts';
import type { Env } from '../config.ts';
import { ConfigError, errorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HttpOptions } from './aws-flags.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

export interface ResolveOptions {
  readonly env: Env;
  readonly profile: string | undefined;
  readonly endpoint: string | undefined;
  readonly http: HttpOptions | undefined;
  /** `--debug`: the SDK's request log, at debug. */
  readonly log?: Logger;
}

/** SDK client options for the command, once the region and credentials are known to resolve. */
export async function resolveClientOptions(options: ResolveOptions): Promise<ClientOptions> {
  const { env, profile, endpoint } = options;
  const local = endpoint !== undefined && LOOPBACK.test(new URL(endpoint).hostname);
  // The SDK reads the profile from the environment (its shared-config loader), as every AWS tool does.
  if (profile) process.env.AWS_PROFILE = profile;
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || profile);
  // Keys in the command's environment come first, as in the SDK's default chain; passed explicitly because
  // that environment may not be this process's (the CLI run in-process with an injected one).
  const fromEnv =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && !profile
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const base = createClientOptions({
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || (local ? 'us-east-1' : undefined),
    endpoint,
    ...(fromEnv ? { credentials: fromEnv } : {}),
    ...(local && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  const clientOptions: ClientOptions = {
    ...base,
    // The flags refine the default timeouts; they never drop them (or throwOnRequestTimeout).
    ...(options.http
      ? { requestHandler: { ...base.requestHandler, ...requestHandlerOptions(options.http) } }
      : {}),
    ...(options.log ? { logger: sdkLogger(options.log) } : {}),
  } as ClientOptions;
  const sts = new STSClient(clientOptions);
  try {
    await sts.config.region();
  } catch {
    throw new ConfigError(
      '--region',
      `no AWS region: pass --region or set AWS_REGION${profile ? `, or set region in profile "${profile}" of ~/.aws/config` : ' (or region in ~/.aws/config)'}`,
    );
  }
  try {
    await sts.config.credentials();
  } catch (error) {
    const why = (error as Error).message?.split('\n')[0] ?? String(error);
    throw profile
      ? new ConfigError('--profile', `no AWS credentials from profile "${profile}": ${why}`)
      : new ConfigError(
          'credentials',
          'no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, or sign in (aws configure, aws sso login)',
        );
  } finally {
    sts.destroy();
  }
  return clientOptions;
}

/**
 * NodeHttpHandler options (the SDK builds its handler from them). TLS settings are agent options, not an
 * agent: each client builds its own keep-alive agent from them, sized by the runtime (`sizeConnectionPool`).
 */
function requestHandlerOptions(http: HttpOptions): RequestHandlerOptions {
  const agent =
    http.rejectUnauthorized === false || http.ca
      ? {
          ...(http.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          ...(http.ca ? { ca: http.ca } : {}),
        }
      : undefined;
  return {
    // The AWS CLI's read timeout is the socket's idle time, which is the handler's socketTimeout (its
    // requestTimeout bounds the whole request and, by default, only warns).
    ...(http.requestTimeout === undefined ? {} : { socketTimeout: http.requestTimeout }),
    ...(http.connectionTimeout === undefined ? {} : { connectionTimeout: http.connectionTimeout }),
    ...(agent ? { httpsAgent: agent } : {}),
  };
}

/** The SDK's logger interface onto ours: its request log lands at debug, through pino's redaction. */
function sdkLogger(log: Logger) {
  const write =
    (level: 'debug' | 'warn' | 'error') =>
    (...content: unknown[]) => {
      log[level]({ sdk: content.length === 1 ? content[0] : content }, 'aws_sdk');
    };
  return {
    trace: () => {},
    debug: write('debug'),
    info: write('debug'),
    warn: write('warn'),
    error: write('error'),
  };
}

/** Checks that a queue exists; `name` is the flag or variable that named it. */
export async function checkQueue(sqs: SQSClient, url: string, name: string): Promise<void> {
  try {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new ConfigError(name, `the queue ${url} does not exist (in this account and region)`);
    }
    if (code === 'AccessDenied' || code === 'AccessDeniedException') return;
    throw error;
  }
}

/**
 * Checks that the outcome topic exists. Only SNS's NotFound stops the command: a caller not allowed to read
 * the topic's attributes, or an SNS that cannot be reached right now, is left to the publish itself.
 */
export async function checkTopic(sns: SNSClient, arn: string): Promise<void> {
  if (!arn) return;
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
  } catch (error) {
    if (errorCode(error) === 'NotFound') {
      throw new ConfigError(
        'OUTCOME_TOPIC_ARN',
        `the topic ${arn} does not exist (in this account and region)`,
      );
    }
  }
}
