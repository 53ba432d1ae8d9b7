/**
 * SNS subscription filter policies: validation (SetSubscriptionAttributes / Subscribe) and matching
 * (Publish). Semantics as SNS documents them: keys are ANDed, the values listed for a key are ORed, `$or`
 * combines whole sub-policies. Conditions: exact string or number, `prefix`, `suffix`, `equals-ignore-case`,
 * `anything-but` (a value, a list, or a `prefix` / `suffix`), `numeric` comparisons and ranges, `exists`.
 * A String.Array attribute (or a JSON array in the body) matches when any element does.
 */
import type { SnsMessageAttribute } from './sns-wire.ts';
import { invalidParameter } from './sns-wire.ts';

/** Where a policy looks: message attributes (the default) or the JSON message body. */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

/** A parsed filter policy (a JSON object). */
export type FilterPolicy = Readonly<Record<string, unknown>>;

type Scalar = string | number | boolean | null;

const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);
const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

/** Parses and checks a FilterPolicy attribute value; throws InvalidParameter as SNS does. */
export function parseFilterPolicy(json: string, scope: FilterPolicyScope): FilterPolicy {
  const fail = (reason: string) => invalidParameter(`FilterPolicy: ${reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw fail('failed to parse JSON.');
  }
  if (!isObject(parsed) || Object.keys(parsed).length === 0) throw fail('Filter policy can not be empty');
  const keys = countKeys(parsed, scope, fail);
  if (keys > MAX_KEYS) throw fail(`Filter policy can not have more than ${MAX_KEYS} keys`);
  if (combinations(parsed) > MAX_COMBINATIONS) throw fail('Filter policy is too complex');
  return parsed;
}

/** Whether a message passes a subscription's filter policy. */
export function matchesFilterPolicy(
  policy: FilterPolicy,
  scope: FilterPolicyScope,
  message: { readonly body: string; readonly attributes: Readonly<Record<string, SnsMessageAttribute>> },
): boolean {
  if (scope === 'MessageAttributes') {
    return matchNode(policy, (key) => attributeValues(message.attributes[key]));
  }
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return false;
  }
  return isObject(body) && matchBody(policy, body);
}

/** Values of one attribute (undefined when absent); Binary attributes carry none that can be compared. */
function attributeValues(attribute: SnsMessageAttribute | undefined): Scalar[] | undefined {
  if (!attribute) return undefined;
  const type = attribute.DataType.split('.')[0];
  const text = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const items: unknown = JSON.parse(text);
      return Array.isArray(items) ? items.filter(isScalar) : [];
    } catch {
      return [];
    }
  }
  if (type === 'Number') return [Number(text)];
  if (type === 'String') return [text];
  return [];
}

function matchNode(policy: FilterPolicy, valuesOf: (key: string) => Scalar[] | undefined): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or') return (conditions as FilterPolicy[]).some((sub) => matchNode(sub, valuesOf));
    return matchConditions(conditions as unknown[], valuesOf(key));
  });
}

function matchBody(policy: FilterPolicy, body: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or') return (conditions as FilterPolicy[]).some((sub) => matchBody(sub, body));
    const value = body[key];
    if (isObject(conditions)) return isObject(value) && matchBody(conditions, value);
    if (value === undefined) return matchConditions(conditions as unknown[], undefined);
    const values = (Array.isArray(value) ? value : [value]).filter(isScalar);
    return matchConditions(conditions as unknown[], values);
  });
}

/** OR over a key's conditions; an absent key matches only `{"exists": false}`. */
function matchConditions(conditions: readonly unknown[], values: Scalar[] | undefined): boolean {
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) return (values !== undefined) === condition.exists;
    if (values === undefined) return false;
    return values.some((value) => matchCondition(condition, value));
  });
}

function matchCondition(condition: unknown, value: Scalar): boolean {
  if (!isObject(condition)) return equalsLiteral(condition as Scalar, value);
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(String(operand));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'numeric':
      return typeof value === 'number' && matchNumeric(operand as unknown[], value);
    case 'anything-but':
      return matchAnythingBut(operand, value);
    default:
      return false;
  }
}

function equalsLiteral(literal: Scalar, value: Scalar): boolean {
  if (typeof literal === 'number') return typeof value === 'number' && literal === value;
  return literal === value;
}

function matchNumeric(pairs: readonly unknown[], value: number): boolean {
  for (let i = 0; i < pairs.length; i += 2) {
    const bound = Number(pairs[i + 1]);
    const holds = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[pairs[i] as '=' | '<' | '<=' | '>' | '>='];
    if (!holds) return false;
  }
  return true;
}

function matchAnythingBut(operand: unknown, value: Scalar): boolean {
  if (isObject(operand)) {
    if ('prefix' in operand) return typeof value === 'string' && !value.startsWith(String(operand.prefix));
    if ('suffix' in operand) return typeof value === 'string' && !value.endsWith(String(operand.suffix));
    return false;
  }
  const excluded = (Array.isArray(operand) ? operand : [operand]) as Scalar[];
  return !excluded.some((literal) => equalsLiteral(literal, value));
}

/** Validates the policy's shape and counts its keys (nested body keys count as one each). */
function countKeys(node: FilterPolicy, scope: FilterPolicyScope, fail: (reason: string) => Error): number {
  let keys = 0;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw fail('$or must be an array of at least two filter policies');
      }
      keys += Math.max(...value.map((sub) => countKeys(sub, scope, fail)));
      continue;
    }
    if (isObject(value)) {
      if (scope !== 'MessageBody') throw fail(`"${key}" must be an object or an array`);
      keys += countKeys(value, scope, fail);
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) throw fail(`"${key}" must be an object or an array`);
    for (const condition of value) checkCondition(key, condition, fail);
    keys++;
  }
  return keys;
}

function checkCondition(key: string, condition: unknown, fail: (reason: string) => Error): void {
  if (isScalar(condition)) return;
  if (!isObject(condition)) throw fail(`Match value must be String, number, true, false, or null`);
  const entries = Object.entries(condition);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || !operator || !OPERATORS.has(operator)) {
    throw fail(`Unrecognized match type ${operator ?? ''}`);
  }
  if (operator === 'exists' && typeof operand !== 'boolean')
    throw fail('exists match pattern must be either true or false.');
  if (
    (operator === 'prefix' || operator === 'suffix' || operator === 'equals-ignore-case') &&
    typeof operand !== 'string'
  ) {
    throw fail(`${operator} match pattern must be a string`);
  }
  if (operator === 'numeric') {
    const pairs = operand as unknown[];
    const valid =
      Array.isArray(pairs) &&
      pairs.length > 0 &&
      pairs.length % 2 === 0 &&
      pairs.length <= 4 &&
      pairs.every((item, i) =>
        i % 2 === 0 ? NUMERIC_OPERATORS.has(String(item)) : typeof item === 'number',
      );
    if (!valid)
      throw fail(`Attribute ${key}: Value of numeric must be an array of operator and number pairs.`);
  }
}

function combinations(node: FilterPolicy): number {
  let product = 1;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$or') product *= (value as FilterPolicy[]).reduce((sum, sub) => sum + combinations(sub), 0);
    else if (isObject(value)) product *= combinations(value);
    else product *= (value as unknown[]).length;
  }
  return product;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
