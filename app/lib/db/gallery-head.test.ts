import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { galleryHeadScript, readGalleryHead, takeGalleryHead, type GalleryHead } from './gallery-head';
import { defaultFilter, galleryKeys, saveImageSet, type ImageSetInput } from './images.repo';
import { moveToTrash } from './trash';

const T0 = 1_800_000_000_000;

function answer(createdAt: number, prompt: string, images = 1): ImageSetInput {
  return {
    prompt,
    params: { model: 'gpt-image-1', size: '1024x1024' },
    providerId: 'p1',
    providerLabel: 'OpenAI',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    durationMs: 900,
    createdAt,
    images: Array.from({ length: images }, (_, i) => ({
      blob: new Blob([new Uint8Array([137, 80, 78, 71, createdAt % 256, i])], { type: 'image/png' }),
      width: 1024 - i,
      height: 1024,
      thumb: { blob: new Blob([new Uint8Array([82, 73, 70, 70, createdAt % 256, i])], { type: 'image/webp' }), width: 384, height: 384 }
    }))
  };
}

/** Three answers, the middle one trashed, the newest with two candidates. */
async function library(db: AtelierDatabase) {
  const a = await saveImageSet(db, answer(T0, 'red lighthouse'));
  const b = await saveImageSet(db, answer(T0 + 1, 'blue whale'));
  const c = await saveImageSet(db, answer(T0 + 2, 'green forest', 3));
  await moveToTrash(db, [b.main.id]);
  return { a, b, c };
}

function bytesOf(head: GalleryHead, id: string): number[] {
  return [...new Uint8Array(head.thumbs.find((thumb) => thumb.id === id)!.bytes)];
}

describe('the gallery head read ahead of the app', () => {
  let sut: AtelierDatabase;
  beforeEach(() => {
    // The inline script knows the app's database by name.
    sut = new AtelierDatabase('atelier');
  });
  afterEach(async () => {
    await sut.delete();
  });

  it('reads what the grid shows first: the newest main images, rows and thumbnail bytes, no candidates or trash', async () => {
    const { a, c } = await library(sut);
    await sut.open();
    const head = (await readGalleryHead(10, sut.backendDB()))!;

    expect(head.ids).toEqual(await galleryKeys(sut, defaultFilter));
    expect(head.ids).toEqual([c.main.id, a.main.id]);
    expect(head.rows.map((row) => row.prompt)).toEqual(['green forest', 'red lighthouse']);
    expect(head.thumbs.map((thumb) => thumb.type)).toEqual(['image/webp', 'image/webp']);
    expect(bytesOf(head, a.main.id)).toEqual([82, 73, 70, 70, T0 % 256, 0]);
    expect((await readGalleryHead(1, sut.backendDB()))!.ids).toEqual([c.main.id]);
  });

  it('reads the same where the browser lacks getAllRecords() (a cursor instead)', async () => {
    const { a, c } = await library(sut);
    await sut.open();
    const proto = IDBIndex.prototype as { getAllRecords?: unknown };
    const getAllRecords = proto.getAllRecords;
    delete proto.getAllRecords;
    try {
      const head = (await readGalleryHead(10, sut.backendDB()))!;
      expect(head.ids).toEqual([c.main.id, a.main.id]);
      expect(head.rows.map((row) => row.id)).toEqual(head.ids);
      expect(bytesOf(head, c.main.id)).toEqual(bytesOf((await readGalleryHead(1))!, c.main.id));
    } finally {
      proto.getAllRecords = getAllRecords;
    }
  });

  it('runs as the inline script of index.html, on a connection of its own that it closes', async () => {
    const { a, c } = await library(sut);
    sut.close();
    const scope: { __atelierGalleryHead?: Promise<GalleryHead | null> } = {};
    const script = galleryHeadScript(10).replace(/^\s*<script>|<\/script>\s*$/g, '');
    // Only its own source text: no imports, no module variables.
    new Function('window', 'location', script)(scope, { pathname: '/gallery' });
    const head = (await scope.__atelierGalleryHead)!;
    expect(head.ids).toEqual([c.main.id, a.main.id]);
    // Its connection does not hold up the app's own schema work (here: deleting the database).
    await sut.delete();
  });

  it('does nothing on other pages', () => {
    const scope: { __atelierGalleryHead?: unknown } = {};
    const script = galleryHeadScript().replace(/^\s*<script>|<\/script>\s*$/g, '');
    new Function('window', 'location', script)(scope, { pathname: '/settings' });
    expect(scope.__atelierGalleryHead).toBeUndefined();
  });

  it('never creates the database on a first visit', async () => {
    await sut.delete();
    expect(await readGalleryHead(48)).toBeNull();
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain('atelier');
  });

  it('gives its answer to the gallery once, and only in the expected shape', async () => {
    const { c } = await library(sut);
    const scope = globalThis as { __atelierGalleryHead?: Promise<unknown> };
    scope.__atelierGalleryHead = readGalleryHead(1);
    expect((await takeGalleryHead())!.ids).toEqual([c.main.id]);
    expect(takeGalleryHead()).toBeNull();
    scope.__atelierGalleryHead = Promise.resolve({ ids: [1], rows: [], thumbs: [] });
    expect(await takeGalleryHead()).toBeNull();
    scope.__atelierGalleryHead = Promise.reject(new Error('boom'));
    expect(await takeGalleryHead()).toBeNull();
  });
});
