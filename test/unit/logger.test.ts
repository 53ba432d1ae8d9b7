import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/logger.ts';
import { captureLogger } from '../helpers/deps.ts';

describe('logger redaction', () => {
  it('never writes seeds, codes, passwords or credentials at any depth', () => {
    const secrets = {
      code1: '123456',
      code2: '654321',
      Base32StringSeed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      password: 'hunter2-Hunter2',
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
      otpauthUri: 'otpauth://totp/AWS:alice?secret=JBSWY3DPEHPK3PXP',
    };
    const { lines, log } = captureLogger();
    log.info(secrets, 'top');
    log.info({ task: secrets }, 'one_deep');
    log.info({ record: { task: secrets } }, 'two_deep');
    log.info({ a: { b: { task: secrets } } }, 'three_deep');
    log.child({ credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' } }).info('child');
    const text = lines.join('');
    expect(lines).toHaveLength(5);
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    expect(text).not.toContain('secretAccessKey":"x');
    expect(text).toContain('[redacted]');
  });

  it('redacts at any depth, in arrays, in errors, in the bindings of children of children, and survives cycles', () => {
    // Prepare
    const { lines, log } = captureLogger();
    const deep = { a: { b: { c: { d: { e: { f: { seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' } } } } } } };
    const error = Object.assign(new Error('AssumeRole failed'), {
      Credentials: { SecretAccessKey: 'ERRORSECRETKEY' },
    });
    const cyclic: Record<string, unknown> = { Password: 'CYCLICPASSWORD' };
    cyclic.self = cyclic;

    // Act
    log.info(deep, 'six_deep');
    log.info({ tasks: [{ code1: '111111' }, [{ code2: '222222' }]] }, 'arrays');
    log.error({ err: error }, 'error_serialised');
    log.warn({ failure: error }, 'error_as_field');
    log.child({ a: 1 }).child({ sessionToken: 'CHILDTOKEN' }).info('grandchild');
    log.info(cyclic, 'cycle');

    // Assess
    const text = lines.join('');
    expect(lines).toHaveLength(6);
    for (const secret of [
      'JBSWY3DPEHPK3PXP',
      '111111',
      '222222',
      'ERRORSECRETKEY',
      'CHILDTOKEN',
      'CYCLICPASSWORD',
    ]) {
      expect(text).not.toContain(secret);
    }
    // What is not secret is kept: the error's message, the structure around the secrets.
    const [, , serialised, asField] = lines.map((line) => JSON.parse(line));
    expect(serialised.err).toMatchObject({ message: 'AssumeRole failed', Credentials: '[redacted]' });
    expect(asField.failure).toMatchObject({ message: 'AssumeRole failed', Credentials: '[redacted]' });
    expect(JSON.parse(lines[1] ?? '{}').tasks).toEqual([{ code1: '[redacted]' }, [{ code2: '[redacted]' }]]);
  });

  it('leaves an object without secrets as it is (no copy)', () => {
    const value = { outcome: 'remediated', nested: { userName: 'bob', at: new Date(0) } };
    expect(redactSecrets(value)).toBe(value);
  });

  it('writes JSON lines with level labels and ISO times', () => {
    const { lines, log } = captureLogger();
    log.info({ outcome: 'remediated' }, 'outcome');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({
      level: 'info',
      msg: 'outcome',
      outcome: 'remediated',
      service: 'mfa-remediation',
    });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
