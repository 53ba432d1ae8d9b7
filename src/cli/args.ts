/** Flag parsers that fail with a message naming what was wrong (commander adds the flag's name). */
import { InvalidArgumentError } from 'commander';

export function integerFlag(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export function patternFlag(pattern: RegExp, description: string) {
  return (value: string): string => {
    if (!pattern.test(value)) throw new InvalidArgumentError(`must be ${description}.`);
    return value;
  };
}

/** For repeatable flags: `--account A --account B`. */
export function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}
