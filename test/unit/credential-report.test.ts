import { describe, expect, it } from 'vitest';
import {
  lacksMfa,
  parseCredentialReport,
  ROOT_ACCOUNT_ROW,
  reportBoolean,
} from '../../src/core/credential-report.ts';
import { ValidationError } from '../../src/errors.ts';
import { renderReport } from '../helpers/fake-reports.ts';

const ACCOUNT = '111111111111';

describe('parseCredentialReport', () => {
  it('types the rows and flags the root row', () => {
    // Prepare
    const csv = renderReport(
      ACCOUNT,
      [
        { userName: 'alice', password: true, mfa: true, accessKeys: 2 },
        { userName: 'bot', password: false, mfa: false, accessKeys: 1 },
      ],
      false,
    );

    // Act
    const rows = parseCredentialReport(csv);

    // Assess
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ user: ROOT_ACCOUNT_ROW, isRoot: true, mfaActive: false });
    expect(rows[0]?.passwordEnabled).toBeUndefined();
    expect(rows[1]).toMatchObject({
      user: 'alice',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      isRoot: false,
      passwordEnabled: true,
      mfaActive: true,
      activeAccessKeys: 2,
      userCreationTime: '2026-01-01T00:00:00+00:00',
    });
    expect(rows[2]).toMatchObject({
      user: 'bot',
      passwordEnabled: false,
      mfaActive: false,
      activeAccessKeys: 1,
    });
  });

  it('reads N/A, not_supported and no_information as unknown, never as a boolean', () => {
    expect(reportBoolean('true')).toBe(true);
    expect(reportBoolean('FALSE')).toBe(false);
    for (const value of ['N/A', 'not_supported', 'no_information', '', undefined]) {
      expect(reportBoolean(value)).toBeUndefined();
    }
  });

  it('handles quoted fields, CRLF line ends and a byte-order mark', () => {
    const csv = '\ufeffuser,arn,password_enabled,mfa_active\r\n"a,b",arn:x,true,false\r\n';
    // A user name cannot contain a comma in IAM, but the parser must not split quoted fields anyway.
    expect(parseCredentialReport(csv)).toEqual([
      {
        user: 'a,b',
        arn: 'arn:x',
        isRoot: false,
        passwordEnabled: true,
        mfaActive: false,
        activeAccessKeys: 0,
      },
    ]);
  });

  it('rejects a document without the required columns', () => {
    expect(() => parseCredentialReport('user,arn\nbob,arn:x\n')).toThrow(ValidationError);
    expect(() => parseCredentialReport('user,arn\nbob,arn:x\n')).toThrow(/password_enabled, mfa_active/);
  });

  it('rejects CSV it cannot parse', () => {
    expect(() => parseCredentialReport('user,arn,password_enabled,mfa_active\n"bob,arn,true\n')).toThrow(
      /not valid CSV/,
    );
  });

  it('returns no rows for a header-only report', () => {
    expect(parseCredentialReport('user,arn,password_enabled,mfa_active\n')).toEqual([]);
  });
});

describe('lacksMfa', () => {
  const rows = parseCredentialReport(
    renderReport(
      ACCOUNT,
      [
        { userName: 'console-no-mfa', password: true, mfa: false },
        { userName: 'console-mfa', password: true, mfa: true },
        { userName: 'keys-no-mfa', password: false, mfa: false, accessKeys: 1 },
        { userName: 'keys-mfa', password: false, mfa: true, accessKeys: 1 },
      ],
      false,
    ),
  );
  const lacking = (scope: 'console-users' | 'all-users') =>
    rows.filter((row) => lacksMfa(row, scope)).map((row) => row.user);

  it('console-users: a console password and no MFA (IAM.5)', () => {
    expect(lacking('console-users')).toEqual(['console-no-mfa']);
  });

  it('all-users: no MFA, password or not (IAM.19)', () => {
    expect(lacking('all-users')).toEqual(['console-no-mfa', 'keys-no-mfa']);
  });

  it('never counts the root row', () => {
    expect(rows.some((row) => row.isRoot && lacksMfa(row, 'all-users'))).toBe(false);
  });
});
