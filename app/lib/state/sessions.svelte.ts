// The sessions panel: every thread, newest first, searchable by title and prompts.

import { database, type AtelierDatabase } from '$lib/db/database';
import type { SessionRecord } from '$lib/db/records';
import { deleteSession, renameSession, watchSessions } from '$lib/db/sessions.repo';
import { Live } from './studio-live.svelte';

/** Sessions whose title or any prompt contains every word typed. */
export function filterSessions(sessions: readonly SessionRecord[], query: string): SessionRecord[] {
  const words = query.normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...sessions];
  return sessions.filter((session) => {
    const haystack = [session.title, ...session.turns.map((turn) => turn.prompt)].join('\n').normalize('NFKC').toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

export class SessionsState {
  #db: () => AtelierDatabase;
  #live: Live<SessionRecord[]>;

  constructor(db: () => AtelierDatabase = database) {
    this.#db = db;
    this.#live = new Live<SessionRecord[]>(() => watchSessions(this.#db()), []);
  }

  get all(): SessionRecord[] {
    return this.#live.current;
  }

  get loaded(): boolean {
    return this.#live.loaded;
  }

  rename(id: string, title: string): Promise<void> {
    return renameSession(this.#db(), id, title);
  }

  remove(id: string): Promise<void> {
    return deleteSession(this.#db(), id);
  }
}

export const sessions = new SessionsState();
