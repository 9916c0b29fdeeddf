import { describe, expect, it } from 'vitest';
import type { StageChange } from '$lib/db/tasks.repo';
import { TaskWriter, type TaskWrites, type TaskWritesResult } from './task-writer';

/** A store whose writes finish when the test says so; it records what each write carried. */
function slowStore(queued: Set<string>) {
  const writes: TaskWrites[] = [];
  const pending: (() => void)[] = [];
  const write = (batch: TaskWrites): Promise<TaskWritesResult> => {
    writes.push({ claims: new Map(batch.claims), stages: new Map(batch.stages) });
    return new Promise((resolve) =>
      pending.push(() => {
        const claimed = new Set([...batch.claims.keys()].filter((id) => queued.has(id)));
        const moved = new Set([...batch.stages.keys()].filter((id) => claimed.has(id) || !batch.claims.has(id)));
        resolve({ claimed, moved });
      })
    );
  };
  const finishOne = async () => {
    await Promise.resolve();
    pending.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { write, writes, finishOne };
}

const waiting: StageChange = { stage: 'waiting', at: 1 };
const receiving: StageChange = { stage: 'receiving', at: 2 };

describe('TaskWriter', () => {
  it('writes one batch at a time; what arrives meanwhile goes out together in the next', async () => {
    const store = slowStore(new Set(['a', 'b', 'c']));
    const sut = new TaskWriter(store.write);

    const a = sut.claim('a', 10);
    await Promise.resolve();
    const b = sut.claim('b', 11);
    const c = sut.claim('c', 12);
    const aMoves = sut.stages('a', [waiting]);
    const aMore = sut.stages('a', [receiving]);
    await store.finishOne();
    await store.finishOne();

    expect(store.writes).toHaveLength(2);
    expect([...store.writes[0]!.claims]).toEqual([['a', 10]]);
    expect([...store.writes[1]!.claims]).toEqual([
      ['b', 11],
      ['c', 12]
    ]);
    expect(store.writes[1]!.stages.get('a')).toEqual([waiting, receiving]);
    expect(await Promise.all([a, b, c, aMoves, aMore])).toEqual([true, true, true, true, true]);
  });

  it('reports a claim whose task was canceled meanwhile as refused', async () => {
    const store = slowStore(new Set(['a']));
    const sut = new TaskWriter(store.write);

    const a = sut.claim('a', 1);
    const gone = sut.claim('gone', 1);
    const goneMoves = sut.stages('gone', [waiting]);
    await store.finishOne();

    expect(await Promise.all([a, gone, goneMoves])).toEqual([true, false, false]);
  });

  it('a failed write fails its own callers only; the next batch still goes out', async () => {
    let calls = 0;
    const sut = new TaskWriter(async ({ claims }) => {
      if (calls++ === 0) throw new Error('disk gone');
      return { claimed: new Set(claims.keys()), moved: new Set() };
    });

    const first = sut.claim('a', 1);
    await expect(first).rejects.toThrow('disk gone');
    expect(await sut.claim('b', 2)).toBe(true);
  });
});
