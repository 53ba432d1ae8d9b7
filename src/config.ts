/**
 * Configuration from the environment (docs/reference.md: Configuration). Every value is trimmed and validated; an invalid one stops
 * start-up with one line naming the variable, so a misconfigured deployment fails loudly instead of acting
 * on a guess.
 */

import { emailAddressProblem } from './core/notify/address.ts';
import { PATTERNS } from './core/patterns.ts';
import { ConfigError } from './errors.ts';

export const REMEDIATION_MODES = ['enforce', 'notify'] as const;
export const MFA_SCOPES = ['console-users', 'all-users'] as const;
export const ESCALATIONS = ['none', 'disable-console', 'disable-console-and-keys'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type RemediationMode = (typeof REMEDIATION_MODES)[number];
export type MfaScope = (typeof MFA_SCOPES)[number];
export type Escalation = (typeof ESCALATIONS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly outcomeTopicArn: string;
  readonly remediationQueueUrl: string | undefined;
  readonly deadLetterQueueUrl: string | undefined;
  readonly mode: RemediationMode;
  readonly scope: MfaScope;
  readonly containProgrammaticUsers: boolean;
  readonly gracePeriodHours: number;
  readonly escalation: Escalation;
  /** User names or glob patterns (`*`, `?`) exempt from remediation. */
  readonly exemptUsers: readonly string[];
  /** Users enrolled custodially, names or globs. */
  readonly custodialUsers: readonly string[];
  /** `'self'` = only the worker's own account (resolved at run time), `'*'` = any. */
  readonly allowedAccounts: readonly string[] | '*' | 'self';
  readonly memberRoleName: string;
  readonly memberRoleExternalId: string | undefined;
  readonly securityHubUpdates: boolean;
  readonly maxReceiveCount: number;
  readonly dryRun: boolean;
  readonly logLevel: LogLevel;
  readonly escrowKmsKeyId: string | undefined;
  /** Person notifications (docs/reference.md: Person notifications); off when `notifyFrom` is undefined. */
  readonly notify: NotifyConfig;
}

/** Person notifications: `NOTIFY_*` and `REMINDER_HOURS`. */
export interface NotifyConfig {
  /** `NOTIFY_FROM`: the verified SES identity's address; undefined = notifications off. */
  readonly from: string | undefined;
  /** `NOTIFY_EMAIL_TAG`: the user tag that holds the person's address. */
  readonly emailTag: string;
  /** `REMINDER_HOURS`: one reminder this long before the deadline; 0 = no reminder. */
  readonly reminderHours: number;
  /** `NOTIFY_CONTACT`: whom people ask about an exemption; also the Reply-To. Default: `from`. */
  readonly contact: string | undefined;
  /** `NOTIFY_TEMPLATE_DIR`: a directory of templates that replace the built-in ones, file by file. */
  readonly templateDir: string | undefined;
  /** `NOTIFY_TIME_ZONE`: IANA time zone deadlines are written in. Default `UTC`. */
  readonly timeZone: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(env, name);
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = read(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ConfigError(name, `must be true or false (got "${value}")`);
}

function number(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
) {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
    throw new ConfigError(name, `must be ${range.integer ? 'an integer' : 'a number'} (got "${raw}")`);
  }
  if (value < range.min || value > range.max) {
    throw new ConfigError(name, `must be between ${range.min} and ${range.max} (got ${value})`);
  }
  return value;
}

function list(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function userPatterns(env: Env, name: string): string[] {
  const patterns = list(env, name);
  for (const pattern of patterns) {
    if (!/^[\w+=,.@*?-]{1,64}$/.test(pattern)) {
      throw new ConfigError(name, `"${pattern}" is not a user name or glob pattern`);
    }
  }
  return patterns;
}

function allowedAccounts(env: Env): Config['allowedAccounts'] {
  const accounts = list(env, 'ALLOWED_ACCOUNTS');
  if (accounts.length === 0) return 'self';
  if (accounts.includes('*')) {
    if (accounts.length > 1)
      throw new ConfigError('ALLOWED_ACCOUNTS', '"*" cannot be combined with account ids');
    return '*';
  }
  for (const account of accounts) {
    if (!PATTERNS.accountId.test(account)) {
      throw new ConfigError('ALLOWED_ACCOUNTS', `"${account}" is not a 12-digit account id`);
    }
  }
  return accounts;
}

function arn(env: Env, name: string, service: string, required: boolean): string | undefined {
  const value = read(env, name);
  if (value === undefined) {
    if (required) throw new ConfigError(name, 'is required');
    return undefined;
  }
  if (!new RegExp(`^arn:aws[\\w-]*:${service}:[\\w-]+:\\d{12}:[\\w.-]+$`).test(value)) {
    throw new ConfigError(name, `must be an ${service.toUpperCase()} topic ARN (got "${value}")`);
  }
  return value;
}

function url(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('not http(s)');
  } catch {
    throw new ConfigError(name, `must be a queue URL (got "${value}")`);
  }
  return value;
}

function emailAddress(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const problem = emailAddressProblem(value);
  if (problem)
    throw new ConfigError(name, `"${value}" ${problem} (expected an address like security@example.com)`);
  return value;
}

/** IAM's tag-key rule (TagUser): 1-128 letters, digits, spaces and `_.:/=+-@`, not starting with `aws:`. */
function tagKey(env: Env, name: string, fallback: string): string {
  const value = read(env, name) ?? fallback;
  if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(value) || value.toLowerCase().startsWith('aws:')) {
    throw new ConfigError(name, `"${value}" is not an IAM tag key`);
  }
  return value;
}

