// The prompt library: titled prompts with category, tags, a favorite flag and a usage count.
// Deleting moves a prompt to the trash (deletedAt > 0) so it can be restored.

import { liveQuery } from 'dexie';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import type { PromptRecord } from './records';

export type PromptInput = Pick<PromptRecord, 'title' | 'text'> & Partial<Pick<PromptRecord, 'category' | 'tags' | 'favorite'>>;

/** Live prompts, most recently changed first. The library is small (hundreds), so callers filter in memory. */
export async function listPrompts(db: AtelierDatabase, options: { trashed?: boolean } = {}): Promise<PromptRecord[]> {
  const rows = await db.prompts.orderBy('updatedAt').reverse().toArray();
  return rows.filter((row) => (options.trashed ? row.deletedAt > 0 : row.deletedAt === 0));
}

export async function createPrompt(db: AtelierDatabase, input: PromptInput): Promise<PromptRecord> {
  const now = Date.now();
  const record: PromptRecord = {
    id: newId(now),
    createdAt: now,
    updatedAt: now,
    title: input.title.trim() || firstWords(input.text),
    text: input.text.trim(),
    category: input.category?.trim() ?? '',
    tags: normalizeTags(input.tags ?? []),
    favorite: input.favorite ?? 0,
    uses: 0,
    deletedAt: 0
  };
  await db.prompts.add(record);
  return record;
}

export async function updatePrompt(db: AtelierDatabase, id: string, changes: Partial<PromptInput>): Promise<void> {
  const patch: Partial<PromptRecord> = { updatedAt: Date.now() };
  if (changes.title !== undefined) patch.title = changes.title.trim();
  if (changes.text !== undefined) patch.text = changes.text.trim();
  if (changes.category !== undefined) patch.category = changes.category.trim();
  if (changes.tags !== undefined) patch.tags = normalizeTags(changes.tags);
  if (changes.favorite !== undefined) patch.favorite = changes.favorite;
  await db.prompts.update(id, patch);
}

/** Counts a use (the studio took this prompt). Does not reorder the library by updatedAt. */
export async function countUse(db: AtelierDatabase, id: string): Promise<void> {
  await db.prompts.where('id').equals(id).modify((row) => {
    row.uses += 1;
  });
}

export async function trashPrompt(db: AtelierDatabase, id: string): Promise<void> {
  await db.prompts.update(id, { deletedAt: Date.now() });
}

export async function restorePrompt(db: AtelierDatabase, id: string): Promise<void> {
  await db.prompts.update(id, { deletedAt: 0, updatedAt: Date.now() });
}

export async function purgePrompt(db: AtelierDatabase, id: string): Promise<void> {
  await db.prompts.delete(id);
}

export interface PromptsExport {
  format: 'atelier.prompts';
  version: 1;
  prompts: Array<Pick<PromptRecord, 'title' | 'text' | 'category' | 'tags' | 'favorite' | 'uses'>>;
}

export async function exportPrompts(db: AtelierDatabase): Promise<PromptsExport> {
  const rows = await listPrompts(db);
  return {
    format: 'atelier.prompts',
    version: 1,
    prompts: rows.map(({ title, text, category, tags, favorite, uses }) => ({ title, text, category, tags, favorite, uses }))
  };
}

/**
 * Adds the prompts of an export, skipping any whose text is already in the library (live or
 * trashed), so importing the same file twice adds nothing. Returns how many were added.
 */
export async function importPrompts(db: AtelierDatabase, data: unknown): Promise<number> {
  const root = data as Partial<PromptsExport> | null;
  if (!root || typeof root !== 'object' || root.format !== 'atelier.prompts' || !Array.isArray(root.prompts)) {
    throw new Error('not an Atelier prompts file');
  }
  return db.transaction('rw', db.prompts, async () => {
    const known = new Set((await db.prompts.toArray()).map((row) => row.text.trim()));
    let added = 0;
    for (const raw of root.prompts as unknown[]) {
      const entry = (raw ?? {}) as Record<string, unknown>;
      const text = typeof entry.text === 'string' ? entry.text.trim() : '';
      if (!text || known.has(text)) continue;
      known.add(text);
      const record = await createPrompt(db, {
        title: typeof entry.title === 'string' ? entry.title : '',
        text,
        category: typeof entry.category === 'string' ? entry.category : '',
        tags: Array.isArray(entry.tags) ? entry.tags.filter((tag): tag is string => typeof tag === 'string') : [],
        favorite: entry.favorite === 1 || entry.favorite === true ? 1 : 0
      });
      if (typeof entry.uses === 'number' && entry.uses > 0) await db.prompts.update(record.id, { uses: Math.round(entry.uses) });
      added++;
    }
    return added;
  });
}

export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))];
}

function firstWords(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
}

/** The live (or trashed) prompts, kept current as they change in any tab. */
export function watchPrompts(db: AtelierDatabase, options: { trashed?: boolean } = {}) {
  return liveQuery(() => listPrompts(db, options));
}
