/**
 * Just enough CloudFormation to read the project's own templates: parse YAML with the short-form intrinsic
 * tags (`!Ref`, `!Sub`, `!If`, …) and evaluate intrinsics for given parameters, so the local cloud can deploy
 * what a stack would really contain (the member role, see member-role.ts) and tests can assert on it, with
 * conditions applied.
 */
import { parse, type Tags } from 'yaml';

const SCALAR_FUNCTIONS = ['Base64', 'GetAZs', 'ImportValue', 'Sub'] as const;
const SEQUENCE_FUNCTIONS = [
  'And',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAtt',
  'If',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
] as const;

const CLOUDFORMATION_TAGS: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  // `!GetAtt Resource.Attribute` is the scalar form of `Fn::GetAtt: [Resource, Attribute]`.
  {
    tag: '!GetAtt',
    resolve: (value: string) => {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    },
  },
  ...SCALAR_FUNCTIONS.map((name) => ({
    tag: `!${name}`,
    resolve: (value: string) => ({ [`Fn::${name}`]: value }),
  })),
  ...SEQUENCE_FUNCTIONS.map((name) => ({
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: unknown) => ({ [`Fn::${name}`]: (value as { toJSON(): unknown }).toJSON() }),
  })),
];

/** A template as plain JSON (long-form intrinsics), from CloudFormation YAML. */
export function parseCloudFormationYaml(text: string): Template {
  return parse(text, { customTags: CLOUDFORMATION_TAGS, version: '1.1' }) as Template;
}

/** A CloudFormation template as plain JSON. */
export interface Template {
  Parameters?: Record<string, ParameterDefinition>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

/** The account, region, partition and parameter values a template is evaluated for. */
export interface EvaluationContext {
  readonly accountId?: string;
  readonly region?: string;
  readonly partition?: string;
  /** Parameter values; a template's defaults fill the rest. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Values of `Fn::GetAtt` (`RemediationQueue.Arn`), where a test needs real ones instead of placeholders. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Conditions forced to a value (e.g. ones the packager fixed from stage parameters). */
  readonly conditions?: Readonly<Record<string, boolean>>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Evaluates the intrinsics of a template fragment: `Ref` to parameters and pseudo parameters, `Fn::Sub`,
 * `Fn::If` (dropping `AWS::NoValue`), conditions, `Fn::Join`, `Fn::Select`, `Fn::Split`. `Ref`/`Fn::GetAtt` to resources become
 * readable placeholders (`<Ref:RemediationQueue>`, `<GetAtt:RemediationQueue.Arn>`).
 */
export function createEvaluator(template: Template, context: EvaluationContext = {}) {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': context.accountId ?? '111111111111',
    'AWS::Region': context.region ?? 'us-east-1',
    'AWS::Partition': context.partition ?? 'aws',
    'AWS::StackName': 'stack',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const parameters: Record<string, string> = {};
  for (const [name, definition] of Object.entries(template.Parameters ?? {})) {
    if (definition.Default !== undefined) parameters[name] = String(definition.Default);
  }
  Object.assign(parameters, context.parameters);

  const refValue = (name: string): string => {
    if (name in pseudo) return pseudo[name] as string;
    if (name in parameters) return parameters[name] as string;
    if (name in template.Resources) return `<Ref:${name}>`;
    throw new Error(`Ref to unknown name "${name}"`);
  };

  const sub = (text: string, variables: Record<string, unknown> = {}): string =>
    text.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (name in variables) return String(evaluate(variables[name]));
      if (name.includes('.')) return context.attributes?.[name] ?? `<GetAtt:${name}>`;
      return refValue(name);
    });

  const conditions = new Map<string, boolean>(Object.entries(context.conditions ?? {}));
  const condition = (name: string): boolean => {
    if (!conditions.has(name)) {
      const definition = template.Conditions?.[name];
      if (definition === undefined) throw new Error(`unknown condition "${name}"`);
      conditions.set(name, Boolean(evaluate(definition)));
    }
    return conditions.get(name) as boolean;
  };

