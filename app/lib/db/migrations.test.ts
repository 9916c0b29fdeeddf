// Every schema version has a test here that writes data the way that version did (a raw Dexie
// declared with the version's frozen schema, no app code) and opens it with today's
// AtelierDatabase. When version N+1 arrives: freeze version N's stores below as SCHEMA_VN, seed
// with it, open AtelierDatabase, and check the upgraded rows (new defaults, moved fields, indexes
// that answer queries). Snapshots are never edited once a version has shipped.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { candidatesOf, defaultFilter, galleryKeys } from './images.repo';

/** Version 1 as declared before anything shipped (image tables; see database.ts). */
const SCHEMA_V1 = {
  images:
    'id, createdAt, sha256, [deletedAt+createdAt], [listed+deletedAt+id], [listed+deletedAt+bytes+id], [listed+favorite+deletedAt+id], sessionId, taskId, batchId, model, kind, candidateOf, *tags, *searchTokens',
  blobs: 'id',
  thumbs: 'id'
};

/** A v1 image row written field by field, as v1 code wrote it (not through today's types). */
function v1Image(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    createdAt: 1_800_000_000_000,
    prompt: '雨中的霓虹街道 neon street in the rain',
    params: { model: 'gpt-image-1', size: '1024x1024' },
    providerId: 'p1',
    providerLabel: 'OpenAI',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    width: 1024,
    height: 1024,
    bytes: 3,
    mime: 'image/png',
    sha256: 'cd'.repeat(32),
    favorite: 0,
    tags: ['night'],
    kind: 'generated',
    sessionId: null,
    taskId: null,
    batchId: null,
    sources: [],
    candidateOf: null,
    listed: 1,
    durationMs: 1000,
    deletedAt: 0,
    searchTokens: ['neon', 'street', 'in', 'the', 'rain', '霓虹', '街道'],
    ...extra
  };
}

const opened: Dexie[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) {
    db.close();
    await Dexie.delete(db.name);
  }
});

async function seedV1(name: string, seed: (db: Dexie) => Promise<void>): Promise<void> {
  const raw = new Dexie(name);
  raw.version(1).stores(SCHEMA_V1);
  await seed(raw);
  raw.close();
}

describe('migrations', () => {
  it('keeps the v1 snapshot equal to what AtelierDatabase declares for the image tables', async () => {
    const name = `migrate-${newId()}`;
    const current = new AtelierDatabase(name);
    opened.push(current);
    await current.open();
    current.close();
    // Open without a schema: Dexie reads the indexes the database actually has.
    const dynamic = new Dexie(name);
    await dynamic.open();
    const indexes = (table: string) =>
      dynamic
        .table(table)
        .schema.indexes.map((index) => index.src)
        .sort();
    const expected = (stores: string) =>
      stores
        .split(',')
        .slice(1)
        .map((part) => part.trim())
        .sort();
    for (const [table, stores] of Object.entries(SCHEMA_V1)) expect(indexes(table), table).toEqual(expected(stores));
    dynamic.close();
  });

  it('opens v1 image data with today’s database: rows, blobs and indexes intact', async () => {
    const name = `migrate-${newId()}`;
    const [main, candidate, trashed] = [newId(), newId(), newId()];
    await seedV1(name, async (db) => {
      await db.table('images').bulkAdd([
        v1Image(main, { favorite: 1 }),
        v1Image(candidate, { candidateOf: main, listed: 0 }),
        v1Image(trashed, { deletedAt: 1_800_000_100_000 })
      ]);
      await db.table('blobs').add({ id: main, blob: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }) });
      await db.table('thumbs').add({ id: main, blob: new Blob([new Uint8Array([9])], { type: 'image/webp' }), width: 384, height: 384 });
    });

    const sut = new AtelierDatabase(name);
    opened.push(sut);
    expect(await galleryKeys(sut, defaultFilter)).toEqual([main]);
    expect(await galleryKeys(sut, { ...defaultFilter, text: '霓虹 rai', favorites: true })).toEqual([main]);
    expect(await galleryKeys(sut, { ...defaultFilter, trash: true })).toEqual([trashed]);
    expect((await candidatesOf(sut, main)).map((row) => row.id)).toEqual([candidate]);
    const blob = (await sut.blobs.get(main))!.blob;
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3]);
    expect((await sut.thumbs.get(main))!.width).toBe(384);
  });
});
