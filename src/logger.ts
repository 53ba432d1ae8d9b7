/**
 * Structured JSON logging with pino. Secrets never reach a log line: every field named as one of
 * {@link SECRET_FIELDS} — the names that can carry a TOTP seed, an authentication code, a password or
 * credentials — is replaced by `[redacted]` at any depth, in a line's object, in a child's bindings and in
 * what the error serializer makes of an error. Code must still never log raw message bodies.
 *
 * The walk is by field name, done once per line before pino serialises it ({@link redactSecrets}), rather
 * than pino's `redact` option: path patterns cannot say "at any depth", and its wildcard paths for four
 * levels (`*.*.*.seed`) cost about 150 µs a line, a tenth of the worker's CPU per finding at low latency
 * (docs/benchmarks.md); this walk costs a few microseconds and misses no depth.
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

const SECRETS: ReadonlySet<string> = new Set(SECRET_FIELDS);
/** What a secret's value becomes. */
export const CENSOR = '[redacted]';
/** Deeper than this, a value is not written at all (no log line of ours nests so deep; a cycle might). */
const MAX_DEPTH = 24;

/**
 * `value` with every property named as a secret replaced by {@link CENSOR}, at any depth, in objects and
 * arrays alike. Copies only what it changes: a value without secrets is returned as is. Cycles and values
 * nested deeper than any line of ours are cut.
 */
export function redactSecrets(value: unknown): unknown {
  return redactValue(value, 0, new Set());
}

function redactValue(value: unknown, depth: number, path: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (depth >= MAX_DEPTH || path.has(value)) return '[cut]';
  path.add(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item, index) => {
        const redacted = redactValue(item, depth + 1, path);
        if (redacted !== item) {
          copy ??= [...value];
          copy[index] = redacted;
        }
      });
      return copy ?? value;
    }
    let copy: Record<string, unknown> | undefined;
    const source = value as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      const item = source[key];
      const redacted = SECRETS.has(key) ? CENSOR : redactValue(item, depth + 1, path);
      if (redacted !== item) {
        // An error's message, name and stack are not enumerable: keep them in the copy.
        copy ??=
          value instanceof Error
            ? { name: value.name, message: value.message, stack: value.stack, ...source }
            : { ...source };
        copy[key] = redacted;
      }
    }
    return copy ?? value;
  } finally {
    path.delete(value);
  }
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go: stdout for Lambda and the poller, stderr for the CLI (results own stdout). */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/** Creates the root logger: JSON lines, ISO times, secrets redacted, no transports. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: redactSecrets({ service: 'mfa-remediation', ...options.base }) as Record<string, unknown>,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // A line's object, before pino serialises it.
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
      // The error serializer copies an error's own properties after `log` ran: redact its result too.
      serializers: { err: (error: unknown) => redactSecrets(pino.stdSerializers.err(error as Error)) },
    },
    options.destination,
  );
  // A child's bindings are serialised once, when it is made, and pino gives children no bindings formatter:
  // redact them on the way in. Children inherit this method (pino makes them with Object.create).
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}
