import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { countUse, createPrompt, exportPrompts, importPrompts, listPrompts, restorePrompt, trashPrompt, updatePrompt } from './prompts.repo';

describe('prompts.repo', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('titles an untitled prompt from its first words and normalizes tags', async () => {
    const row = await createPrompt(db, { title: ' ', text: 'a lighthouse at dusk, oil painting', tags: ['Oil', 'oil ', ' '] });
    expect(row).toMatchObject({ title: 'a lighthouse at dusk, oil painting', tags: ['oil'], uses: 0, favorite: 0, deletedAt: 0 });
  });

  it('moves prompts to the trash and back', async () => {
    const row = await createPrompt(db, { title: 'Lighthouse', text: 'a lighthouse' });
    await trashPrompt(db, row.id);
    expect(await listPrompts(db)).toEqual([]);
    expect((await listPrompts(db, { trashed: true })).map((p) => p.id)).toEqual([row.id]);
    await restorePrompt(db, row.id);
    expect((await listPrompts(db)).map((p) => p.id)).toEqual([row.id]);
  });

  it('counts uses and keeps edits', async () => {
    const row = await createPrompt(db, { title: 'Fox', text: 'a red fox' });
    await countUse(db, row.id);
    await countUse(db, row.id);
    await updatePrompt(db, row.id, { favorite: 1, category: ' Animals ' });
    expect(await db.prompts.get(row.id)).toMatchObject({ uses: 2, favorite: 1, category: 'Animals' });
  });

  it('round-trips through export and import without duplicating known prompts', async () => {
    await createPrompt(db, { title: 'Fox', text: 'a red fox', category: 'Animals', tags: ['fox'], favorite: 1 });
    const file = JSON.parse(JSON.stringify(await exportPrompts(db)));
    expect(await importPrompts(db, file)).toBe(0);

    const other = new AtelierDatabase(`test-${newId()}`);
    try {
      expect(await importPrompts(other, file)).toBe(1);
      expect((await listPrompts(other))[0]).toMatchObject({ title: 'Fox', text: 'a red fox', category: 'Animals', tags: ['fox'], favorite: 1 });
    } finally {
      await other.delete();
    }
    await expect(importPrompts(db, { prompts: [] })).rejects.toThrow(/not an Atelier prompts file/);
  });
});
