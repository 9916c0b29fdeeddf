// What the repositories' live reads share: a change signal per table from Dexie's cross-context
// mutation events (writes from any tab or worker), and the liveQuery-shaped result the state
// classes subscribe to. Each repository decides when to read again (images.repo.ts, tasks.repo.ts).

import { Dexie } from 'dexie';
import type { AtelierDatabase } from './database';

/** A live read: shaped like a Dexie liveQuery, as the state classes take it. */
export interface LiveRead<T> {
  subscribe(observer: { next: (value: T) => void; error?: (error: unknown) => void }): { unsubscribe(): void };
}

/** Calls back after every committed write that changed rows of one table; returns the unsubscribe. */
export function onTableChanged(db: AtelierDatabase, table: string, callback: () => void): () => void {
  const prefix = `idb://${db.name}/${table}/`;
  const listener = (parts: Record<string, unknown>) => {
    // `all`: Dexie's signal that anything may have changed (a page restored from the bfcache).
    // Empty ranges (no `from`) come from writes that matched nothing, such as the trash purge
    // every gallery visit runs: no reason to read again.
    const changed = Object.entries(parts).some(([part, range]) => (part === 'all' || part.startsWith(prefix)) && typeof range === 'object' && range !== null && 'from' in range);
    if (changed) callback();
  };
  Dexie.on.storagemutated.subscribe(listener);
  return () => Dexie.on.storagemutated.unsubscribe(listener);
}
