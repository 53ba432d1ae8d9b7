import { describe, expect, it } from 'vitest';
import { fetchCredentialReport } from '../../src/core/credential-report-fetch.ts';
import { DependencyError, isRetryable } from '../../src/errors.ts';
import { createFakeReports } from '../helpers/fake-reports.ts';

function clock() {
  const state = { now: 1_000_000, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
}

describe('fetchCredentialReport', () => {
  it('returns a cached report with two calls when IAM answers COMPLETE', async () => {
    // Prepare
    const reports = createFakeReports('111111111111', [{ userName: 'bob' }]);
    await reports.generate();
    reports.calls.generate = 0;
    const c = clock();

    // Act
    const report = await fetchCredentialReport(reports, { now: c.now, sleep: c.sleep });

    // Assess
    expect(report.content).toContain('bob');
    expect(reports.calls).toMatchObject({ generate: 1, get: 1 });
    expect(c.state.sleeps).toEqual([]);
  });

  it('polls with exponential backoff until COMPLETE', async () => {
    // Prepare
    const reports = createFakeReports('111111111111');
    reports.pollsUntilComplete = 3;
    const c = clock();

    // Act
    await fetchCredentialReport(reports, { now: c.now, sleep: c.sleep });

    // Assess: STARTED, INPROGRESS ×3, COMPLETE
    expect(reports.calls.generate).toBe(5);
    expect(reports.calls.get).toBe(1);
    expect(c.state.sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  it('caps each wait at maxDelayMs', async () => {
    const reports = createFakeReports('111111111111');
    reports.pollsUntilComplete = 6;
    const c = clock();
    await fetchCredentialReport(reports, { now: c.now, sleep: c.sleep, polling: { maxDelayMs: 3000 } });
    expect(c.state.sleeps).toEqual([500, 1000, 2000, 3000, 3000, 3000, 3000]);
  });

  it('gives up with a retryable ReportInProgress once the total wait is spent', async () => {
    // Prepare
    const reports = createFakeReports('111111111111');
    reports.pollsUntilComplete = 1000;
    const c = clock();

    // Act
    const error = await fetchCredentialReport(reports, {
      now: c.now,
      sleep: c.sleep,
      polling: { maxWaitMs: 5000 },
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).code).toBe('ReportInProgress');
    expect(isRetryable(error)).toBe(true);
    expect(c.state.sleeps.reduce((a, b) => a + b, 0)).toBe(5000);
  });

  it('never waits past the deadline', async () => {
    const reports = createFakeReports('111111111111');
    reports.pollsUntilComplete = 1000;
    const c = clock();
    const error = await fetchCredentialReport(reports, {
      now: c.now,
      sleep: c.sleep,
      deadline: c.state.now + 1200,
    }).catch((e: unknown) => e);
    expect((error as DependencyError).code).toBe('ReportInProgress');
    expect(c.state.sleeps).toEqual([500, 700]);
  });

  it('gives up even with a stopped clock (the bound counts time slept)', async () => {
    const reports = createFakeReports('111111111111');
    reports.pollsUntilComplete = 1000;
    const error = await fetchCredentialReport(reports, {
      now: () => 0,
      sleep: async () => {},
      polling: { maxWaitMs: 10_000 },
    }).catch((e: unknown) => e);
    expect((error as DependencyError).code).toBe('ReportInProgress');
  });

  it('regenerates when the report expired or is not present', async () => {
    // Prepare
    const reports = createFakeReports('111111111111');
    await reports.generate();
    reports.calls.generate = 0;
    reports.getErrors.push('ReportExpired');
    const c = clock();

    // Act
    const report = await fetchCredentialReport(reports, { now: c.now, sleep: c.sleep });

    // Assess: COMPLETE, get → expired, STARTED (instant in the fake), get
    expect(report.content).toContain('<root_account>');
    expect(reports.calls.get).toBe(2);
  });

  it('waits and retries GetCredentialReport on ReportInProgress', async () => {
    const reports = createFakeReports('111111111111');
    await reports.generate();
    reports.getErrors.push('ReportInProgress');
    const c = clock();
    await fetchCredentialReport(reports, { now: c.now, sleep: c.sleep });
    expect(reports.calls.get).toBe(2);
    expect(c.state.sleeps).toEqual([500]);
  });

  it('stops regenerating after maxRegenerations', async () => {
    const reports = createFakeReports('111111111111');
    reports.getErrors.push('ReportNotPresent', 'ReportNotPresent', 'ReportNotPresent');
    const c = clock();
    const error = await fetchCredentialReport(reports, {
      now: c.now,
      sleep: c.sleep,
      polling: { maxRegenerations: 2 },
    }).catch((e: unknown) => e);
    expect((error as DependencyError).code).toBe('ReportNotPresent');
    expect(isRetryable(error)).toBe(false);
  });

  it('checks its polling options', async () => {
    const reports = createFakeReports('111111111111');
    await expect(fetchCredentialReport(reports, { polling: { initialDelayMs: 0 } })).rejects.toThrow(
      TypeError,
    );
  });
});
