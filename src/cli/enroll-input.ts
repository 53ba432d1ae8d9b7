/**
 * The input of `mfa-remediation enroll`, read as the AWS CLI reads `aws iam enable-mfa-device`: the flags
 * `--user-name`, `--serial-number`, `--authentication-code1`, `--authentication-code2`, or the same
 * parameters in `--cli-input-json` (inline or `file://path`), flags overriding JSON values. Every value is
 * checked against IAM's own pattern, and an error names the flag (or JSON key) that was wrong.
 */
import { readFileSync } from 'node:fs';
import { PATTERNS } from '../core/model.ts';
import { ValidationError } from '../errors.ts';

/** The request parameters of EnableMFADevice, in the AWS CLI skeleton's order. */
export const ENROLL_PARAMETERS = {
  UserName: { flag: '--user-name', pattern: PATTERNS.userName, rule: '1-64 letters, digits or _+=,.@-' },
  SerialNumber: {
    flag: '--serial-number',
    pattern: PATTERNS.serialNumber,
    rule: '9-256 letters, digits or _+=/:,.@- (for a virtual device, its ARN)',
  },
  AuthenticationCode1: {
    flag: '--authentication-code1',
    pattern: PATTERNS.authenticationCode,
    rule: 'six digits',
  },
  AuthenticationCode2: {
    flag: '--authentication-code2',
    pattern: PATTERNS.authenticationCode,
    rule: 'six digits',
  },
} as const;
export type EnrollParameter = keyof typeof ENROLL_PARAMETERS;

/** `--generate-cli-skeleton` / `--generate-cli-skeleton input`: the JSON `--cli-input-json` takes. */
export const INPUT_SKELETON: Readonly<Record<EnrollParameter, string>> = {
  UserName: '',
  SerialNumber: '',
  AuthenticationCode1: '',
  AuthenticationCode2: '',
};

export interface EnrollFlags {
  readonly userName?: string;
  readonly serialNumber?: string;
  readonly authenticationCode1?: string;
  readonly authenticationCode2?: string;
  readonly cliInputJson?: string;
  /** The same parameters as YAML (`--cli-input-yaml`); read with `parseYaml`, which the caller loads. */
  readonly cliInputYaml?: string;
}

export interface EnrollInput {
  readonly userName?: string;
  readonly serialNumber?: string;
  readonly code1?: string;
  readonly code2?: string;
}

const FLAG_OF: Record<EnrollParameter, keyof EnrollFlags> = {
  UserName: 'userName',
  SerialNumber: 'serialNumber',
  AuthenticationCode1: 'authenticationCode1',
  AuthenticationCode2: 'authenticationCode2',
};

/** Reads `--cli-input-json`: a JSON object of the skeleton's keys, inline or `file://path` as in the AWS CLI. */
export function parseCliInputJson(
  value: string,
  flag = '--cli-input-json',
  parse: (text: string) => unknown = JSON.parse,
): Partial<Record<EnrollParameter, string>> {
  let text = value;
  if (value.startsWith('file://')) {
    try {
      text = readFileSync(value.slice('file://'.length), 'utf8');
    } catch (error) {
      throw new ValidationError(`${flag}: cannot read ${value}: ${(error as Error).message}`, {
        field: flag,
      });
    }
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    const format = flag === '--cli-input-yaml' ? 'YAML' : 'JSON';
    throw new ValidationError(`${flag}: invalid ${format}: ${(error as Error).message.split('\n')[0]}`, {
      field: flag,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError(`${flag}: must be a JSON object like the --generate-cli-skeleton output`, {
      field: flag,
    });
  }
  const known = Object.keys(ENROLL_PARAMETERS);
  const result: Partial<Record<EnrollParameter, string>> = {};
  for (const [key, raw] of Object.entries(parsed)) {
    if (!known.includes(key)) {
      throw new ValidationError(`${flag}: unknown parameter "${key}", must be one of: ${known.join(', ')}`, {
        field: flag,
      });
    }
    if (typeof raw !== 'string') {
      throw new ValidationError(`${flag}: ${key} must be a string`, { field: `${flag} ${key}` });
    }
    result[key as EnrollParameter] = raw;
  }
  return result;
}

/**
 * Merges JSON input and flags (flags win) and validates each present value with IAM's pattern. Whether a
 * value is required depends on the mode and is checked by the caller ({@link requireParameters}).
 */
export function resolveEnrollInput(
  flags: EnrollFlags,
  parseYaml: (text: string) => unknown = () => {
    throw new Error('YAML input is not available');
  },
): EnrollInput {
  if (flags.cliInputJson !== undefined && flags.cliInputYaml !== undefined) {
    throw new ValidationError('--cli-input-json and --cli-input-yaml cannot be combined', {
      field: '--cli-input-yaml',
    });
  }
  const json =
    flags.cliInputJson !== undefined
      ? parseCliInputJson(flags.cliInputJson)
      : flags.cliInputYaml !== undefined
        ? parseCliInputJson(flags.cliInputYaml, '--cli-input-yaml', parseYaml)
        : {};
  const value = (parameter: EnrollParameter): string | undefined => {
    const fromFlag = flags[FLAG_OF[parameter]];
    const raw = fromFlag ?? json[parameter];
    if (raw === undefined) return undefined;
    const { flag, pattern, rule } = ENROLL_PARAMETERS[parameter];
    const inputFlag = flags.cliInputYaml !== undefined ? '--cli-input-yaml' : '--cli-input-json';
    const source = fromFlag === undefined ? `${inputFlag} ${parameter}` : flag;
    if (!pattern.test(raw)) throw new ValidationError(`${source}: must be ${rule}`, { field: source });
    return raw;
  };
  const userName = value('UserName');
  const serialNumber = value('SerialNumber');
  const code1 = value('AuthenticationCode1');
  const code2 = value('AuthenticationCode2');
  return {
    ...(userName === undefined ? {} : { userName }),
    ...(serialNumber === undefined ? {} : { serialNumber }),
    ...(code1 === undefined ? {} : { code1 }),
    ...(code2 === undefined ? {} : { code2 }),
  };
}

const INPUT_KEY: Record<EnrollParameter, keyof EnrollInput> = {
  UserName: 'userName',
  SerialNumber: 'serialNumber',
  AuthenticationCode1: 'code1',
  AuthenticationCode2: 'code2',
};

/** Fails with a usage error naming the first missing parameter's flag, as the AWS CLI does. */
export function requireParameters(
  input: EnrollInput,
  parameters: readonly EnrollParameter[],
  why = '',
): void {
  for (const parameter of parameters) {
    if (input[INPUT_KEY[parameter]] === undefined) {
      const { flag } = ENROLL_PARAMETERS[parameter];
      throw new ValidationError(`${flag} is required${why}`, { field: flag });
    }
  }
}
