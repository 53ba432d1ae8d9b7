/**
 * GetFindingsV2 `Filters` (`OcsfFindingFilters`), checked and compiled as Security Hub's model defines them:
 * up to 10 `CompositeFilters` combined by `CompositeOperator`; in each, up to 20 filters of each type and
 * `NestedCompositeFilters`, combined by its `Operator` (AND when absent); field names from the SDK's own
 * enums (`OcsfStringField`, …), so the emulator accepts exactly the fields the model does. A field path reads
 * through arrays (`resources.uid` is every resource's uid): a positive comparison matches when any value
 * does, a negative one when none does. `IpFilters` and `Scopes` are not emulated and say so.
 */
import {
  AllowedOperators,
  DateRangeComparison,
  MapFilterComparison,
  OcsfBooleanField,
  OcsfDateField,
  OcsfMapField,
  OcsfNumberField,
  OcsfStringField,
  StringFilterComparison,
} from '@aws-sdk/client-securityhub';
import { AwsApiError } from '../cloud-types.ts';

/** An OCSF finding as stored: the JSON document it was imported as. */
export type OcsfDocument = Record<string, unknown>;

type Predicate = (finding: OcsfDocument) => boolean;

/** The model's limits: composite filters per request, filters of one type per composite filter. */
export const FILTER_LIMITS = { compositeFilters: 10, filtersPerType: 20, nestingDepth: 3 } as const;

const DAY_MS = 86_400_000;

export const validation = (message: string) => new AwsApiError('ValidationException', message, 400);

/** Every value at a dotted path, reading through arrays at each step. */
export function valuesAt(document: unknown, path: string): unknown[] {
  let values: unknown[] = [document];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const value of values) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== null && typeof item === 'object' && key in item) {
          next.push((item as Record<string, unknown>)[key]);
        }
      }
    }
    values = next;
  }
  return values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

/** Compiles `Filters`; absent = every finding. Throws ValidationException as Security Hub would. */
export function compileOcsfFilters(filters: unknown, now: () => number): Predicate {
  if (filters === undefined || filters === null) return () => true;
  const f = asObject(filters, 'Filters');
  const composites = optionalList(f.CompositeFilters, 'Filters.CompositeFilters');
  if (composites.length > FILTER_LIMITS.compositeFilters) {
    throw validation(`Filters.CompositeFilters can have at most ${FILTER_LIMITS.compositeFilters} filters.`);
  }
  const combine = operator(f.CompositeOperator, 'Filters.CompositeOperator');
  const compiled = composites.map((c, i) => compileComposite(c, `Filters.CompositeFilters[${i}]`, 1, now));
  return join(compiled, combine);
}

function compileComposite(value: unknown, at: string, depth: number, now: () => number): Predicate {
  const c = asObject(value, at);
  if (c.IpFilters !== undefined) {
    throw validation(`${at}.IpFilters: IP address filters are not emulated by the local cloud.`);
  }
  const parts: Predicate[] = [
    ...typed(c.StringFilters, `${at}.StringFilters`, OcsfStringField, compileString),
    ...typed(c.NumberFilters, `${at}.NumberFilters`, OcsfNumberField, compileNumber),
    ...typed(c.BooleanFilters, `${at}.BooleanFilters`, OcsfBooleanField, compileBoolean),
    ...typed(c.DateFilters, `${at}.DateFilters`, OcsfDateField, (field, filter, where) =>
      compileDate(field, filter, where, now),
    ),
    ...typed(c.MapFilters, `${at}.MapFilters`, OcsfMapField, compileMap),
  ];
  const nested = optionalList(c.NestedCompositeFilters, `${at}.NestedCompositeFilters`);
  if (nested.length > 0 && depth >= FILTER_LIMITS.nestingDepth - 1) {
    throw validation(`${at}.NestedCompositeFilters: filters can be nested at most three layers deep.`);
  }
  for (const [i, n] of nested.entries()) {
    parts.push(compileComposite(n, `${at}.NestedCompositeFilters[${i}]`, depth + 1, now));
  }
  return join(parts, operator(c.Operator, `${at}.Operator`));
}

type Leaf = (field: string, filter: Record<string, unknown>, at: string) => Predicate;

/** One list of typed filters: each `{FieldName, Filter}`, the field one of `fields`. */
function typed(list: unknown, at: string, fields: Record<string, string>, compile: Leaf): Predicate[] {
  const entries = optionalList(list, at);
  if (entries.length > FILTER_LIMITS.filtersPerType) {
    throw validation(`${at} can have at most ${FILTER_LIMITS.filtersPerType} filters.`);
  }
  const allowed = new Set(Object.values(fields));
  return entries.map((entry, i) => {
    const where = `${at}[${i}]`;
    const e = asObject(entry, where);
    if (typeof e.FieldName !== 'string' || !allowed.has(e.FieldName)) {
      throw validation(`${where}.FieldName: ${JSON.stringify(e.FieldName)} is not a valid field name.`);
    }
    return compile(e.FieldName, asObject(e.Filter, `${where}.Filter`), `${where}.Filter`);
  });
}

