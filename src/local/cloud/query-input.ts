/**
 * Reading and validating query-protocol request parameters (IAM, STS). These services check their model's
 * constraints before anything else and answer a violation with `ValidationError` (400) in the wording of
 * AWS's validation layer: `1 validation error detected: Value 'x' at 'userName' failed to satisfy
 * constraint: …`. Semantic problems (IAM's bad tag key prefix, duplicate keys) are `InvalidInput` instead.
 */
import { AwsApiError } from '../cloud-types.ts';
import { memberList, memberStructs } from './query-protocol.ts';

/** A parameter's model constraints: a regular expression (as the model writes it) and a length range. */
export interface FieldRule {
  readonly pattern?: string;
  readonly min?: number;
  readonly max?: number;
}

/** Tag constraints shared by the IAM and STS models. */
export const TAG_FIELDS = {
  key: { pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', min: 1, max: 128 },
  value: { pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*', min: 0, max: 256 },
} as const satisfies Record<string, FieldRule>;

const MARKER_FIELD: FieldRule = { pattern: '[\\u0020-\\u00FF]+', min: 1, max: 320 };

const compiled = new Map<string, RegExp>();
function matches(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/** `ValidationError` (400) in AWS's wording for one failed constraint. */
export function validationError(member: string, value: string | null, constraint: string): AwsApiError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new AwsApiError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}

/** Checks a value against a rule; `member` is the model member name used in messages (`userName`). */
export function checkField(member: string, value: string, rule: FieldRule): string {
  if (rule.min !== undefined && value.length < rule.min) {
    throw validationError(member, value, `Member must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    throw validationError(member, value, `Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern !== undefined && !matches(rule.pattern, value)) {
    throw validationError(member, value, `Member must satisfy regular expression pattern: ${rule.pattern}`);
  }
  return value;
}

function memberName(param: string): string {
  return param.charAt(0).toLowerCase() + param.slice(1);
}

/** Typed access to one request's parameters. */
export class QueryInput {
  constructor(private readonly params: URLSearchParams) {}

  /** A present parameter checked against `rule`, else `ValidationError` "must not be null". */
  required(name: string, rule: FieldRule): string {
    const value = this.params.get(name);
    if (value === null) throw validationError(memberName(name), null, 'Member must not be null');
    return checkField(memberName(name), value, rule);
  }

  optional(name: string, rule: FieldRule): string | undefined {
    const value = this.params.get(name);
    return value === null ? undefined : checkField(memberName(name), value, rule);
  }

  /** An integer within `[min, max]` (MaxItems, DurationSeconds). */
  integer(name: string, min: number, max: number): number | undefined {
    const raw = this.params.get(name);
    if (raw === null) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value)) {
      throw validationError(memberName(name), raw, 'Member must be an integer');
    }
    if (value < min) {
      throw validationError(memberName(name), raw, `Member must have value greater than or equal to ${min}`);
    }
    if (value > max) {
      throw validationError(memberName(name), raw, `Member must have value less than or equal to ${max}`);
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.params.get(name);
    if (raw === null) return undefined;
    if (raw !== 'true' && raw !== 'false') {
      throw validationError(memberName(name), raw, 'Member must be a boolean');
    }
    return raw === 'true';
  }

  /** One of a fixed set of values (Status, AssignmentStatus, EntityFilter). */
  oneOf<const T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.params.get(name);
    if (raw === null) return undefined;
    if (!(values as readonly string[]).includes(raw)) {
      throw validationError(
        memberName(name),
        raw,
        `Member must satisfy enum value set: [${values.join(', ')}]`,
      );
    }
    return raw as T;
  }

  /** A `Name.member.N` string list. */
  list(name: string, rule: FieldRule): string[] {
    return memberList(this.params, name).map((value) => checkField(memberName(name), value, rule));
  }

  /** `Tags.member.N.Key` / `.Value`, checked against the tag constraints (at most 50 per request). */
  tags(name = 'Tags'): { Key: string; Value: string }[] {
    const tags = memberStructs(this.params, name).map((t) => ({
      Key: checkField('tags.member.key', t.Key ?? '', TAG_FIELDS.key),
      Value: checkField('tags.member.value', t.Value ?? '', TAG_FIELDS.value),
    }));
    if (tags.length > 50) {
      throw validationError(
        'tags',
        `[${tags.length} tags]`,
        'Member must have length less than or equal to 50',
      );
    }
    return tags;
  }

  /** `Marker` and `MaxItems` of a paginated List call (MaxItems 1–1000). */
  page(): { marker: string | undefined; maxItems: number | undefined } {
    return { marker: this.optional('Marker', MARKER_FIELD), maxItems: this.integer('MaxItems', 1, 1000) };
  }
}
