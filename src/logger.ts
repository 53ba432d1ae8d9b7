/**
 * Structured JSON logging with pino. Secrets never reach a log line: the `redact` paths below cover every
 * field name that can carry a TOTP seed, an authentication code, a password or credentials, at any of the
 * nesting depths our code logs. Code must still never log raw message bodies.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values are secrets wherever they appear. */
export const SECRET_FIELDS = [
  'code1',
  'code2',
  'authenticationCode1',
  'authenticationCode2',
  'AuthenticationCode1',
  'AuthenticationCode2',
  'Base32StringSeed',
  'QRCodePNG',
  'seed',
  'secret',
  'SecretString',
  'otpauthUri',
  'password',
  'Password',
  'credentials',
  'Credentials',
  'SecretAccessKey',
  'secretAccessKey',
  'SessionToken',
  'sessionToken',
  'authorization',
  'Authorization',
  'body',
  'Body',
] as const;

/** Redaction paths: each secret field at the top level and up to three levels deep. */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.*.*.${field}`,
]);

export interface LoggerOptions {
  level?: string;
  /** Where lines go: stdout for Lambda and the poller, stderr for the CLI (results own stdout). */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/** Creates the root logger: JSON lines, ISO times, secrets redacted, no transports. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'mfa-remediation', ...options.base },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
