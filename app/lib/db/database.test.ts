import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import type { ImageRecord } from './records';

function image(overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id: newId(),
    createdAt: Date.now(),
    prompt: 'a lighthouse at dusk',
    params: { model: 'gpt-image-1', size: '1024x1024' },
    providerId: 'p1',
    providerLabel: 'OpenAI',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    width: 1024,
    height: 1024,
    bytes: 1000,
    mime: 'image/png',
    sha256: 'ab'.repeat(32),
    favorite: 0,
    tags: [],
    kind: 'generated',
    sessionId: null,
    taskId: null,
    batchId: null,
    sources: [],
    candidateOf: null,
    listed: 1,
    durationMs: 1200,
    deletedAt: 0,
    searchTokens: ['lighthouse', 'dusk'],
    ...overrides
  };
}

describe('AtelierDatabase', () => {
  let sut: AtelierDatabase | undefined;
  afterEach(async () => {
    await sut?.delete();
  });

  it('pages live images newest first by index, leaving trashed ones out', async () => {
    sut = new AtelierDatabase(`test-${newId()}`);
    const base = 1_800_000_000_000;
    await sut.images.bulkAdd([
      image({ createdAt: base + 1 }),
      image({ createdAt: base + 2, deletedAt: base + 10 }),
      image({ createdAt: base + 3 })
    ]);
    const page = await sut.images
      .where('[deletedAt+createdAt]')
      .between([0, Dexie.minKey], [0, Dexie.maxKey])
      .reverse()
      .toArray();
    expect(page.map((row) => row.createdAt)).toEqual([base + 3, base + 1]);
  });
});
