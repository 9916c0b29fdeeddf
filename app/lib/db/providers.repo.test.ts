import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import {
  createProvider,
  deleteProvider,
  duplicateProvider,
  exportProviders,
  importProviders,
  listProviders,
  setDefaultProvider,
  updateProvider,
  type ProviderInput
} from './providers.repo';

function input(overrides: Partial<ProviderInput> = {}): ProviderInput {
  return { name: 'OpenAI', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-secret-1234', model: 'gpt-image-1', ...overrides };
}

describe('providers.repo', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('makes the first provider the default and keeps one default when another is chosen', async () => {
    const first = await createProvider(db, input());
    const second = await createProvider(db, input({ name: 'Gemini', dialect: 'gemini' }));
    expect(first.isDefault).toBe(1);
    expect(second.isDefault).toBe(0);

    await setDefaultProvider(db, second.id);
    const rows = await listProviders(db);
    expect(rows.map((row) => row.isDefault)).toEqual([0, 1]);
  });

  it('hands the default on when the default provider is deleted', async () => {
    const first = await createProvider(db, input());
    const second = await createProvider(db, input({ name: 'Other' }));
    await deleteProvider(db, first.id);
    expect((await db.providers.get(second.id))?.isDefault).toBe(1);
    expect((await listProviders(db)).map((row) => row.isDefault)).toEqual([1]);
  });

  it('duplicates a provider with its key under a new name, never as the default', async () => {
    const first = await createProvider(db, input());
    const copy = await duplicateProvider(db, first.id, 'OpenAI (copy)');
    expect(copy).toMatchObject({ name: 'OpenAI (copy)', apiKey: 'sk-secret-1234', isDefault: 0 });
    expect(copy?.id).not.toBe(first.id);
  });

  it('trims fields and clamps concurrency and timeout to sane ranges', async () => {
    const row = await createProvider(db, input({ name: '  Mine ', baseUrl: ' http://x/v1 ', concurrency: 99, timeoutMs: 10 }));
    expect(row).toMatchObject({ name: 'Mine', baseUrl: 'http://x/v1', concurrency: 16, timeoutMs: 5000 });
    await updateProvider(db, row.id, { concurrency: 0 });
    expect((await db.providers.get(row.id))?.concurrency).toBe(1);
  });

  it('exports without keys unless asked, and imports what it exported', async () => {
    await createProvider(db, input());
    const withoutKeys = await exportProviders(db, { includeKeys: false });
    expect(JSON.stringify(withoutKeys)).not.toContain('sk-secret-1234');
    const withKeys = await exportProviders(db, { includeKeys: true });
    expect(withKeys.providers[0]?.apiKey).toBe('sk-secret-1234');

    const other = new AtelierDatabase(`test-${newId()}`);
    try {
      expect(await importProviders(other, JSON.parse(JSON.stringify(withoutKeys)))).toBe(1);
      const [row] = await listProviders(other);
      expect(row).toMatchObject({ name: 'OpenAI', apiKey: '', isDefault: 1, dialect: 'openai-images' });
    } finally {
      await other.delete();
    }
  });

  it('refuses files that are not a providers export', async () => {
    await expect(importProviders(db, { providers: [] })).rejects.toThrow(/not an Atelier providers file/);
    await expect(importProviders(db, { format: 'atelier.providers', version: 1, providers: [{ name: 'x', dialect: 'nope', baseUrl: 'http://x' }] })).rejects.toThrow(/incomplete/);
    expect(await listProviders(db)).toEqual([]);
  });
});
