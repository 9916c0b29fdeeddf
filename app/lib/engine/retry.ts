// When a failed attempt is tried again: never for errors a retry cannot fix, otherwise after an
// exponential backoff with jitter that is never shorter than the upstream's Retry-After.

import type { TaskError } from '$lib/db/records';
import type { EngineLimits } from './types';

/** Kinds a retry cannot fix, whatever the error says about itself. */
const NEVER_RETRIED = new Set(['auth', 'bad-request', 'safety', 'quota', 'not-found', 'decode', 'storage']);

export function shouldRetry(error: TaskError, retriesLeft: number): boolean {
  return retriesLeft > 0 && error.retryable === true && !NEVER_RETRIED.has(error.kind);
}

/**
 * Delay before retry number `retry` (1-based): base * 2^(retry-1), scaled by a jitter in
 * [0.5, 1.5) so tabs and tasks that failed together do not come back together, then raised to
 * Retry-After when the upstream gave one, and capped.
 */
export function backoffMs(retry: number, retryAfterMs: number | undefined, limits: Pick<EngineLimits, 'backoffBaseMs' | 'backoffMaxMs'>, random: () => number = Math.random): number {
  const exponential = limits.backoffBaseMs * 2 ** Math.max(0, retry - 1) * (0.5 + random());
  return Math.round(Math.min(limits.backoffMaxMs, Math.max(exponential, retryAfterMs ?? 0)));
}
