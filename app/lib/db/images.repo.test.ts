import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import {
  addTags,
  candidatesOf,
  defaultFilter,
  galleryKeys,
  getImageBlob,
  IMAGE_SET_TABLES,
  modelsInUse,
  libraryBytes,
  planEviction,
  prepareImageSet,
  putImageSet,
  removeTag,
  saveImageSet,
  setFavorite,
  sha256Hex,
  tableCounts,
  type GalleryFilter,
  type ImageSetInput
} from './images.repo';
import { moveToTrash } from './trash';

const DAY = 86_400_000;
const T0 = 1_800_000_000_000;

function png(seed: number, size = 64): Blob {
  const bytes = new Uint8Array(size);
  bytes.set([137, 80, 78, 71]);
  bytes[8] = seed & 0xff;
  bytes[9] = seed >> 8;
  return new Blob([bytes], { type: 'image/png' });
}

let seed = 0;
function answer(overrides: Partial<ImageSetInput> = {}, sizes: [number, number][] = [[1024, 1024]]): ImageSetInput {
  return {
    prompt: 'a lighthouse at dusk',
    params: { model: 'gpt-image-1', size: '1024x1024' },
    providerId: 'p1',
    providerLabel: 'OpenAI',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    durationMs: 900,
    images: sizes.map(([width, height]) => ({
      blob: png(++seed, 64 + width / 64),
      width,
      height,
      thumb: { blob: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/webp' }), width: 384, height: 384 }
    })),
    ...overrides
  };
}

const filter = (overrides: Partial<GalleryFilter> = {}): GalleryFilter => ({ ...defaultFilter, ...overrides });

describe('images repository', () => {
  let sut: AtelierDatabase;
  beforeEach(() => {
    sut = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await sut.delete();
  });

  it('saves an answer: largest image is main, others are unlisted candidates, hashes and tokens computed', async () => {
    const input = answer({ prompt: '夕阳下的灯塔 lighthouse' }, [[512, 512], [1024, 1536], [1024, 1024]]);
    const saved = await saveImageSet(sut, input);

    expect(saved.main.id).toBe(saved.ids[1]);
    expect(saved.main.sha256).toBe(await sha256Hex(input.images[1]!.blob));
    expect(saved.main.searchTokens).toEqual(expect.arrayContaining(['lighthouse', '灯塔', '夕阳']));
    const candidates = await candidatesOf(sut, saved.main.id);
    expect(candidates.map((row) => row.id)).toEqual([saved.ids[0], saved.ids[2]]);
    expect(candidates.every((row) => row.listed === 0)).toBe(true);
    expect(await galleryKeys(sut, filter())).toEqual([saved.main.id]);
    const blob = await getImageBlob(sut, saved.main.id);
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(new Uint8Array(await input.images[1]!.blob.arrayBuffer()));
    expect(await sut.thumbs.count()).toBe(3);
  });

  it('writes inside a caller transaction together with other tables, or not at all', async () => {
    const prepared = await prepareImageSet(answer());
    await expect(
      sut.transaction('rw', [...IMAGE_SET_TABLES, 'tasks'], async () => {
        await putImageSet(sut, prepared);
        throw new Error('task update failed');
      })
    ).rejects.toThrow('task update failed');
    expect(await sut.images.count()).toBe(0);
    expect(await sut.blobs.count()).toBe(0);

    await sut.transaction('rw', [...IMAGE_SET_TABLES, 'tasks'], () => putImageSet(sut, prepared));
    expect(await sut.images.get(prepared.main.id)).toEqual(prepared.main);
  });

  it('marks answers with input images as edited', async () => {
    const saved = await saveImageSet(sut, answer({ sources: ['ab'.repeat(32)] }));
    expect(saved.main.kind).toBe('edited');
  });

  describe('galleryKeys', () => {
    async function library() {
      const a = await saveImageSet(sut, answer({ createdAt: T0, prompt: 'red lighthouse at dusk', model: 'gpt-image-1' }));
      const b = await saveImageSet(sut, answer({ createdAt: T0 + DAY, prompt: '红色的灯塔，油画', model: 'gemini-2.5-flash-image' }, [[2048, 2048]]));
      const c = await saveImageSet(sut, answer({ createdAt: T0 + 2 * DAY, prompt: 'blue whale', model: 'gpt-image-1', sources: ['00'], sessionId: 's1' }, [[256, 256]]));
      return { a: a.main.id, b: b.main.id, c: c.main.id };
    }

    it('sorts newest, oldest and largest', async () => {
      const { a, b, c } = await library();
      expect(await galleryKeys(sut, filter())).toEqual([c, b, a]);
      expect(await galleryKeys(sut, filter({ sort: 'oldest' }))).toEqual([a, b, c]);
      expect(await galleryKeys(sut, filter({ sort: 'largest' }))).toEqual([b, a, c]);
    });

    it('searches English by word prefix and Chinese by bigrams', async () => {
      const { a, b } = await library();
      expect(await galleryKeys(sut, filter({ text: 'light' }))).toEqual([a]);
      expect(await galleryKeys(sut, filter({ text: '灯塔' }))).toEqual([b]);
      expect(await galleryKeys(sut, filter({ text: '油画 灯塔' }))).toEqual([b]);
      expect(await galleryKeys(sut, filter({ text: '水彩' }))).toEqual([]);
    });

    it('filters by favorite, date range, model, kind and session', async () => {
      const { a, b, c } = await library();
      await setFavorite(sut, [a, c], true);
      expect(await galleryKeys(sut, filter({ favorites: true }))).toEqual([c, a]);
      expect(await galleryKeys(sut, filter({ favorites: true, sort: 'largest' }))).toEqual([a, c]);
      expect(await galleryKeys(sut, filter({ from: T0 + DAY / 2, to: T0 + 3 * DAY / 2 }))).toEqual([b]);
      expect(await galleryKeys(sut, filter({ model: 'gpt-image-1' }))).toEqual([c, a]);
      expect(await galleryKeys(sut, filter({ kind: 'edited' }))).toEqual([c]);
      expect(await galleryKeys(sut, filter({ sessionId: 's1', text: 'whale' }))).toEqual([c]);
      expect(await modelsInUse(sut)).toEqual(['gemini-2.5-flash-image', 'gpt-image-1']);
    });

    it('keeps trashed images out of the library and lists them in the trash', async () => {
      const { a, b, c } = await library();
      await moveToTrash(sut, [b]);
      expect(await galleryKeys(sut, filter())).toEqual([c, a]);
      expect(await galleryKeys(sut, filter({ trash: true }))).toEqual([b]);
      expect((await tableCounts(sut)).trashed).toBe(1);
    });
  });

  it('adds and removes tags without duplicates', async () => {
    const { main } = await saveImageSet(sut, answer({ tags: ['keep'] }));
    await addTags(sut, [main.id], [' poster ', 'keep', '']);
    expect((await sut.images.get(main.id))!.tags).toEqual(['keep', 'poster']);
    await removeTag(sut, [main.id], 'keep');
    expect((await sut.images.get(main.id))!.tags).toEqual(['poster']);
  });

  it('plans eviction of trashed, then oldest non-favorite images, candidates included', async () => {
    const old = await saveImageSet(sut, answer({ createdAt: T0 }, [[1024, 1024], [512, 512]]));
    const fav = await saveImageSet(sut, answer({ createdAt: T0 + 1 }));
    const mid = await saveImageSet(sut, answer({ createdAt: T0 + 2 }));
    const trashed = await saveImageSet(sut, answer({ createdAt: T0 + 3 }));
    const recent = await saveImageSet(sut, answer({ createdAt: T0 + 4 }));
    await setFavorite(sut, [fav.main.id], true);
    await moveToTrash(sut, [trashed.main.id]);
    const per = recent.main.bytes;
    const total = (await sut.images.toArray()).reduce((sum, row) => sum + row.bytes, 0);

    const plan = await planEviction(sut, total - 2 * per);
    expect(plan.ids).toEqual([trashed.main.id, old.main.id]);
    expect(plan.bytes).toBe(per + old.records.reduce((sum, row) => sum + row.bytes, 0));
    expect((await planEviction(sut, 0)).ids).not.toContain(fav.main.id);
    expect((await planEviction(sut, total)).ids).toEqual([]);
    expect(mid.main.id).toBeDefined();
  });

  it('counts the library’s bytes across live, trashed and candidate images', async () => {
    const two = await saveImageSet(sut, answer({ createdAt: T0 }, [[1024, 1024], [512, 512]]));
    const gone = await saveImageSet(sut, answer({ createdAt: T0 + 1 }));
    await moveToTrash(sut, [gone.main.id]);
    const expected = [...two.records, ...gone.records].reduce((sum, row) => sum + row.bytes, 0);
    expect(two.records.length).toBe(2);
    expect(await libraryBytes(sut)).toBe(expected);
  });
});
