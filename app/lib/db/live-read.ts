// What the repositories' live reads share: a change signal per table from Dexie's cross-context
// mutation events (writes from any tab or worker), and the liveQuery-shaped result the state
// classes subscribe to. Each repository decides when to read again (images.repo.ts, tasks.repo.ts).

import { Dexie, cmp, type IndexableType, type IntervalTree, type IntervalTreeNode, type ObservabilitySet } from 'dexie';
import type { AtelierDatabase } from './database';

/** A live read: shaped like a Dexie liveQuery, as the state classes take it. */
export interface LiveRead<T> {
  subscribe(observer: { next: (value: T) => void; error?: (error: unknown) => void }): { unsubscribe(): void };
}

/**
 * Calls back after every committed write that changed rows of one table, with the primary keys it
 * changed when Dexie names them one by one (writes of fewer than 50 rows), or null when it names a
 * range (bulk writes, deletes by range, a page restored from the bfcache): then anything may have
 * changed. Returns the unsubscribe.
 */
export function onTableChanged(db: AtelierDatabase, table: string, callback: (keys: readonly IndexableType[] | null) => void): () => void {
  const prefix = `idb://${db.name}/${table}/`;
  const listener = (parts: ObservabilitySet) => {
    // Empty ranges (no `from`) come from writes that matched nothing, such as the trash purge
    // every gallery visit runs: no reason to read again.
    const changed = Object.entries(parts).filter(([part, range]) => (part === 'all' || part.startsWith(prefix)) && typeof range === 'object' && range !== null && 'from' in range);
    if (changed.length === 0) return;
    const keys = changed.some(([part]) => part === 'all') ? null : pointKeys(parts[prefix]);
    callback(keys);
  };
  Dexie.on.storagemutated.subscribe(listener);
  return () => Dexie.on.storagemutated.unsubscribe(listener);
}

/** The keys of a range tree made only of single keys; null when it holds a wider range (or none). */
function pointKeys(tree: IntervalTree | undefined): IndexableType[] | null {
  if (!tree || !('from' in tree)) return null;
  const keys: IndexableType[] = [];
  // Walked by hand: a tree from another tab or worker arrives as plain objects, not a RangeSet.
  const stack: IntervalTreeNode[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (cmp(node.from, node.to) !== 0) return null;
    keys.push(node.from);
    if (node.l) stack.push(node.l);
    if (node.r) stack.push(node.r);
  }
  return keys;
}

/**
 * One underlying subscription shared by every subscriber of `source`: it starts with the first
 * subscriber, ends with the last, and a subscriber arriving meanwhile gets the latest value at once.
 * For reads several parts of a page want at the same time (the task counts: the shell's badges and
 * the task center), so each write costs one read, not one per reader.
 */
export function shared<T>(source: LiveRead<T>): LiveRead<T> {
  const observers = new Set<{ next: (value: T) => void; error?: (error: unknown) => void }>();
  let subscription: { unsubscribe(): void } | null = null;
  let latest: { value: T } | null = null;
  return {
    subscribe(observer) {
      observers.add(observer);
      if (latest) observer.next(latest.value);
      subscription ??= source.subscribe({
        next: (value) => {
          latest = { value };
          for (const each of [...observers]) each.next(value);
        },
        error: (error) => {
          for (const each of [...observers]) each.error?.(error);
        }
      });
      return {
        unsubscribe() {
          if (!observers.delete(observer) || observers.size > 0) return;
          subscription?.unsubscribe();
          subscription = null;
          latest = null;
        }
      };
    }
  };
}
