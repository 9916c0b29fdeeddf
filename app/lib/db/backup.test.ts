import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { BackupError, exportBackup, exportSelection, imageFileName, importBackup } from './backup';
import { readEntry, readZipDirectory } from '$lib/imaging/zip';
import { defaultFilter, galleryKeys, saveImageSet, setFavorite, type ImageSetInput } from './images.repo';
import { moveToTrash } from './trash';

function answer(prompt: string, count = 1): ImageSetInput {
  return {
    prompt,
    params: { model: 'gpt-image-1', size: '1024x1024', quality: 'high' },
    providerId: 'p1',
    providerLabel: 'OpenAI',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    durationMs: 1500,
    sessionId: 's1',
    images: Array.from({ length: count }, (_, i) => ({
      blob: new Blob([crypto.getRandomValues(new Uint8Array(2000 + i))], { type: i % 2 ? 'image/webp' : 'image/png' }),
      width: 1024 - i,
      height: 768,
      thumb: { blob: new Blob([crypto.getRandomValues(new Uint8Array(300))], { type: 'image/webp' }), width: 384, height: 288 }
    }))
  };
}

async function bytesOf(blob: Blob | undefined): Promise<number[]> {
  return [...new Uint8Array(await blob!.arrayBuffer())];
}

async function snapshot(db: AtelierDatabase) {
  const images = await db.images.orderBy('id').toArray();
  return {
    images,
    blobs: await Promise.all(images.map(async (row) => bytesOf((await db.blobs.get(row.id))?.blob))),
    thumbs: await Promise.all(images.map(async (row) => {
      const thumb = await db.thumbs.get(row.id);
      return { width: thumb!.width, height: thumb!.height, bytes: await bytesOf(thumb!.blob) };
    })),
    sessions: await db.sessions.toArray(),
    prompts: await db.prompts.toArray(),
    providers: await db.providers.toArray()
  };
}

describe('backup', () => {
  let sut: AtelierDatabase;
  beforeEach(async () => {
    sut = new AtelierDatabase(`test-${newId()}`);
    const a = await saveImageSet(sut, answer('a lighthouse at dusk', 3));
    const b = await saveImageSet(sut, answer('夕阳下的灯塔'));
    await setFavorite(sut, [a.main.id], true);
    await moveToTrash(sut, [b.main.id]);
    await sut.sessions.add({ id: 's1', createdAt: 1, updatedAt: 2, title: '灯塔', providerId: 'p1', turns: [], deletedAt: 0 });
    await sut.prompts.add({ id: 'q1', createdAt: 1, updatedAt: 1, title: 't', text: 'x', category: 'c', tags: [], favorite: 0, uses: 3, deletedAt: 0 });
    await sut.providers.add({
      id: 'p1', createdAt: 1, name: 'OpenAI', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-secret',
      model: 'gpt-image-1', concurrency: 2, timeoutMs: 1000, isDefault: 1, params: {}
    });
  });
  afterEach(async () => {
    await sut.delete();
  });

  it('round-trips: export, wipe, import gives byte-identical images and equal fields (keys removed)', async () => {
    const before = await snapshot(sut);
    const archive = await exportBackup(sut);
    expect(await archive.text()).not.toContain('sk-secret');

    await sut.delete();
    sut = new AtelierDatabase(`test-${newId()}`);
    const progress: number[] = [];
    const result = await importBackup(sut, archive, (done) => progress.push(done));

    expect(result).toEqual({ added: 4, skipped: 0, sessions: 1, prompts: 1, presets: 0, providers: 1 });
    expect(progress.at(-1)).toBe(4);
    const after = await snapshot(sut);
    expect(after.images).toEqual(before.images);
    expect(after.blobs).toEqual(before.blobs);
    expect(after.thumbs).toEqual(before.thumbs);
    expect(after.sessions).toEqual(before.sessions);
    expect(after.prompts).toEqual(before.prompts);
    expect(after.providers).toEqual([{ ...before.providers[0], apiKey: '' }]);
    expect(await galleryKeys(sut, { ...defaultFilter, text: '灯塔', trash: true })).toHaveLength(1);
  });

  it('merges by content hash: importing into a library that has the images adds no duplicates', async () => {
    const archive = await exportBackup(sut);
    const extra = await saveImageSet(sut, answer('new since the backup'));
    const result = await importBackup(sut, archive);
    expect(result.added).toBe(0);
    expect(result.skipped).toBe(4);
    expect(await sut.images.count()).toBe(5);
    expect(await sut.images.get(extra.main.id)).toBeDefined();
    expect((await sut.providers.get('p1'))!.apiKey).toBe('sk-secret');
  });

  it('refuses a truncated archive and writes nothing', async () => {
    const archive = await exportBackup(sut);
    const target = new AtelierDatabase(`test-${newId()}`);
    try {
      await expect(importBackup(target, archive.slice(0, Math.floor(archive.size * 0.7)))).rejects.toMatchObject({ kind: 'truncated' });
      expect(await target.images.count()).toBe(0);
      expect(await target.blobs.count()).toBe(0);
    } finally {
      await target.delete();
    }
  });

  it('refuses an archive with a damaged image byte and writes nothing', async () => {
    const bytes = new Uint8Array(await (await exportBackup(sut)).arrayBuffer());
    // Flip a byte in the middle of the image data (past the small JSON entries at the start).
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    const target = new AtelierDatabase(`test-${newId()}`);
    try {
      await expect(importBackup(target, new Blob([bytes]))).rejects.toBeInstanceOf(BackupError);
      expect(await target.images.count()).toBe(0);
    } finally {
      await target.delete();
    }
  });

  it('refuses a file that is not a backup', async () => {
    await expect(importBackup(sut, new Blob(['hello']))).rejects.toMatchObject({ kind: 'truncated' });
    const { zipBlob } = await import('$lib/imaging/zip');
    await expect(importBackup(sut, await zipBlob([{ name: 'a.txt', data: new Uint8Array(1) }]))).rejects.toMatchObject({ kind: 'not-a-backup' });
  });

  it('zips a selection: the originals byte for byte, a recipe beside each, and metadata.json', async () => {
    const keys = await galleryKeys(sut, defaultFilter);
    const chosen = (await sut.images.bulkGet(keys))[0]!;
    const progress: number[] = [];
    const archive = await exportSelection(sut, [chosen.id], (done) => progress.push(done));
    const directory = await readZipDirectory(archive);
    const file = imageFileName(chosen);
    expect(directory.map((entry) => entry.name)).toEqual([`images/${file}`, `images/${file.replace(/\.\w+$/, '')}.recipe.json`, 'metadata.json']);
    expect([...(await readEntry(archive, directory[0]!))]).toEqual(await bytesOf((await sut.blobs.get(chosen.id))?.blob));
    const metadata = JSON.parse(new TextDecoder().decode(await readEntry(archive, directory[2]!)));
    expect(metadata.images).toMatchObject([{ id: chosen.id, file: `images/${file}`, prompt: chosen.prompt }]);
    expect(progress).toEqual([1]);
  });
});
