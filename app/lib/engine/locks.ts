// Leader election with the Web Locks API: every tab's engine asks for one exclusive lock; the
// browser grants it to one of them and, when that tab closes (or crashes), to the next in line.

import type { LeaderLock } from './types';

export const ENGINE_LOCK = 'atelier-engine-leader';

export function webLocksLeader(locks: LockManager, name = ENGINE_LOCK): LeaderLock {
  const leaving = new AbortController();
  return {
    request(run) {
      locks
        .request(name, { signal: leaving.signal }, async () => {
          // The lock is held until `run` settles, and `run` settles when this engine leaves.
          const held = new AbortController();
          if (leaving.signal.aborted) return;
          leaving.signal.addEventListener('abort', () => held.abort(), { once: true });
          await run(held.signal);
        })
        .catch(() => undefined /* AbortError: left before the lock was granted */);
    },
    release() {
      leaving.abort();
    }
  };
}
