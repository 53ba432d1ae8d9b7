/**
 * Fault injection (docs/reference.md: Command line). A SPEC is a comma-separated list of rules
 * `service:Operation=ErrorCode:probability`, where `Operation` may be `*` (any operation of the service) or
 * `write` (any operation the service calls mutating), e.g.
 * `iam:write=ConcurrentModification:0.3,iam:*=Throttling:0.05`. The probability may be left out (= 1).
 *
 * Rules are evaluated in order, each with its own draw; the first that fires wins. A fault fires before the
 * operation runs, so it has no side effects, exactly like an error AWS returns before doing any work.
 */
import { AwsApiError } from '../cloud-types.ts';

export interface FaultRule {
  readonly service: string;
  /** An operation name, `*` or `write`. */
  readonly operation: string;
  readonly code: string;
  readonly probability: number;
  /** The rule as written, for messages and `GET /_local/faults`. */
  readonly source: string;
}

/** A SPEC that cannot be parsed; `rule` is the offending entry. */
export class FaultSpecError extends Error {
  readonly rule: string;

  constructor(rule: string, reason: string) {
    super(`invalid fault rule "${rule}": ${reason}`);
    this.name = 'FaultSpecError';
    this.rule = rule;
  }
}

const RULE = /^([a-z0-9-]+):(\*|[A-Za-z][A-Za-z0-9]*)=([A-Za-z][A-Za-z0-9._-]*)(?::([^:]+))?$/;

/** Parses a SPEC; an empty or blank SPEC has no rules. Throws {@link FaultSpecError}. */
export function parseFaultSpec(spec: string): FaultRule[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((raw) => {
    const source = raw.trim();
    if (source === '') throw new FaultSpecError(raw, 'empty rule');
    const match = RULE.exec(source);
    if (!match) {
      throw new FaultSpecError(source, 'expected service:Operation=ErrorCode:probability');
    }
    const [, service = '', operation = '', code = '', probabilityText] = match;
    const probability = probabilityText === undefined ? 1 : Number(probabilityText);
    if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
      throw new FaultSpecError(source, 'probability must be a number between 0 and 1');
    }
    return { service, operation, code, probability, source };
  });
}

/** The SPEC string of a rule list (normalised: trimmed, explicit probabilities). */
export function formatFaultSpec(rules: readonly FaultRule[]): string {
  return rules.map((r) => `${r.service}:${r.operation}=${r.code}:${r.probability}`).join(',');
}

/**
 * HTTP statuses of the error codes AWS services return for throttling, conflicts and outages; the SDKs
 * decide what to retry from the code and the status, so an injected fault must carry the real one.
 * Unknown codes are client errors (400), as an unmodelled AWS error would be.
 */
const FAULT_STATUS: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  AccessDeniedException: 403,
  ConcurrentModification: 409,
  DeleteConflict: 409,
  EntityAlreadyExists: 409,
  EntityTemporarilyUnmodifiable: 409,
  InternalError: 500,
  InternalFailure: 500,
  InternalException: 500,
  InternalServerError: 500,
  LimitExceeded: 409,
  NoSuchEntity: 404,
  RequestThrottled: 403,
  ResourceNotFoundException: 404,
  ServiceFailure: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  Throttling: 400,
  ThrottlingException: 400,
  TooManyRequestsException: 429,
};

/** The HTTP status an error code is returned with. */
export function faultStatus(code: string): number {
  return FAULT_STATUS[code] ?? 400;
}

/** The error an injected fault is rendered as: 5xx faults are the service's (`Receiver`), the rest `Sender`. */
export function faultError(rule: FaultRule): AwsApiError {
  const status = faultStatus(rule.code);
  return new AwsApiError(
    rule.code,
    `Injected fault ${rule.code} (local cloud fault rule ${rule.source})`,
    status,
    status >= 500 ? 'Receiver' : 'Sender',
  );
}

/**
 * mulberry32: a tiny, fast, seedable PRNG. Not for secrets; it makes fault draws reproducible for a given
 * `randomSeed`, so a test with probability 0.5 sees the same sequence on every run.
 */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultInjector {
  /** Replaces the rules; throws {@link FaultSpecError} and keeps the old rules on an invalid SPEC. */
  set(spec: string): void;
  /** The current rules as a SPEC string (empty when none). */
  spec(): string;
  /** The rule that fires for this request, if any. */
  draw(service: string, operation: string, isWrite: boolean): FaultRule | undefined;
}

/** Creates an injector with its own PRNG; `seed` defaults to a random one. */
export function createFaultInjector(options: { spec?: string; seed?: number } = {}): FaultInjector {
  const random = createPrng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  let rules = parseFaultSpec(options.spec ?? '');
  const matches = (rule: FaultRule, service: string, operation: string, isWrite: boolean) =>
    rule.service === service &&
    (rule.operation === '*' || rule.operation === operation || (rule.operation === 'write' && isWrite));

  return {
    set(spec) {
      rules = parseFaultSpec(spec);
    },
    spec: () => formatFaultSpec(rules),
    draw(service, operation, isWrite) {
      for (const rule of rules) {
        if (!matches(rule, service, operation, isWrite)) continue;
        // Each matching rule draws on its own: `a:0.5,b:0.5` fires `a` half the time and `b` a quarter.
        if (random() < rule.probability) return rule;
      }
      return undefined;
    },
  };
}
