import { describe, expect, it } from 'vitest';
import type { TaskError } from '$lib/db/records';
import { backoffMs, shouldRetry } from './retry';

const limits = { backoffBaseMs: 1_000, backoffMaxMs: 60_000 };
const fixed = (value: number) => () => value;

function failure(kind: string, retryable = true): TaskError {
  return { kind, message: `${kind} went wrong`, retryable };
}

describe('shouldRetry', () => {
  it('retries retryable errors while retries are left', () => {
    expect(shouldRetry(failure('upstream'), 2)).toBe(true);
    expect(shouldRetry(failure('rate-limit'), 1)).toBe(true);
    expect(shouldRetry(failure('network'), 1)).toBe(true);
    expect(shouldRetry(failure('timeout'), 1)).toBe(true);
  });

  it('stops when no retries are left or the error says it is final', () => {
    expect(shouldRetry(failure('upstream'), 0)).toBe(false);
    expect(shouldRetry(failure('upstream', false), 2)).toBe(false);
  });

  it('never retries auth, bad-request or safety errors, even when they claim to be retryable', () => {
    for (const kind of ['auth', 'bad-request', 'safety', 'quota', 'decode', 'storage']) {
      expect(shouldRetry(failure(kind, true), 2), kind).toBe(false);
    }
  });
});

describe('backoffMs', () => {
  it('doubles per retry around the base delay', () => {
    // random() = 0.5 is the middle of the jitter: exactly base * 2^(retry-1).
    expect([1, 2, 3, 4].map((retry) => backoffMs(retry, undefined, limits, fixed(0.5)))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('spreads retries with a jitter of 0.5x to 1.5x', () => {
    expect(backoffMs(2, undefined, limits, fixed(0))).toBe(1_000);
    expect(backoffMs(2, undefined, limits, fixed(0.999))).toBe(2_998);
    const seen = new Set(Array.from({ length: 50 }, () => backoffMs(3, undefined, limits)));
    for (const delay of seen) {
      expect(delay).toBeGreaterThanOrEqual(2_000);
      expect(delay).toBeLessThan(6_000);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('never comes back sooner than the Retry-After the upstream gave', () => {
    expect(backoffMs(1, 7_000, limits, fixed(0))).toBe(7_000);
    // A Retry-After shorter than the backoff does not shorten it.
    expect(backoffMs(3, 500, limits, fixed(0.5))).toBe(4_000);
  });

  it('is capped, Retry-After included', () => {
    expect(backoffMs(20, undefined, limits, fixed(0.9))).toBe(60_000);
    expect(backoffMs(1, 10 * 60_000, limits, fixed(0.5))).toBe(60_000);
  });
});
