/**
 * Role trust policies: what CreateRole / UpdateAssumeRolePolicy accept, and how STS AssumeRole evaluates one
 * against the calling principal. Written by hand because the maintained simulator (@cloud-copilot/iam-simulate,
 * used by the policy tests) is AGPL-licensed and cannot ship inside this Apache-2.0 package; its tests check
 * this evaluator against that simulator.
 *
 * Evaluation follows IAM's documented logic for a resource-based policy: an explicit Deny wins; otherwise a
 * statement allows when its principal, action and every condition match. Conditions support the string, ARN,
 * Bool and Null operators with `…IfExists` and the `ForAnyValue:` / `ForAllValues:` qualifiers; a key absent
 * from the request matches only negated operators, `…IfExists` and `Null: true`.
 */
import { iamErrors } from './iam-errors.ts';

/** The principal that signed an AssumeRole request, as the trust policy sees it. */
export interface TrustCaller {
  readonly accountId: string;
  /** `arn:aws:iam::ACCOUNT:root`, `arn:aws:iam::ACCOUNT:user/…` or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly arn: string;
  /** For a role session: the role's ARN and unique id (a trust policy names the role, not the session). */
  readonly role?: { readonly arn: string; readonly roleId: string };
  /** For an IAM user signing with its own key: its ARN and unique id. */
  readonly user?: { readonly arn: string; readonly userId: string };
  /** `aws:userid`: the account id for root, the user's id for a user, `ROLEID:SESSION` for a role session. */
  readonly userId: string;
}

/** A parsed trust policy. `principalIds` maps a role ARN named as principal to the role id IAM resolved. */
export interface TrustPolicy {
  readonly statements: readonly TrustStatement[];
  readonly principalIds: ReadonlyMap<string, string>;
}

interface TrustStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly principal?: PrincipalBlock;
  readonly notPrincipal?: PrincipalBlock;
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

type PrincipalBlock = '*' | Readonly<Record<string, readonly string[]>>;

const STS_ACTIONS = /^sts:(AssumeRole\w*|TagSession|SetSourceIdentity|SetContext|\*)$/i;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/;
const USER_ARN = /^arn:aws:iam::\d{12}:user\//;
const ACCOUNT_ROOT = /^(?:arn:aws:iam::)?(\d{12})(?::root)?$/;

function list(value: unknown): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item !== 'string') throw iamErrors.malformedPolicy('Syntax errors in policy.');
    return item;
  });
}

function principalBlock(value: unknown): PrincipalBlock {
  if (value === '*') return '*';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw iamErrors.malformedPolicy('Invalid principal in policy');
  }
  const block: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(value)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) {
      throw iamErrors.malformedPolicy(`Invalid principal in policy: "${type}"`);
    }
    block[type] = list(ids);
  }
  return block;
}

function conditionBlock(value: unknown): TrustStatement['condition'] {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw iamErrors.malformedPolicy('Syntax errors in policy.');
  }
  const out: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!OPERATORS.has(baseOperator(operator))) {
      throw iamErrors.malformedPolicy(`Invalid Condition type : ${operator}.`);
    }
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
      throw iamErrors.malformedPolicy('Syntax errors in policy.');
    }
    out[operator] = Object.fromEntries(
      Object.entries(keys).map(([key, values]) => [key.toLowerCase(), list(values).map(String)]),
    );
  }
  return out;
}

/**
 * Parses and checks a trust policy as IAM does on CreateRole: valid JSON, statements with a principal, only STS
 * actions, no Resource. A role or user named as principal must exist (IAM resolves it to its unique id);
 * `resolve` answers that id, or undefined when there is no such entity.
 */
export function parseTrustPolicy(
  document: string,
  resolve: (principalArn: string) => string | undefined,
): TrustPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw iamErrors.malformedPolicy('This policy contains invalid Json');
  }
  const root = parsed as { Statement?: unknown } | null;
  if (root === null || typeof root !== 'object' || root.Statement === undefined) {
    throw iamErrors.malformedPolicy('Syntax errors in policy.');
  }
  const raw = Array.isArray(root.Statement) ? root.Statement : [root.Statement];
  const principalIds = new Map<string, string>();
  const statements = raw.map((entry): TrustStatement => {
    const s = entry as Record<string, unknown>;
    if (s === null || typeof s !== 'object') throw iamErrors.malformedPolicy('Syntax errors in policy.');
    if ('Resource' in s || 'NotResource' in s)
      throw iamErrors.malformedPolicy('Has prohibited field Resource');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw iamErrors.malformedPolicy('Invalid effect');
    if (s.Principal === undefined && s.NotPrincipal === undefined) {
      throw iamErrors.malformedPolicy('Missing required field Principal');
    }
    const actions = 'Action' in s ? list(s.Action) : undefined;
    const notActions = 'NotAction' in s ? list(s.NotAction) : undefined;
    if (!actions && !notActions) throw iamErrors.malformedPolicy('Missing required field Action');
    for (const action of actions ?? []) {
      if (!STS_ACTIONS.test(action)) {
        throw iamErrors.malformedPolicy('AssumeRole policy may only specify STS AssumeRole actions.');
      }
    }
    const principal = s.Principal === undefined ? undefined : principalBlock(s.Principal);
    const notPrincipal = s.NotPrincipal === undefined ? undefined : principalBlock(s.NotPrincipal);
    for (const block of [principal, notPrincipal]) {
      if (block === undefined || block === '*') continue;
      for (const id of block.AWS ?? []) {
        if (id === '*' || ACCOUNT_ROOT.test(id) || id.startsWith('arn:aws:sts::')) continue;
        if (!/^arn:aws:iam::\d{12}:(role|user)\//.test(id)) {
          throw iamErrors.malformedPolicy(`Invalid principal in policy: "AWS":"${id}"`);
        }
        const uniqueId = resolve(id);
        if (uniqueId === undefined)
          throw iamErrors.malformedPolicy(`Invalid principal in policy: "AWS":"${id}"`);
        principalIds.set(id, uniqueId);
      }
    }
    return {
      effect: s.Effect,
      ...(principal === undefined ? {} : { principal }),
      ...(notPrincipal === undefined ? {} : { notPrincipal }),
      ...(actions === undefined ? {} : { actions }),
      ...(notActions === undefined ? {} : { notActions }),
      condition: conditionBlock(s.Condition),
    };
  });
  return { statements, principalIds };
}

