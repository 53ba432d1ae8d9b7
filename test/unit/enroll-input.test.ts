import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT_SKELETON, requireParameters, resolveEnrollInput } from '../../src/cli/enroll-input.ts';

const SERIAL = 'arn:aws:iam::210987654321:mfa/BobsMFADevice';

describe('enroll input (the AWS CLI parameters of enable-mfa-device)', () => {
  it('reads the documented flags', () => {
    expect(
      resolveEnrollInput({
        userName: 'Bob',
        serialNumber: SERIAL,
        authenticationCode1: '123456',
        authenticationCode2: '789012',
      }),
    ).toEqual({ userName: 'Bob', serialNumber: SERIAL, code1: '123456', code2: '789012' });
  });

  it('reads --cli-input-json inline and from file://, flags overriding JSON values', () => {
    const json = JSON.stringify({
      ...INPUT_SKELETON,
      UserName: 'Bob',
      SerialNumber: SERIAL,
      AuthenticationCode1: '123456',
      AuthenticationCode2: '789012',
    });
    expect(resolveEnrollInput({ cliInputJson: json, userName: 'Alice' })).toMatchObject({
      userName: 'Alice',
      serialNumber: SERIAL,
      code1: '123456',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'enroll-')), 'input.json');
    writeFileSync(file, json);
    expect(resolveEnrollInput({ cliInputJson: `file://${file}` })).toMatchObject({ userName: 'Bob' });
  });

  it.each([
    [{ userName: 'bob smith' }, '--user-name: must be 1-64'],
    [{ userName: 'x'.repeat(65) }, '--user-name'],
    [{ serialNumber: 'short' }, '--serial-number: must be 9-256'],
    [{ authenticationCode1: '12345' }, '--authentication-code1: must be six digits'],
    [{ authenticationCode2: '12345a' }, '--authentication-code2: must be six digits'],
    [
      { cliInputJson: '{"AuthenticationCode1":"1"}' },
      '--cli-input-json AuthenticationCode1: must be six digits',
    ],
    [{ cliInputJson: '{"Bogus":"1"}' }, '--cli-input-json: unknown parameter "Bogus"'],
    [{ cliInputJson: '{"UserName":1}' }, '--cli-input-json: UserName must be a string'],
    [{ cliInputJson: '[1]' }, '--cli-input-json: must be a JSON object'],
    [{ cliInputJson: '{' }, '--cli-input-json: invalid JSON'],
    [{ cliInputJson: 'file:///nonexistent/input.json' }, '--cli-input-json: cannot read'],
  ])('names the bad flag: %j', (flags, message) => {
    expect(() => resolveEnrollInput(flags)).toThrow(message);
  });

  it('requires parameters by flag name', () => {
    expect(() => requireParameters({ userName: 'bob', code1: '123456' }, ['SerialNumber'])).toThrow(
      '--serial-number is required',
    );
    expect(() => requireParameters({ userName: 'bob' }, ['UserName'])).not.toThrow();
  });
});