function compileString(field: string, filter: Record<string, unknown>, at: string): Predicate {
  const value = filter.Value;
  if (typeof value !== 'string' || !/\S/.test(value)) {
    throw validation(`${at}.Value must be a string that is not blank.`);
  }
  const comparison = filter.Comparison;
  if (
    typeof comparison !== 'string' ||
    !Object.values(StringFilterComparison).includes(comparison as never)
  ) {
    throw validation(`${at}.Comparison must be one of ${Object.values(StringFilterComparison).join(', ')}.`);
  }
  const test = (s: string): boolean => {
    switch (comparison) {
      case 'EQUALS':
      case 'NOT_EQUALS':
        return s === value;
      case 'PREFIX':
      case 'PREFIX_NOT_EQUALS':
        return s.startsWith(value);
      case 'CONTAINS':
      case 'NOT_CONTAINS':
        return s.includes(value);
      default: // CONTAINS_WORD: the value as a whole word of the field
        return s.split(/[^\p{L}\p{N}_.-]+/u).includes(value);
    }
  };
  const negative = comparison.startsWith('NOT_') || comparison === 'PREFIX_NOT_EQUALS';
  return (finding) => {
    const strings = valuesAt(finding, field).filter((v): v is string => typeof v === 'string');
    return negative ? !strings.some(test) : strings.some(test);
  };
}

function compileNumber(field: string, filter: Record<string, unknown>, at: string): Predicate {
  const bounds: [string, (x: number, b: number) => boolean][] = [
    ['Eq', (x, b) => x === b],
    ['Gt', (x, b) => x > b],
    ['Gte', (x, b) => x >= b],
    ['Lt', (x, b) => x < b],
    ['Lte', (x, b) => x <= b],
  ];
  const given = bounds.filter(([key]) => filter[key] !== undefined);
  if (given.length === 0) throw validation(`${at} needs at least one of Eq, Gt, Gte, Lt, Lte.`);
  for (const [key] of given) {
    if (typeof filter[key] !== 'number') throw validation(`${at}.${key} must be a number.`);
  }
  return (finding) =>
    valuesAt(finding, field).some(
      (v) => typeof v === 'number' && given.every(([key, holds]) => holds(v, filter[key] as number)),
    );
}

function compileBoolean(field: string, filter: Record<string, unknown>, at: string): Predicate {
  if (typeof filter.Value !== 'boolean') throw validation(`${at}.Value must be a boolean.`);
  const wanted = filter.Value;
  return (finding) => valuesAt(finding, field).some((v) => v === wanted);
}

function compileDate(
  field: string,
  filter: Record<string, unknown>,
  at: string,
  now: () => number,
): Predicate {
  const time = (key: 'Start' | 'End') => {
    const value = filter[key];
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw validation(`${at}.${key} must be an ISO 8601 timestamp.`);
    return ms;
  };
  const start = time('Start');
  const end = time('End');
  let range: ((ms: number) => boolean) | undefined;
  if (filter.DateRange !== undefined) {
    const r = asObject(filter.DateRange, `${at}.DateRange`);
    if (typeof r.Value !== 'number' || !Number.isInteger(r.Value) || r.Value < 0) {
      throw validation(`${at}.DateRange.Value must be a whole number of days.`);
    }
    if (r.Unit !== 'DAYS') throw validation(`${at}.DateRange.Unit must be DAYS.`);
    const comparison = r.Comparison ?? DateRangeComparison.WITHIN;
    if (!Object.values(DateRangeComparison).includes(comparison as never)) {
      throw validation(`${at}.DateRange.Comparison must be WITHIN or OLDER_THAN.`);
    }
    const cutoff = () => now() - (r.Value as number) * DAY_MS;
    range = comparison === 'OLDER_THAN' ? (ms) => ms < cutoff() : (ms) => ms >= cutoff();
  }
  if (start === undefined && end === undefined && range === undefined) {
    throw validation(`${at} needs Start, End or DateRange.`);
  }
  return (finding) =>
    valuesAt(finding, field).some((v) => {
      const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
      if (Number.isNaN(ms)) return false;
      return (
        (start === undefined || ms >= start) && (end === undefined || ms <= end) && (range?.(ms) ?? true)
      );
    });
}

/** Map fields: OCSF writes them as `[{name, value}]` lists (tags, control parameters) or as plain objects. */
function compileMap(field: string, filter: Record<string, unknown>, at: string): Predicate {
  const { Key: key, Value: value, Comparison: comparison } = filter;
  if (typeof key !== 'string' || !/\S/.test(key)) throw validation(`${at}.Key must not be blank.`);
  if (typeof value !== 'string' || !/\S/.test(value)) throw validation(`${at}.Value must not be blank.`);
  if (typeof comparison !== 'string' || !Object.values(MapFilterComparison).includes(comparison as never)) {
    throw validation(`${at}.Comparison must be one of ${Object.values(MapFilterComparison).join(', ')}.`);
  }
  const contains = comparison.includes('CONTAINS');
  const test = (s: unknown) => typeof s === 'string' && (contains ? s.includes(value) : s === value);
  return (finding) => {
    const values = valuesAt(finding, field).flatMap((entry) => {
      if (entry === null || typeof entry !== 'object') return [];
      const e = entry as Record<string, unknown>;
      if ('name' in e) return e.name === key ? [e.value] : [];
      return key in e ? [e[key]] : [];
    });
    const hit = values.some(test);
    return comparison.startsWith('NOT_') ? !hit : hit;
  };
}

function join(parts: readonly Predicate[], op: 'AND' | 'OR'): Predicate {
  if (parts.length === 0) return () => true;
  return op === 'OR' ? (f) => parts.some((p) => p(f)) : (f) => parts.every((p) => p(f));
}

function operator(value: unknown, at: string): 'AND' | 'OR' {
  if (value === undefined) return 'AND';
  if (value === AllowedOperators.AND || value === AllowedOperators.OR) return value;
  throw validation(`${at} must be AND or OR.`);
}

function asObject(value: unknown, at: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validation(`${at} must be an object.`);
  }
  return value as Record<string, unknown>;
}

function optionalList(value: unknown, at: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw validation(`${at} must be a list.`);
  return value;
}