function matchesPrincipal(block: PrincipalBlock, caller: TrustCaller, ids: TrustPolicy['principalIds']) {
  if (block === '*') return true;
  // Only AWS principals can sign a request to the local cloud: no service, federated or canonical callers.
  return (block.AWS ?? []).some((id) => {
    if (id === '*') return true;
    const account = ACCOUNT_ROOT.exec(id);
    if (account) return account[1] === caller.accountId;
    if (id.startsWith('arn:aws:sts::')) return id === caller.arn;
    // A role principal names the role IAM resolved when the policy was saved: a role deleted and created
    // again under the same name is another principal, as on AWS.
    if (ROLE_ARN.test(id)) return caller.role?.arn === id && caller.role.roleId === ids.get(id);
    if (USER_ARN.test(id)) return caller.user?.arn === id && caller.user.userId === ids.get(id);
    return false;
  });
}

/** `StringLike` / `ArnLike` wildcards: `*` any run of characters, `?` one character. */
function like(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

type Compare = (policyValue: string, requestValue: string) => boolean;
const COMPARISONS: Readonly<Record<string, { compare: Compare; negated: boolean }>> = {
  StringEquals: { compare: (p, v) => p === v, negated: false },
  StringNotEquals: { compare: (p, v) => p === v, negated: true },
  StringEqualsIgnoreCase: { compare: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringLike: { compare: like, negated: false },
  StringNotLike: { compare: like, negated: true },
  ArnEquals: { compare: (p, v) => p === v, negated: false },
  ArnNotEquals: { compare: (p, v) => p === v, negated: true },
  ArnLike: { compare: like, negated: false },
  ArnNotLike: { compare: like, negated: true },
  Bool: { compare: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};
const OPERATORS = new Set([...Object.keys(COMPARISONS), 'Null']);

function baseOperator(operator: string): string {
  return operator.replace(/^For(Any|All)Value:/, '').replace(/IfExists$/, '');
}

function conditionHolds(
  operator: string,
  policyValues: readonly string[],
  requestValue: string | undefined,
): boolean {
  const base = baseOperator(operator);
  if (base === 'Null') {
    const wantsAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
    return wantsAbsent === (requestValue === undefined);
  }
  const comparison = COMPARISONS[base];
  if (!comparison) return false;
  if (requestValue === undefined) {
    if (operator.startsWith('ForAnyValue:')) return false;
    if (operator.startsWith('ForAllValues:')) return true;
    return operator.endsWith('IfExists') || comparison.negated;
  }
  const any = policyValues.some((p) => comparison.compare(p, requestValue));
  return comparison.negated ? !any : any;
}

function matchesAction(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => like(p.toLowerCase(), action.toLowerCase()));
}

/**
 * Whether the policy lets `caller` perform `action` (`sts:AssumeRole`) with the request's condition keys
 * (lower-cased names, e.g. `sts:externalid`).
 */
export function trustAllows(
  policy: TrustPolicy,
  caller: TrustCaller,
  action: string,
  context: Readonly<Record<string, string | undefined>>,
): boolean {
  let allowed = false;
  for (const statement of policy.statements) {
    const principal = statement.principal
      ? matchesPrincipal(statement.principal, caller, policy.principalIds)
      : !matchesPrincipal(statement.notPrincipal ?? '*', caller, policy.principalIds);
    const acts = statement.actions
      ? matchesAction(statement.actions, action)
      : !matchesAction(statement.notActions ?? [], action);
    const conditions = Object.entries(statement.condition).every(([operator, keys]) =>
      Object.entries(keys).every(([key, values]) => conditionHolds(operator, values, context[key])),
    );
    if (!principal || !acts || !conditions) continue;
    if (statement.effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}

/** The condition keys of an AssumeRole request (lower-cased), from the caller and the request parameters. */
export function assumeRoleContext(
  caller: TrustCaller,
  request: { externalId?: string | undefined; sessionName: string; organizationId?: string | undefined },
): Record<string, string | undefined> {
  return {
    'aws:principalaccount': caller.accountId,
    'aws:principalarn': caller.role?.arn ?? caller.arn,
    'aws:principaltype': caller.role ? 'AssumedRole' : caller.user ? 'User' : 'Account',
    'aws:userid': caller.userId,
    'aws:principalorgid': request.organizationId,
    'aws:securetransport': 'false',
    'sts:externalid': request.externalId,
    'sts:rolesessionname': request.sessionName,
  };
}
