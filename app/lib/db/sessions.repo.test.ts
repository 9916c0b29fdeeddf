import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import type { ImageRecord, TaskRecord } from './records';
import { addTurn, createSession, deleteSession, listSessions, loadHistory, renameSession } from './sessions.repo';

describe('sessions.repo', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('lists sessions most recently used first and titles them from the first prompt', async () => {
    const older = await createSession(db, { providerId: 'p1' });
    const newer = await createSession(db, { providerId: 'p1' });
    await addTurn(db, older.id, { prompt: 'a red fox in snow', inputIds: [], taskId: 't1' }, 'p1');
    const rows = await listSessions(db);
    expect(rows.map((row) => row.id)).toEqual([older.id, newer.id]);
    expect(rows[0]?.title).toBe('a red fox in snow');

    await renameSession(db, older.id, ' Foxes ');
    await deleteSession(db, newer.id);
    expect((await listSessions(db)).map((row) => row.title)).toEqual(['Foxes']);
  });

  it('creates a session under an id chosen beforehand, which its first turn then finds', async () => {
    const id = newId();
    const session = await createSession(db, { id, providerId: 'p1' });
    expect(session.id).toBe(id);
    await addTurn(db, id, { prompt: 'a lighthouse at dawn', inputIds: [], taskId: 't1' }, 'p1');
    expect((await listSessions(db)).map((row) => [row.id, row.title])).toEqual([[id, 'a lighthouse at dawn']]);
  });

  it('builds chat history from answered turns only, with the images sent back', async () => {
    const session = await createSession(db, { providerId: 'p1' });
    await addTurn(db, session.id, { prompt: 'a fox', inputIds: [], taskId: 't1' }, 'p1');
    await addTurn(db, session.id, { prompt: 'oops', inputIds: [], taskId: 't2' }, 'p1');
    // The first turn's task succeeded with one image; the second one failed.
    await db.tasks.bulkAdd([
      { id: 't1', status: 'succeeded', resultIds: ['out1'], inputIds: ['in1'] },
      { id: 't2', status: 'failed', resultIds: [], inputIds: [] }
    ] as unknown as TaskRecord[]);
    await db.images.add({ id: 'out1', candidateOf: null } as unknown as ImageRecord);
    await db.blobs.bulkAdd([
      { id: 'in1', blob: new Blob([new Uint8Array([1, 2])], { type: 'image/png' }) },
      { id: 'out1', blob: new Blob([new Uint8Array([3, 4, 5])], { type: 'image/webp' }) }
    ]);
    const turns = (await db.sessions.get(session.id))?.turns ?? [];
    const history = await loadHistory(db, turns);
    expect(history.map((turn) => turn.role)).toEqual(['user', 'model']);
    expect(history[0]?.parts[0]).toEqual({ text: 'a fox' });
    expect(history[0]?.parts[1]).toMatchObject({ image: { bytes: new Uint8Array([1, 2]) } });
    expect(history[1]?.parts[0]).toMatchObject({ image: { bytes: new Uint8Array([3, 4, 5]), mime: 'image/webp' } });
  });
});
