import { describe, expect, it } from 'vitest';
import {
  DependencyError,
  describeError,
  errorCode,
  isConflict,
  isRetryable,
  ValidationError,
} from '../../src/errors.ts';

class ConcurrentModificationException extends Error {
  override name = 'ConcurrentModificationException';
}
class NoSuchEntityException extends Error {
  override name = 'NoSuchEntityException';
}

describe('errors', () => {
  it.each([
    [new ConcurrentModificationException('busy'), 'ConcurrentModification', true],
    [
      Object.assign(new Error('x'), { name: 'EntityTemporarilyUnmodifiableException' }),
      'EntityTemporarilyUnmodifiable',
      true,
    ],
    [new NoSuchEntityException('gone'), 'NoSuchEntity', false],
    [new ValidationError('bad', { field: 'userName' }), 'validation', false],
  ])('classifies %s', (err, code, retryable) => {
    expect(errorCode(err)).toBe(code);
    expect(isConflict(err)).toBe(retryable);
    expect(isRetryable(err)).toBe(retryable);
  });

  it('lets our own errors decide retryability', () => {
    const err = new DependencyError('throttled', {
      service: 'iam',
      operation: 'ListMFADevices',
      code: 'Throttling',
      retryable: true,
    });
    expect(isRetryable(err)).toBe(true);
    expect(describeError(err)).toEqual({ code: 'Throttling', message: 'throttled', retryable: true });
  });
});
