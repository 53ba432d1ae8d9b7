import { describe, expect, it } from 'vitest';
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
