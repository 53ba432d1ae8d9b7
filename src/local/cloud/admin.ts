/**
 * The local cloud's own API under `/_local/`: statistics, reset, fault and latency injection, seeding, the mail
 * SES sent, the import of Security Hub OCSF findings and a health check. JSON in and out, except the fault
 * SPEC, which is plain text both ways.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsApiError } from '../cloud-types.ts';
import { FaultSpecError } from './faults.ts';
import { OcsfImportError } from './securityhub-v2.ts';
import { type SeedResult, SeedValidationError } from './seed.ts';
import type { SentMail } from './sesv2.ts';
import type { LocalCloudStats } from './stats.ts';

export const ADMIN_PREFIX = '/_local/';

/** What the admin API can do to the running cloud. */
export interface AdminControls {
  stats(): LocalCloudStats;
  reset(): void;
  faults(): string;
  setFaults(spec: string): void;
  setLatency(ms: number): void;
  seed(body: unknown): SeedResult;
  /** What SES sent (`GET /_local/mail`). */
  mail(): SentMail[];
  /** Imports OCSF findings into Security Hub's V2 store (`{"findings": [...]}`). */
  importOcsfFindings(body: unknown): { imported: number; metadataUids: string[] };
}

type AdminReply = { status: number; body: unknown; text?: boolean };

const MAX_LATENCY_MS = 60_000;

function parseJson(body: string): unknown {
  try {
    return body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new AdminError(400, 'InvalidJson', 'the request body is not JSON');
  }
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fault SPEC from a body: plain text, or JSON `{"spec": "…"}` / `"…"`. */
function specOf(body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    const parsed = parseJson(trimmed);
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof parsed === 'object' && 'spec' in parsed && typeof parsed.spec === 'string') {
      return parsed.spec;
    }
    throw new AdminError(400, 'InvalidFaultSpec', 'expected a SPEC string or {"spec": "…"}');
  }
  return trimmed;
}

function latencyOf(body: string): number {
  const parsed = parseJson(body);
  const ms = parsed && typeof parsed === 'object' && 'ms' in parsed ? parsed.ms : undefined;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    throw new AdminError(
      400,
      'InvalidLatency',
      `expected {"ms": N} with N an integer from 0 to ${MAX_LATENCY_MS}`,
    );
  }
  return ms;
}

function route(controls: AdminControls, method: string, path: string, body: string): AdminReply {
  switch (`${method} ${path}`) {
    case 'GET /_local/health':
      return { status: 200, body: { status: 'ok' } };
    case 'GET /_local/stats':
      return { status: 200, body: controls.stats() };
    case 'GET /_local/mail':
      return { status: 200, body: { messages: controls.mail() } };
    case 'POST /_local/reset':
      controls.reset();
      return { status: 200, body: { reset: true } };
    case 'GET /_local/faults':
      return { status: 200, body: controls.faults(), text: true };
    case 'POST /_local/faults':
      controls.setFaults(specOf(body));
      return { status: 200, body: controls.faults(), text: true };
    case 'POST /_local/latency': {
      const ms = latencyOf(body);
      controls.setLatency(ms);
      return { status: 200, body: { ms } };
    }
    case 'POST /_local/seed':
      return { status: 200, body: controls.seed(parseJson(body)) };
    case 'POST /_local/securityhub/v2/findings':
      return { status: 200, body: controls.importOcsfFindings(parseJson(body)) };
    default:
      throw new AdminError(404, 'NotFound', `no admin endpoint ${method} ${path}`);
  }
}

function errorReply(error: unknown): AdminReply {
  if (error instanceof AdminError)
    return { status: error.status, body: { error: error.code, message: error.message } };
  if (error instanceof FaultSpecError) {
    return { status: 400, body: { error: 'InvalidFaultSpec', message: error.message, rule: error.rule } };
  }
  if (error instanceof SeedValidationError)
    return { status: 400, body: { error: 'InvalidSeed', message: error.message } };
  if (error instanceof OcsfImportError)
    return { status: 400, body: { error: 'InvalidFinding', message: error.message } };
  if (error instanceof AwsApiError)
    return { status: error.status, body: { error: error.code, message: error.message } };
  throw error;
}

/** Serves one admin request. */
export function handleAdmin(
  controls: AdminControls,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
): void {
  let reply: AdminReply;
  try {
    reply = route(controls, req.method ?? 'GET', path, body);
  } catch (error) {
    reply = errorReply(error);
  }
  const text = reply.text ? String(reply.body) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': reply.text ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
