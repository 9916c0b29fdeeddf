import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { INBOX_TTL_MS, MAX_SHARED_FILES, putShared, takeShared } from './inbox.repo';

const opened: AtelierDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) {
    db.close();
    await Dexie.delete(db.name);
  }
});

function openDb(): AtelierDatabase {
  const db = new AtelierDatabase(`inbox-${newId()}`);
  opened.push(db);
  return db;
}

function png(name: string, bytes: number[] = [0x89, 0x50, 0x4e, 0x47]): File {
  return new File([new Uint8Array(bytes)], name, { type: 'image/png' });
}

describe('share inbox', () => {
  it('hands the shared images to the studio once, with names, types and bytes intact', async () => {
    const sut = openDb();
    const id = await putShared(sut, [png('a.png', [1, 2, 3]), png('b.png', [4, 5])], { title: 'From Photos', text: 'two shots' });
    expect(id).not.toBeNull();

    const shared = await takeShared(sut, id!);
    expect(shared?.title).toBe('From Photos');
    expect(shared?.text).toBe('two shots');
    expect(shared?.files.map((file) => [file.name, file.type])).toEqual([
      ['a.png', 'image/png'],
      ['b.png', 'image/png']
    ]);
    expect([...new Uint8Array(await shared!.files[0]!.arrayBuffer())]).toEqual([1, 2, 3]);

    expect(await takeShared(sut, id!)).toBeUndefined();
    expect(await sut.inbox.count()).toBe(0);
  });

  it('keeps only images, and refuses a share with none', async () => {
    const sut = openDb();
    const text = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    expect(await putShared(sut, [text])).toBeNull();

    const id = await putShared(sut, [text, png('c.png'), new File([], 'empty.png', { type: 'image/png' })]);
    const shared = await takeShared(sut, id!);
    expect(shared?.files.map((file) => file.name)).toEqual(['c.png']);
  });

  it('names unnamed files and caps a share at MAX_SHARED_FILES', async () => {
    const sut = openDb();
    const many = Array.from({ length: MAX_SHARED_FILES + 3 }, () => png(''));
    const shared = await takeShared(sut, (await putShared(sut, many))!);
    expect(shared?.files).toHaveLength(MAX_SHARED_FILES);
    expect(shared?.files[1]?.name).toBe('shared-2');
  });

  it('drops shares nobody opened within a day when the next one arrives', async () => {
    const sut = openDb();
    const now = Date.now();
    const stale = await putShared(sut, [png('old.png')], {}, now - INBOX_TTL_MS - 1);
    const recent = await putShared(sut, [png('recent.png')], {}, now - 1000);
    await putShared(sut, [png('new.png')], {}, now);

    expect(await takeShared(sut, stale!)).toBeUndefined();
    expect((await takeShared(sut, recent!))?.files[0]?.name).toBe('recent.png');
  });
});
