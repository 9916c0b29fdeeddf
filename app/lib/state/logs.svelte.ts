// The logs page's state: the ring read live (newest first), filtered by keyword and level. With the
// live tail off, the list holds still on what was shown while new entries keep arriving.

import { database, type AtelierDatabase } from '$lib/db/database';
import { DEFAULT_LOG_CAPACITY, watchLogs } from '$lib/db/logs.repo';
import type { LogLevel, LogRecord } from '$lib/db/records';
import { Live } from './studio-live.svelte';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export class LogsState {
  keyword = $state('');
  /** Null shows every level. */
  level = $state<LogLevel | null>(null);
  readonly #entries: Live<LogRecord[]>;
  #tail = $state(true);
  #frozen = $state.raw<LogRecord[]>([]);

  constructor(db: AtelierDatabase = database()) {
    this.#entries = new Live(() => watchLogs(db, DEFAULT_LOG_CAPACITY), [] as LogRecord[]);
  }

  get loaded(): boolean {
    return this.#entries.loaded;
  }

  /** Everything in the ring (or what was there when the tail was paused). */
  get all(): LogRecord[] {
    return this.#tail ? this.#entries.current : this.#frozen;
  }

  get entries(): LogRecord[] {
    const needle = this.keyword.trim().toLowerCase();
    const level = this.level;
    return this.all.filter(
      (entry) =>
        (!level || entry.level === level) &&
        (!needle || entry.message.toLowerCase().includes(needle) || entry.taskId?.toLowerCase().includes(needle))
    );
  }

  get tail(): boolean {
    return this.#tail;
  }

  set tail(on: boolean) {
    if (!on) this.#frozen = this.#entries.current;
    this.#tail = on;
  }
}

export const logs = new LogsState();