  function evaluate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(evaluate).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      switch (key) {
        case 'Ref':
          return arg === 'AWS::NoValue' ? NO_VALUE : refValue(arg as string);
        case 'Condition':
          return condition(arg as string);
        case 'Fn::Sub':
          return Array.isArray(arg)
            ? sub(arg[0] as string, arg[1] as Record<string, unknown>)
            : sub(arg as string);
        case 'Fn::GetAtt': {
          const [resource, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return context.attributes?.[`${resource}.${attribute}`] ?? `<GetAtt:${resource}.${attribute}>`;
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(evaluate(text)).split(separator);
        }
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return evaluate(condition(name) ? whenTrue : whenFalse);
        }
        case 'Fn::Equals': {
          const [left, right] = (arg as unknown[]).map(evaluate);
          return String(left) === String(right);
        }
        case 'Fn::Not':
          return !evaluate((arg as unknown[])[0]);
        case 'Fn::And':
          return (arg as unknown[]).every((item) => evaluate(item));
        case 'Fn::Or':
          return (arg as unknown[]).some((item) => evaluate(item));
        case 'Fn::Join': {
          const [separator, items] = arg as [string, unknown[]];
          return (evaluate(items) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, items] = arg as [number | string, unknown];
          return (evaluate(items) as unknown[])[Number(index)];
        }
      }
    }
    const result: Record<string, unknown> = {};
    for (const [key, inner] of entries) {
      const evaluated = evaluate(inner);
      if (evaluated !== NO_VALUE) result[key] = evaluated;
    }
    return result;
  }

  /** Resources whose `Condition` holds, with their properties evaluated. */
  const resources = () =>
    Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, resource]) => resource.Condition === undefined || condition(resource.Condition))
        .map(([id, resource]) => [
          id,
          { Type: resource.Type, Properties: evaluate(resource.Properties ?? {}) },
        ]),
    ) as Record<string, { Type: string; Properties: Record<string, unknown> }>;

  return { evaluate, condition, resources };
}

/** A CloudFormation parameter's declaration, with the constraints CloudFormation checks at deploy time. */
export interface ParameterDefinition {
  readonly Type?: string;
  readonly Default?: unknown;
  readonly AllowedValues?: readonly unknown[];
  readonly AllowedPattern?: string;
  readonly MinValue?: number;
  readonly MaxValue?: number;
  readonly MinLength?: number;
  readonly MaxLength?: number;
  readonly ConstraintDescription?: string;
}

/**
 * What CloudFormation says when a parameter value breaks its constraints (CreateStack / UpdateStack fail
 * before any resource changes, naming the parameter); undefined when the value is allowed. AllowedPattern
 * must match the whole value, as CloudFormation requires.
 */
export function parameterError(
  name: string,
  definition: ParameterDefinition,
  raw: unknown,
): string | undefined {
  const value = String(raw ?? '');
  if (definition.AllowedValues && !definition.AllowedValues.map(String).includes(value)) {
    return `Parameter '${name}' must be one of AllowedValues`;
  }
  if (
    definition.AllowedPattern !== undefined &&
    !new RegExp(`^(?:${definition.AllowedPattern})$`).test(value)
  ) {
    return `Parameter '${name}' must match pattern ${definition.AllowedPattern}`;
  }
  if (definition.Type === 'Number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return `Parameter '${name}' must be a number`;
    if (definition.MinValue !== undefined && n < definition.MinValue) {
      return `Parameter '${name}' must be a number not less than ${definition.MinValue}`;
    }
    if (definition.MaxValue !== undefined && n > definition.MaxValue) {
      return `Parameter '${name}' must be a number not greater than ${definition.MaxValue}`;
    }
  }
  if (definition.MinLength !== undefined && value.length < definition.MinLength) {
    return `Parameter '${name}' must contain at least ${definition.MinLength} characters`;
  }
  if (definition.MaxLength !== undefined && value.length > definition.MaxLength) {
    return `Parameter '${name}' must contain at most ${definition.MaxLength} characters`;
  }
  return undefined;
}
