import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { defaultFilter, galleryKeys, saveImageSet, type ImageSetInput } from './images.repo';
import { deleteForever, emptyTrash, moveToTrash, purgeExpired, restoreFromTrash, TRASH_DAYS } from './trash';

const DAY = 86_400_000;

function answer(count = 1): ImageSetInput {
  return {
    prompt: 'still life',
    params: { model: 'm' },
    providerId: 'p',
    providerLabel: 'P',
    dialect: 'openai-images',
    model: 'm',
    durationMs: 1,
    images: Array.from({ length: count }, (_, i) => ({
      blob: new Blob([new Uint8Array([i, Math.random() * 255])], { type: 'image/png' }),
      width: 100 - i,
      height: 100,
      thumb: { blob: new Blob([new Uint8Array([i])], { type: 'image/webp' }), width: 10, height: 10 }
    }))
  };
}

describe('trash', () => {
  let sut: AtelierDatabase;
  beforeEach(() => {
    sut = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await sut.delete();
  });

  it('moves an image and its candidates to the trash and restores them', async () => {
    const { main, ids } = await saveImageSet(sut, answer(3));
    await moveToTrash(sut, [main.id]);
    expect((await sut.images.bulkGet(ids)).every((row) => row!.deletedAt > 0)).toBe(true);
    expect(await galleryKeys(sut, defaultFilter)).toEqual([]);
    await restoreFromTrash(sut, [main.id]);
    expect((await sut.images.bulkGet(ids)).every((row) => row!.deletedAt === 0)).toBe(true);
    expect(await galleryKeys(sut, defaultFilter)).toEqual([main.id]);
  });

  it(`purges only what has been in the trash longer than ${TRASH_DAYS} days, with blobs and thumbs`, async () => {
    const now = 1_800_000_000_000;
    const old = await saveImageSet(sut, answer(2));
    const recent = await saveImageSet(sut, answer());
    const live = await saveImageSet(sut, answer());
    await moveToTrash(sut, [old.main.id], now - (TRASH_DAYS + 1) * DAY);
    await moveToTrash(sut, [recent.main.id], now - DAY);

    expect(await purgeExpired(sut, now)).toBe(2);
    expect(await sut.images.get(old.main.id)).toBeUndefined();
    expect(await sut.blobs.bulkGet(old.ids)).toEqual([undefined, undefined]);
    expect(await sut.thumbs.get(old.main.id)).toBeUndefined();
    expect(await sut.images.get(recent.main.id)).toBeDefined();

    expect(await emptyTrash(sut)).toBe(1);
    expect(await sut.images.toCollection().primaryKeys()).toEqual([live.main.id]);
  });

  it('deletes for good, candidates included', async () => {
    const { main } = await saveImageSet(sut, answer(2));
    await deleteForever(sut, [main.id]);
    expect(await sut.images.count()).toBe(0);
    expect(await sut.blobs.count()).toBe(0);
    expect(await sut.thumbs.count()).toBe(0);
  });
});
