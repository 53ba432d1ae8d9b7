import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { visibilityBackoffSeconds, withConflictRetry } from '../../src/retry.ts';

function awsError(name: string): Error {
  return Object.assign(new Error(name), { name });
}

describe('withConflictRetry (tier 1)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries ConcurrentModification and EntityTemporarilyUnmodifiable, then succeeds', async () => {
    // Prepare
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(awsError('ConcurrentModificationException'))
      .mockRejectedValueOnce(awsError('EntityTemporarilyUnmodifiableException'))
      .mockResolvedValue('ok');
    // Act
    const promise = withConflictRetry(fn, { retries: 4 });
    await vi.runAllTimersAsync();
    // Assess
    await expect(promise).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it.each([
    'NoSuchEntityException',
    'AccessDeniedException',
    'InvalidAuthenticationCodeException',
    'Throttling',
  ])('never retries %s', async (name) => {
    const fn = vi.fn<() => Promise<void>>().mockRejectedValue(awsError(name));
    await expect(withConflictRetry(fn, { retries: 4 })).rejects.toThrow(name);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('gives up after the retry count with the original error and the attempt count', async () => {
    const fn = vi.fn<() => Promise<void>>().mockRejectedValue(awsError('ConcurrentModificationException'));
    const promise = withConflictRetry(fn, { retries: 3 });
    const assertion = expect(promise).rejects.toMatchObject({
      name: 'ConcurrentModificationException',
      attempts: 4,
    });
    await vi.runAllTimersAsync();
    await assertion;
    expect(fn).toHaveBeenCalledTimes(4);
  });

  it('respects the time budget: no attempt starts within attemptBudgetMs of the deadline', async () => {
    const start = Date.now();
    const starts: number[] = [];
    const fn = vi.fn(async () => {
      starts.push(Date.now() - start);
      throw awsError('ConcurrentModificationException');
    });
    const promise = withConflictRetry(fn, {
      retries: 50,
      minTimeoutMs: 500,
      maxTimeoutMs: 500,
      deadline: start + 3000,
      attemptBudgetMs: 1000,
    });
    const assertion = expect(promise).rejects.toThrow('ConcurrentModificationException');
    await vi.runAllTimersAsync();
    await assertion;
    expect(starts.length).toBeGreaterThan(1);
    expect(starts.length).toBeLessThan(6);
    expect(Math.max(...starts)).toBeLessThanOrEqual(2000);
  });

  it('does not retry at all when the deadline has already passed', async () => {
    const fn = vi.fn<() => Promise<void>>().mockRejectedValue(awsError('ConcurrentModificationException'));
    await expect(withConflictRetry(fn, { deadline: Date.now() - 1 })).rejects.toThrow();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('visibilityBackoffSeconds (tier 2)', () => {
  it('doubles per receive from 30 s and caps at 15 minutes', () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => visibilityBackoffSeconds(n, { random: mid }))).toEqual([
      30, 60, 120, 240, 480, 900, 900, 900,
    ]);
  });

  it('jitters within ±20 %', () => {
    expect(visibilityBackoffSeconds(3, { random: () => 0 })).toBe(96);
    expect(visibilityBackoffSeconds(3, { random: () => 0.999999 })).toBe(144);
  });
});
