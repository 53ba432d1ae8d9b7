import { describe, expect, it } from 'vitest';
import {
  createFaultInjector,
  createPrng,
  FaultSpecError,
  faultError,
  faultStatus,
  formatFaultSpec,
  parseFaultSpec,
} from '../../src/local/cloud/faults.ts';

describe('fault SPEC parser', () => {
  it('parses the reference example', () => {
    // Act
    const rules = parseFaultSpec(
      'iam:write=ConcurrentModification:0.3,iam:write=EntityTemporarilyUnmodifiable:0.1,iam:*=Throttling:0.05',
    );

    // Assess
    expect(
      rules.map(({ service, operation, code, probability }) => ({ service, operation, code, probability })),
    ).toEqual([
      { service: 'iam', operation: 'write', code: 'ConcurrentModification', probability: 0.3 },
      { service: 'iam', operation: 'write', code: 'EntityTemporarilyUnmodifiable', probability: 0.1 },
      { service: 'iam', operation: '*', code: 'Throttling', probability: 0.05 },
    ]);
  });

  it('accepts blanks around rules, a missing probability (= 1) and dotted codes', () => {
    // Act
    const rules = parseFaultSpec(
      ' sqs:SendMessageBatch=AWS.SimpleQueueService.NonExistentQueue , sns:Publish=Throttling:0 ',
    );

    // Assess
    expect(formatFaultSpec(rules)).toBe(
      'sqs:SendMessageBatch=AWS.SimpleQueueService.NonExistentQueue:1,sns:Publish=Throttling:0',
    );
  });

  it('treats an empty or blank SPEC as no rules', () => {
    expect(parseFaultSpec('')).toEqual([]);
    expect(parseFaultSpec('   ')).toEqual([]);
  });

  it.each([
    ['iam:ListUsers', 'iam:ListUsers'],
    ['iam:ListUsers=Throttling:1.5', 'iam:ListUsers=Throttling:1.5'],
    ['iam:ListUsers=Throttling:-0.1', 'iam:ListUsers=Throttling:-0.1'],
    ['iam:ListUsers=Throttling:abc', 'iam:ListUsers=Throttling:abc'],
    ['IAM:ListUsers=Throttling:1', 'IAM:ListUsers=Throttling:1'],
    ['iam:ListUsers=Throttling:1,,sts:*=Throttling:1', ''],
    ['iam=Throttling:1', 'iam=Throttling:1'],
  ])('rejects %j, naming the bad rule', (spec, rule) => {
    // Act
    let error: unknown;
    try {
      parseFaultSpec(spec);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(FaultSpecError);
    expect((error as FaultSpecError).rule).toBe(rule);
    expect((error as FaultSpecError).message).toContain(`"${rule}"`);
  });
});

describe('fault statuses', () => {
  it.each([
    ['ConcurrentModification', 409],
    ['EntityTemporarilyUnmodifiable', 409],
    ['LimitExceeded', 409],
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['RequestThrottled', 403],
    ['AccessDenied', 403],
    ['NoSuchEntity', 404],
    ['ServiceFailure', 500],
    ['InternalError', 500],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
    ['TooManyRequestsException', 429],
    ['SomethingNobodyKnows', 400],
  ])('%s is returned with HTTP %i', (code, status) => {
    expect(faultStatus(code)).toBe(status);
  });

  it('makes 5xx faults the receiver’s and the rest the sender’s', () => {
    // Prepare
    const [outage, conflict] = parseFaultSpec('iam:*=ServiceFailure:1,iam:*=ConcurrentModification:1');

    // Assess
    expect(faultError(outage!)).toMatchObject({ code: 'ServiceFailure', status: 500, fault: 'Receiver' });
    expect(faultError(conflict!)).toMatchObject({
      code: 'ConcurrentModification',
      status: 409,
      fault: 'Sender',
    });
  });
});

describe('fault injector', () => {
  it('matches the service, an exact operation, * and write', () => {
    // Prepare
    const injector = createFaultInjector({
      spec: 'iam:write=ConcurrentModification:1,sts:GetCallerIdentity=Throttling:1',
    });

    // Act + Assess
    expect(injector.draw('iam', 'TagUser', true)?.code).toBe('ConcurrentModification');
    expect(injector.draw('iam', 'ListUsers', false)).toBeUndefined();
    expect(injector.draw('sts', 'GetCallerIdentity', false)?.code).toBe('Throttling');
    expect(injector.draw('sts', 'AssumeRole', false)).toBeUndefined();
    expect(injector.draw('sqs', 'SendMessage', true)).toBeUndefined();
  });

  it('lets the first rule that fires win', () => {
    // Prepare
    const injector = createFaultInjector({ spec: 'iam:TagUser=AccessDenied:1,iam:*=Throttling:1' });

    // Act + Assess
    expect(injector.draw('iam', 'TagUser', true)?.code).toBe('AccessDenied');
    expect(injector.draw('iam', 'UntagUser', true)?.code).toBe('Throttling');
  });

  it('falls through to a later rule when an earlier one does not fire', () => {
    // Prepare
    const injector = createFaultInjector({ spec: 'iam:*=AccessDenied:0,iam:*=Throttling:1' });

    // Act + Assess
    expect(injector.draw('iam', 'ListUsers', false)?.code).toBe('Throttling');
  });

  it('draws reproducibly for a given seed, at about the configured rate', () => {
    // Prepare
    const draws = (seed: number) => {
      const injector = createFaultInjector({ spec: 'iam:*=Throttling:0.3', seed });
      return Array.from({ length: 1000 }, () => injector.draw('iam', 'ListUsers', false) !== undefined);
    };

    // Act
    const first = draws(7);
    const second = draws(7);
    const other = draws(8);

    // Assess
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    const rate = first.filter(Boolean).length / first.length;
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
  });

  it('keeps its rules when a new SPEC is invalid, and reports the current SPEC', () => {
    // Prepare
    const injector = createFaultInjector({ spec: 'iam:*=Throttling:1' });

    // Act
    expect(() => injector.set('iam:*=Throttling:2')).toThrow(FaultSpecError);

    // Assess
    expect(injector.spec()).toBe('iam:*=Throttling:1');
    injector.set('');
    expect(injector.spec()).toBe('');
  });
});

describe('PRNG', () => {
  it('yields numbers in [0, 1)', () => {
    const random = createPrng(42);
    for (let i = 0; i < 1000; i++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
