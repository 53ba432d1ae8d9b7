/**
 * Message intake: one SQS message body → the items to process (docs/reference.md: Messages).
 *
 * Every body yields at least one item and nothing here throws: a body that is not JSON, not a known shape or
 * fails validation becomes a `rejected` item whose reason names the field, so the caller can park the raw
 * body on the dead-letter queue and acknowledge it instead of retrying a poison message.
 */
import {
  EVENT_TYPES,
  EventBridgeEnvelope,
  isAsffFinding,
  MAX_FINDINGS_PER_MESSAGE,
  SecurityHubDetail,
} from './asff.ts';
import { parseConfigDetail } from './config-events.ts';
import { parseFinding } from './finding-intake.ts';
import {
  describeZodError,
  formatPath,
  type IntakeContext,
  rejected,
  show,
  terminal,
  withoutUndefined,
} from './intake-items.ts';
import type { IntakeItem, Trigger } from './model.ts';
import { parseOcsfDetail } from './ocsf/event.ts';
import { parseOcsfFinding } from './ocsf/finding.ts';
import { FINDINGS_IMPORTED_V2, isOcsfFinding } from './ocsf/schema.ts';
import { isSnsControlMessage, isSnsEnvelope, MAX_SNS_DEPTH } from './sns-envelope.ts';
import { parseTask } from './task-intake.ts';

export interface IntakeOptions {
  /** Accounts whose findings we act on; '*' = any. */
  allowedAccounts: readonly string[] | '*';
  /** SQS message id, copied into every trigger's messageId. */
  messageId?: string;
}

const EXPECTED_SHAPES =
  'expected an EventBridge event from aws.securityhub or aws.config, an ASFF or OCSF finding, {"findings": [...]}, ' +
  'a task message with "type", or one of these in an SNS notification';

/** Never throws: every input yields at least one item. */
export function parseMessage(body: string, options: IntakeOptions): IntakeItem[] {
  const context: IntakeContext = { messageId: options.messageId };
  let items: IntakeItem[];
  try {
    items = parseBody(body, context);
  } catch (error) {
    // A bug of ours, not a bad message: park it (it can be redriven once fixed) rather than crash the batch.
    const name = error instanceof Error ? error.name : typeof error;
    items = [
      terminal(rejected(`message could not be parsed: internal ${name}`, 'body', unknownTrigger(context))),
    ];
  }
  return items.map((item) => enforceAllowedAccounts(item, options.allowedAccounts));
}

function parseBody(body: string, context: IntakeContext): IntakeItem[] {
  const value = parseJson(body);
  if (!value.ok) {
    return [terminal(rejected(`body is not valid JSON: ${value.error}`, 'body', unknownTrigger(context)))];
  }
  const tooDeep = tooDeepAt(value.value, '');
  if (tooDeep) return [reject(tooDeep.reason, tooDeep.field, context)];
  return parseValue(value.value, '', 0, context);
}

/**
 * JSON nested deeper than any message the queue accepts (ASFF findings in an event are about 15 levels deep).
 * Checked before anything walks the value: recursive code (zod, JSON.stringify) would otherwise overflow the
 * stack on a 10,000-deep `type` and the body would be rejected for an "internal RangeError".
 */
export const MAX_JSON_DEPTH = 64;

/** Where `value` nests deeper than {@link MAX_JSON_DEPTH}: the field (its first segments) and the reason. */
function tooDeepAt(value: unknown, prefix: string): { field: string; reason: string } | undefined {
  const stack: { value: unknown; depth: number; path: (string | number)[] }[] = [
    { value, depth: 0, path: [] },
  ];
  while (stack.length > 0) {
    const { value: node, depth, path } = stack.pop() as (typeof stack)[number];
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      const shown = formatPath(path.slice(0, 3), prefix) || 'body';
      const field = path.length > 3 ? `${shown}...` : shown;
      return { field, reason: `${field}: nested more than ${MAX_JSON_DEPTH} levels deep` };
    }
    for (const [key, child] of Object.entries(node)) {
      if (child !== null && typeof child === 'object') {
        stack.push({
          value: child,
          depth: depth + 1,
          path: [...path, Array.isArray(node) ? Number(key) : key],
        });
      }
    }
  }
  return undefined;
}

