// The prompt library for the UI: live lists, in-memory search and filters, and the studio's
// suggestions while typing.

import { database, type AtelierDatabase } from '$lib/db/database';
import {
  countUse,
  createPrompt,
  exportPrompts,
  importPrompts,
  purgePrompt,
  restorePrompt,
  trashPrompt,
  updatePrompt,
  watchPrompts,
  type PromptInput
} from '$lib/db/prompts.repo';
import type { PromptRecord } from '$lib/db/records';
import { Live } from './studio-live.svelte';

export interface PromptFilter {
  query: string;
  category: string;
  favoritesOnly: boolean;
}

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Prompts whose title, text, category or tags contain every word of the query (any script). */
export function filterPrompts(prompts: readonly PromptRecord[], filter: PromptFilter): PromptRecord[] {
  const words = fold(filter.query).split(/\s+/).filter(Boolean);
  return prompts.filter((prompt) => {
    if (filter.favoritesOnly && prompt.favorite !== 1) return false;
    if (filter.category && prompt.category !== filter.category) return false;
    if (words.length === 0) return true;
    const haystack = fold([prompt.title, prompt.text, prompt.category, ...prompt.tags].join('\n'));
    return words.every((word) => haystack.includes(word));
  });
}

/**
 * Library prompts worth suggesting for what is typed: the typed text (3+ characters) must appear in
 * the title or text, and it must not already be the whole prompt. Favorites and often-used first.
 */
export function suggestPrompts(prompts: readonly PromptRecord[], typed: string, limit = 5): PromptRecord[] {
  const needle = fold(typed.trim());
  if ([...needle].length < 2) return [];
  return prompts
    .filter((prompt) => fold(prompt.text) !== needle && (fold(prompt.title).includes(needle) || fold(prompt.text).includes(needle)))
    .sort((a, b) => b.favorite - a.favorite || b.uses - a.uses || b.updatedAt - a.updatedAt)
    .slice(0, limit);
}

export class PromptsState {
  #db: () => AtelierDatabase;
  #live: Live<PromptRecord[]>;
  #trash: Live<PromptRecord[]>;

  constructor(db: () => AtelierDatabase = database) {
    this.#db = db;
    this.#live = new Live<PromptRecord[]>(() => watchPrompts(this.#db()), []);
    this.#trash = new Live<PromptRecord[]>(() => watchPrompts(this.#db(), { trashed: true }), []);
  }

  get all(): PromptRecord[] {
    return this.#live.current;
  }

  get loaded(): boolean {
    return this.#live.loaded;
  }

  get trashed(): PromptRecord[] {
    return this.#trash.current;
  }

  /** Categories in use, alphabetical. */
  get categories(): string[] {
    return [...new Set(this.all.map((prompt) => prompt.category).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  }

  create(input: PromptInput): Promise<PromptRecord> {
    return createPrompt(this.#db(), input);
  }

  update(id: string, changes: Partial<PromptInput>): Promise<void> {
    return updatePrompt(this.#db(), id, changes);
  }

  toggleFavorite(prompt: PromptRecord): Promise<void> {
    return updatePrompt(this.#db(), prompt.id, { favorite: prompt.favorite === 1 ? 0 : 1 });
  }

  used(id: string): Promise<void> {
    return countUse(this.#db(), id);
  }

  trash(id: string): Promise<void> {
    return trashPrompt(this.#db(), id);
  }

  restore(id: string): Promise<void> {
    return restorePrompt(this.#db(), id);
  }

  purge(id: string): Promise<void> {
    return purgePrompt(this.#db(), id);
  }

  async exportJson(): Promise<string> {
    return JSON.stringify(await exportPrompts(this.#db()), null, 2);
  }

  importJson(text: string): Promise<number> {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return Promise.reject(new Error('not JSON'));
    }
    return importPrompts(this.#db(), data);
  }
}

export const prompts = new PromptsState();