function timeZone(env: Env, name: string): string {
  const value = read(env, name) ?? 'UTC';
  // The first Intl.DateTimeFormat of a process loads ICU's time-zone data (about 25 ms of every Lambda
  // cold start, docs/benchmarks.md): the default needs no check.
  if (value === 'UTC') return value;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
  } catch {
    throw new ConfigError(name, `"${value}" is not an IANA time zone (e.g. UTC, Europe/Berlin)`);
  }
  return value;
}

/** STS's rule for `ExternalId` (AssumeRole): 2-1224 characters of `[\w+=,.@:/-]`. */
function externalId(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (!/^[\w+=,.@:/-]{2,1224}$/.test(value)) {
    throw new ConfigError(name, 'must be 2-1224 letters, digits or _+=,.@:/- (an STS external id)');
  }
  return value;
}

/** What Secrets Manager takes as `KmsKeyId`: a key id, a key ARN, an alias name or an alias ARN. */
function kmsKey(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const id = '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})';
  const alias = 'alias/[\\w/-]{1,250}';
  const pattern = new RegExp(
    `^(?:${id}|${alias}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(?:key/[\\w-]{1,128}|${alias}))$`,
  );
  if (!pattern.test(value)) {
    throw new ConfigError(name, `"${value}" is not a KMS key id, key ARN, alias name or alias ARN`);
  }
  return value;
}

function notifyConfig(env: Env): NotifyConfig {
  const from = emailAddress(env, 'NOTIFY_FROM');
  return {
    from,
    emailTag: tagKey(env, 'NOTIFY_EMAIL_TAG', 'email'),
    reminderHours: number(env, 'REMINDER_HOURS', 24, { min: 0, max: 24 * 365 }),
    contact: emailAddress(env, 'NOTIFY_CONTACT') ?? from,
    templateDir: read(env, 'NOTIFY_TEMPLATE_DIR'),
    timeZone: timeZone(env, 'NOTIFY_TIME_ZONE'),
  };
}

/**
 * Parses and validates the configuration; throws {@link ConfigError} naming the first bad variable.
 * `requireTopic: false` lets commands that only print outcomes (e.g. `process`) run without a topic.
 */
export function loadConfig(env: Env = process.env, options: { requireTopic?: boolean } = {}): Config {
  const roleName = read(env, 'MEMBER_ROLE_NAME') ?? 'MfaRemediationMemberRole';
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) {
    throw new ConfigError('MEMBER_ROLE_NAME', `"${roleName}" is not a valid IAM role name`);
  }
  return {
    outcomeTopicArn: arn(env, 'OUTCOME_TOPIC_ARN', 'sns', options.requireTopic ?? true) ?? '',
    remediationQueueUrl: url(env, 'REMEDIATION_QUEUE_URL'),
    deadLetterQueueUrl: url(env, 'DEAD_LETTER_QUEUE_URL'),
    mode: oneOf(env, 'REMEDIATION_MODE', REMEDIATION_MODES, 'enforce'),
    scope: oneOf(env, 'MFA_SCOPE', MFA_SCOPES, 'console-users'),
    containProgrammaticUsers: bool(env, 'CONTAIN_PROGRAMMATIC_USERS', false),
    gracePeriodHours: number(env, 'GRACE_PERIOD_HOURS', 72, { min: 0, max: 24 * 365 }),
    escalation: oneOf(env, 'ESCALATION', ESCALATIONS, 'none'),
    exemptUsers: userPatterns(env, 'EXEMPT_USERS'),
    custodialUsers: userPatterns(env, 'CUSTODIAL_USERS'),
    allowedAccounts: allowedAccounts(env),
    memberRoleName: roleName,
    memberRoleExternalId: externalId(env, 'MEMBER_ROLE_EXTERNAL_ID'),
    securityHubUpdates: bool(env, 'SECURITY_HUB_UPDATES', true),
    maxReceiveCount: number(env, 'MAX_RECEIVE_COUNT', 8, { min: 1, max: 1000, integer: true }),
    dryRun: bool(env, 'DRY_RUN', false),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    escrowKmsKeyId: kmsKey(env, 'ESCROW_KMS_KEY_ID'),
    notify: notifyConfig(env),
  };
}

/** Glob match for user names: `*` any run, `?` one character; everything else literal, case-sensitive as IAM. */
export function matchesUserPattern(userName: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const regex = pattern
      .replace(/[.+^${}()|[\]\\=,@-]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${regex}$`).test(userName);
  });
}