/** Dispatches on the shape of a parsed JSON value; `path` is where it sits in the body (`Message` in SNS). */
function parseValue(value: unknown, path: string, depth: number, context: IntakeContext): IntakeItem[] {
  const field = path || 'body';
  if (!isRecord(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return [reject(`unrecognised message shape: ${EXPECTED_SHAPES}; got ${got}`, field, context)];
  }
  if (isSnsEnvelope(value)) return unwrapSns(value.Message, path, depth, context);
  if (value.Type === 'Notification' && 'Message' in value) {
    const at = formatPath(['Message'], path);
    return [reject(`${at}: must be a string holding the JSON payload, as SNS delivers it`, at, context)];
  }
  if (isSnsControlMessage(value)) {
    const reason = `SNS ${show(value.Type)} carries no message; confirm or remove the subscription (SubscribeURL)`;
    return [reject(reason, formatPath(['Type'], path), context)];
  }
  if ('detail-type' in value || ('source' in value && 'detail' in value)) {
    return parseEventBridge(value, path, context);
  }
  if ('type' in value) return [parseTask(value, context, path)];
  if (isOcsfFinding(value)) return [parseOcsfFinding(value, { path, messageId: context.messageId })];
  if (isAsffFinding(value))
    return [parseFinding(value, { path, forced: false, messageId: context.messageId })];
  for (const key of ['findings', 'Findings']) {
    if (key in value) {
      const at = formatPath([key], path);
      const findings = value[key];
      if (!Array.isArray(findings)) return [reject(`${at}: must be an array of ASFF findings`, at, context)];
      return parseFindings(findings, at, false, context, true);
    }
  }
  if (value.messageType === 'ComplianceChangeNotification') {
    return [parseConfigDetail(value, { path, messageId: context.messageId })];
  }
  return [reject(`unrecognised message shape: ${EXPECTED_SHAPES}`, field, context)];
}

/** Unwraps one SNS envelope: `Message` is the payload as a JSON string. */
function unwrapSns(message: string, path: string, depth: number, context: IntakeContext): IntakeItem[] {
  const at = formatPath(['Message'], path);
  if (depth >= MAX_SNS_DEPTH) {
    return [reject(`${at}: SNS envelopes are nested more than ${MAX_SNS_DEPTH} deep`, at, context)];
  }
  const inner = parseJson(message);
  if (!inner.ok) return [reject(`${at} is not valid JSON: ${inner.error}`, at, context)];
  const tooDeep = tooDeepAt(inner.value, at);
  if (tooDeep) return [reject(tooDeep.reason, tooDeep.field, context)];
  return parseValue(inner.value, at, depth + 1, context);
}

function parseEventBridge(
  value: Record<string, unknown>,
  path: string,
  context: IntakeContext,
): IntakeItem[] {
  const envelope = EventBridgeEnvelope.safeParse(value);
  if (!envelope.success) {
    const { field, reason } = describeZodError(envelope.error, path);
    return [reject(reason, field, context)];
  }
  const { source, 'detail-type': detailType, detail } = envelope.data;
  const detailPath = formatPath(['detail'], path);
  const typeField = formatPath(['detail-type'], path);
  if (source === EVENT_TYPES.securityHubSource) {
    if (detailType === FINDINGS_IMPORTED_V2) return parseOcsfDetail(detail, detailPath, context);
    if (detailType !== EVENT_TYPES.findingsImported && detailType !== EVENT_TYPES.customAction) {
      const reason = `${typeField}: unsupported Security Hub event ${show(detailType)}; expected "${EVENT_TYPES.findingsImported}", "${EVENT_TYPES.customAction}" or "${FINDINGS_IMPORTED_V2}"`;
      return [reject(reason, typeField, context, 'security-hub')];
    }
    const parsed = SecurityHubDetail.safeParse(detail);
    if (!parsed.success) {
      const { field, reason } = describeZodError(parsed.error, detailPath);
      return [reject(reason, field, context, 'security-hub')];
    }
    const forced = detailType === EVENT_TYPES.customAction;
    return parseFindings(parsed.data.findings, formatPath(['findings'], detailPath), forced, context);
  }
  if (source === EVENT_TYPES.configSource) {
    if (detailType !== EVENT_TYPES.complianceChange) {
      const reason = `${typeField}: unsupported AWS Config event ${show(detailType)}; expected "${EVENT_TYPES.complianceChange}"`;
      return [reject(reason, typeField, context, 'config')];
    }
    const { account, region } = envelope.data;
    return [parseConfigDetail(detail, { path: detailPath, account, region, messageId: context.messageId })];
  }
  const sourceField = formatPath(['source'], path);
  const reason = `${sourceField}: unsupported EventBridge source ${show(source)}; expected aws.securityhub or aws.config`;
  return [reject(reason, sourceField, context)];
}

/**
 * One item per finding, in order; each finding stands or falls on its own. `mixed` (a bare `{findings}`
 * list): each finding is read as OCSF or ASFF by its shape; an ASFF event's findings are always ASFF.
 */
function parseFindings(
  findings: unknown[],
  path: string,
  forced: boolean,
  context: IntakeContext,
  mixed = false,
): IntakeItem[] {
  if (findings.length === 0) {
    return [reject(`${path}: must contain at least one finding`, path, context, 'security-hub')];
  }
  if (findings.length > MAX_FINDINGS_PER_MESSAGE) {
    const reason = `${path}: ${findings.length} findings exceed the limit of ${MAX_FINDINGS_PER_MESSAGE} per message (Security Hub sends at most ${MAX_FINDINGS_PER_MESSAGE})`;
    return [reject(reason, path, context, 'security-hub')];
  }
  return findings.map((finding, index) => {
    const at = formatPath([index], path);
    return mixed && isRecord(finding) && isOcsfFinding(finding)
      ? parseOcsfFinding(finding, { path: at, index, messageId: context.messageId })
      : parseFinding(finding, { path: at, forced, index, messageId: context.messageId });
  });
}

/**
 * `ALLOWED_ACCOUNTS` guards every shape, tasks included: an item that would be processed or reported for
 * another account is rejected instead (and so parked), whatever it asked for.
 */
function enforceAllowedAccounts(item: IntakeItem, allowed: readonly string[] | '*'): IntakeItem {
  if (allowed === '*' || allowed.includes('*')) return item;
  if (item.kind === 'terminal' && item.terminal.outcome === 'rejected') return item;
  const subject = item.kind === 'work' ? item.work : item.terminal;
  if (subject.accountId === undefined || allowed.includes(subject.accountId)) return item;
  const reason = `account-not-allowed: ${subject.accountId} is not in ALLOWED_ACCOUNTS`;
  const { accountId, region, userName, trigger } = subject;
  return terminal(rejected(reason, 'accountId', trigger, { accountId, region, userName }));
}

function reject(
  reason: string,
  field: string,
  context: IntakeContext,
  source?: Trigger['source'],
): IntakeItem {
  const trigger = source
    ? withoutUndefined({ source, messageId: context.messageId })
    : unknownTrigger(context);
  return terminal(rejected(reason, field, trigger));
}

function unknownTrigger(context: IntakeContext): Trigger {
  return withoutUndefined({ source: 'unknown', messageId: context.messageId });
}

/**
 * JSON.parse, with V8's message cut before it quotes the input (`Unexpected token 'x', "{"code1":…" is not
 * valid JSON`): reasons must not echo the body, which may hold authentication codes.
 */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unparseable';
    const safe = message.split('"')[0]?.replace(/[,\s]+$/, '') || 'unparseable';
    return { ok: false, error: safe.slice(0, 120) };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
