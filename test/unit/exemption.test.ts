/**
 * Expiring exemptions (docs/reference.md: State on the IAM user): `mfa-remediation:exempt` with an ISO-8601
 * date or time exempts until then; after it the next finding or sweep remediates the user (the sweep enqueues
 * every user lacking MFA whatever its tags); a value that is not a date exempts indefinitely and says so.
 */
import { describe, expect, it } from 'vitest';
import { exemptionOf, parseExemptUntil } from '../../src/core/exemption.ts';
import { guardPolicyArn, Outcome, TAGS, type WorkItem } from '../../src/core/model.ts';
import { runAccountSweep } from '../../src/core/sweep.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { ACCOUNT, captureLogger, createTestDeps, itemContext, NOW, testConfig } from '../helpers/deps.ts';
import { createFakeReports, createFakeTaskQueue } from '../helpers/fake-reports.ts';

const work: WorkItem = {
  type: 'mfa-missing',
  accountId: ACCOUNT,
  userName: 'bob',
  trigger: { source: 'sweep', sweepId: 'sweep-1' },
};

describe('parseExemptUntil', () => {
  it.each([
    ['2026-12-31', '2026-12-31T00:00:00.000Z'],
    ['2026-12-31T17:30', '2026-12-31T17:30:00.000Z'],
    ['2026-12-31T17:30:05Z', '2026-12-31T17:30:05.000Z'],
    ['2026-12-31T17:30:05.123456z', '2026-12-31T17:30:05.123Z'],
    ['2026-12-31T17:30:00+02:00', '2026-12-31T15:30:00.000Z'],
    ['2026-12-31T01:00:00-05:30', '2026-12-31T06:30:00.000Z'],
    [' 2028-02-29 ', '2028-02-29T00:00:00.000Z'],
  ])('%j is %s', (value, iso) => {
    expect(parseExemptUntil(value)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    'emergency access',
    '2026-02-30',
    '2027-02-29',
    '2026-13-01',
    '2026-12-31T24:00',
    '31/12/2026',
    '2026-12-31T10:00+25:00',
    '20261231',
  ])('%j is not a date', (value) => {
    expect(parseExemptUntil(value)).toBeUndefined();
  });
});

describe('exemptionOf', () => {
  const tagged = (value: string) => ({ [TAGS.exempt]: value });

  it('exempts until a future date, not after it, and indefinitely for a note or an empty value', () => {
    expect(exemptionOf('bob', tagged('2026-12-01'), [], NOW)).toEqual({
      exempt: true,
      until: new Date('2026-12-01T00:00:00.000Z'),
      reason: 'tagged mfa-remediation:exempt until 2026-12-01T00:00:00.000Z',
    });
    expect(exemptionOf('bob', tagged('2026-11-23T10:00:00Z'), [], NOW)).toEqual({
      exempt: false,
      expiredAt: new Date('2026-11-23T10:00:00.000Z'),
    });
    expect(exemptionOf('bob', tagged('break-glass'), [], NOW)).toMatchObject({
      exempt: true,
      reason: expect.stringContaining('is not an ISO-8601 date, so the exemption does not expire'),
    });
    expect(exemptionOf('bob', tagged(''), [], NOW)).toEqual({
      exempt: true,
      reason: 'tagged mfa-remediation:exempt',
    });
    expect(exemptionOf('bob', tagged('2020-01-01'), ['b*'], NOW)).toEqual({
      exempt: true,
      reason: 'matches EXEMPT_USERS',
    });
    expect(exemptionOf('bob', {}, [], NOW)).toEqual({ exempt: false });
  });
});

describe('the workflow with dated exemptions', () => {
  it('reports exempt with exemptUntil while the date is ahead, and releases a user it had contained', async () => {
    // Prepare
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob', {
      tags: {
        [TAGS.exempt]: '2026-12-24',
        [TAGS.state]: 'enrollment-required',
        [TAGS.since]: '2026-11-20T10:00:00.000Z',
        [TAGS.deadline]: '2026-11-23T10:00:00.000Z',
      },
      policies: [guardPolicyArn(ACCOUNT)],
    });
    // Act
    const [outcome] = await runWorkItem(work, deps, itemContext(deps));
    // Assess
    expect(Outcome.parse(outcome)).toMatchObject({
      outcome: 'exempt',
      exemptUntil: '2026-12-24T00:00:00.000Z',
      reason: 'tagged mfa-remediation:exempt until 2026-12-24T00:00:00.000Z',
    });
    expect(bob.policies.size).toBe(0);
    expect(bob.tags).toEqual({ [TAGS.exempt]: '2026-12-24' });
  });

  it('resumes remediation once the date has passed: contained, with the expiry in the reason', async () => {
    // Prepare
    const deps = createTestDeps();
    const bob = deps.iam.addUser('bob', { tags: { [TAGS.exempt]: '2026-11-22' } });
    // Act
    const [outcome] = await runWorkItem(work, deps, itemContext(deps));
    // Assess
    expect(outcome).toMatchObject({
      outcome: 'enrollment-required',
      reason: 'no MFA device; console password present; exemption expired 2026-11-22T00:00:00.000Z',
      deadline: '2026-11-26T10:00:00.000Z',
    });
    expect(outcome?.exemptUntil).toBeUndefined();
    expect(bob.policies.has(guardPolicyArn(ACCOUNT))).toBe(true);
    expect(bob.tags[TAGS.exempt]).toBe('2026-11-22');
  });

  it('is picked up by the sweep: users lacking MFA are enqueued whatever their exemption tag says', async () => {
    // Prepare: the sweep reads the credential report only; tag exemptions are the worker's to decide.
    const reports = createFakeReports(ACCOUNT, [{ userName: 'bob', password: true, mfa: false }]);
    const queue = createFakeTaskQueue();
    // Act
    const result = await runAccountSweep(
      { accountId: ACCOUNT, sweepId: 'sweep-1' },
      { reports, tasks: queue, now: () => NOW, log: captureLogger().log, config: testConfig() },
    );
    // Assess
    expect(result.tasks).toEqual([expect.objectContaining({ type: 'mfa-missing', userName: 'bob' })]);
  });
});
