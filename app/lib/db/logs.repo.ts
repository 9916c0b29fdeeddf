// The engine's log: a capped ring in the `logs` table. Sequence numbers only grow, so trimming the
// ring is one key-range delete of everything older than the newest `capacity` entries.

import { liveQuery, type Observable } from 'dexie';
import type { AtelierDatabase } from './database';
import type { LogRecord } from './records';

export const DEFAULT_LOG_CAPACITY = 2000;
/** The most a `detail` (a raw upstream stream) may hold, so the ring stays small. */
export const MAX_LOG_DETAIL_CHARS = 16 * 1024;

export class LogsRepo {
  readonly #db: AtelierDatabase;
  readonly #capacity: number;

  constructor(db: AtelierDatabase, capacity = DEFAULT_LOG_CAPACITY) {
    this.#db = db;
    this.#capacity = capacity;
  }

  /** Appends entries and drops the oldest beyond the ring's capacity, in one transaction. */
  async append(entries: readonly LogRecord[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((entry) =>
      entry.detail !== undefined && entry.detail.length > MAX_LOG_DETAIL_CHARS ? { ...entry, detail: entry.detail.slice(0, MAX_LOG_DETAIL_CHARS) } : entry
    );
    await this.#db.transaction('rw', this.#db.logs, async () => {
      const last = await this.#db.logs.bulkAdd(rows);
      const cutoff = (last ?? 0) - this.#capacity + 1;
      if (cutoff > 0) await this.#db.logs.where('seq').below(cutoff).delete();
    });
  }

  /** A task's entries, oldest first (its debug view). */
  forTask(taskId: string): Promise<LogRecord[]> {
    return this.#db.logs.where('taskId').equals(taskId).sortBy('seq');
  }

  /** The newest entries, newest first. */
  recent(limit = this.#capacity): Promise<LogRecord[]> {
    return this.#db.logs.orderBy('seq').reverse().limit(limit).toArray();
  }

  clear(): Promise<void> {
    return this.#db.logs.clear();
  }
}

/** The newest entries first; live (the logs page's tail). */
export function watchLogs(db: AtelierDatabase, limit = DEFAULT_LOG_CAPACITY): Observable<LogRecord[]> {
  return liveQuery(() => db.logs.orderBy('seq').reverse().limit(limit).toArray());
}

/** One task's entries, oldest first; live (its debug view). */
export function watchTaskLogs(db: AtelierDatabase, taskId: string): Observable<LogRecord[]> {
  return liveQuery(() => db.logs.where('taskId').equals(taskId).sortBy('seq'));
}
