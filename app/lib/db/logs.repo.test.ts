import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { DEFAULT_LOG_CAPACITY, LogsRepo, MAX_LOG_DETAIL_CHARS } from './logs.repo';
import type { LogRecord } from './records';

function entry(n: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: 1_000 + n, level: 'info', taskId: null, message: `entry ${n}`, ...overrides };
}

describe('LogsRepo', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('keeps at most 2000 entries by default, dropping the oldest', async () => {
    const sut = new LogsRepo(db);
    expect(DEFAULT_LOG_CAPACITY).toBe(2000);
    await sut.append(Array.from({ length: 1500 }, (_, i) => entry(i)));
    await sut.append(Array.from({ length: 700 }, (_, i) => entry(1500 + i)));

    expect(await db.logs.count()).toBe(2000);
    const recent = await sut.recent();
    expect(recent).toHaveLength(2000);
    expect(recent[0]?.message).toBe('entry 2199');
    expect(recent.at(-1)?.message).toBe('entry 200');
  });

  it('trims to a smaller ring entry by entry as batches arrive', async () => {
    const sut = new LogsRepo(db, 3);
    for (let i = 0; i < 5; i++) await sut.append([entry(i)]);
    expect((await sut.recent()).map((row) => row.message)).toEqual(['entry 4', 'entry 3', 'entry 2']);
    await sut.append([entry(5), entry(6), entry(7), entry(8)]);
    expect((await db.logs.orderBy('seq').toArray()).map((row) => row.message)).toEqual(['entry 6', 'entry 7', 'entry 8']);
  });

  it("lists one task's entries oldest first and cuts a long detail to its limit", async () => {
    const sut = new LogsRepo(db);
    await sut.append([
      entry(1, { taskId: 't1', message: 'Queued' }),
      entry(2, { taskId: 't2', message: 'other task' }),
      entry(3, { taskId: 't1', message: 'Upstream answer', detail: 'x'.repeat(MAX_LOG_DETAIL_CHARS + 500), level: 'debug' })
    ]);
    const rows = await sut.forTask('t1');
    expect(rows.map((row) => row.message)).toEqual(['Queued', 'Upstream answer']);
    expect(rows[1]?.detail).toHaveLength(MAX_LOG_DETAIL_CHARS);
  });

  it('writes nothing for an empty batch and clears the ring', async () => {
    const sut = new LogsRepo(db);
    await sut.append([]);
    expect(await db.logs.count()).toBe(0);
    await sut.append([entry(1)]);
    await sut.clear();
    expect(await sut.recent()).toEqual([]);
  });
});
