import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { prepareImageSet } from './images.repo';
import type { TaskError, TaskRecord } from './records';
import { FOLLOW_INTERVAL_MS, QueueFullError, TasksRepo, mergeTasks, queueOrder, watchTaskCounts, watchTasks, type NewTask } from './tasks.repo';

function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    request: { prompt: 'a quiet harbour', model: 'gpt-image-1' },
    providerId: 'p1',
    providerLabel: 'Provider one',
    dialect: 'openai-images',
    sessionId: null,
    batchId: null,
    priority: 10,
    retries: 2,
    ...overrides
  };
}

const upstreamDown: TaskError = { kind: 'upstream', message: 'down', retryable: true };

async function oneImage(taskId: string) {
  return prepareImageSet({
    prompt: 'a quiet harbour',
    params: { model: 'gpt-image-1' },
    providerId: 'p1',
    providerLabel: 'Provider one',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    taskId,
    durationMs: 10,
    images: [
      {
        blob: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }),
        width: 8,
        height: 8,
        thumb: { blob: new Blob([new Uint8Array([4])], { type: 'image/webp' }), width: 8, height: 8 }
      }
    ]
  });
}

describe('TasksRepo', () => {
  let db: AtelierDatabase;
  let sut: TasksRepo;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
    sut = new TasksRepo(db);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('adds a queued task with its input images in one go', async () => {
    const task = await sut.add(newTask({ request: { prompt: 'edit', model: 'm', images: [{ bytes: new Uint8Array([9, 9]), mime: 'image/png' }] } }), 10);
    expect(task).toMatchObject({ status: 'queued', stage: null, attempts: 0, retriesLeft: 2, resultIds: [] });
    expect(task.inputIds).toHaveLength(1);
    expect(await db.blobs.get(task.inputIds[0]!)).toBeDefined();
    expect((await sut.loadInputs(task)).images[0]?.mime).toBe('image/png');
  });

  it('refuses a task beyond the bounded queue with a message that says what to do, and stores nothing', async () => {
    await sut.add(newTask(), 2);
    await sut.add(newTask(), 2);
    const refused = sut.add(newTask({ request: { prompt: 'x', model: 'm', images: [{ bytes: new Uint8Array([1]) }] } }), 2);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toThrow('The queue is full: 2 tasks are already waiting. Wait for some to finish or cancel queued tasks, then submit again.');
    expect(await db.tasks.count()).toBe(2);
    expect(await db.blobs.count()).toBe(0);
  });

  it('orders the queue by priority first (interactive over batch), then first in, first out', async () => {
    const batchOld = await sut.add(newTask({ priority: 0 }), 10, 1_000);
    const batchNew = await sut.add(newTask({ priority: 0 }), 10, 2_000);
    const interactive = await sut.add(newTask({ priority: 10 }), 10, 3_000);
    expect((await sut.queued()).map((task) => task.id)).toEqual([interactive.id, batchOld.id, batchNew.id]);
    expect(queueOrder(interactive, batchOld)).toBeLessThan(0);
    expect(queueOrder(batchOld, batchNew)).toBeLessThan(0);
  });

  it('claims queued tasks once: queued -> running with a new attempt, and never a canceled one', async () => {
    const a = await sut.add(newTask(), 10);
    const b = await sut.add(newTask(), 10);
    const c = await sut.add(newTask(), 10);
    await sut.cancel(b.id);

    const claimed = await sut.claimMany([a.id, b.id, c.id], 5_000);
    expect(claimed.map((task) => task.id)).toEqual([a.id, c.id]);
    expect(claimed[0]).toMatchObject({ status: 'running', stage: 'sending', stageStartedAt: 5_000, attempts: 1, startedAt: 5_000 });
    expect(await sut.claim(a.id)).toBeNull();
    expect((await db.tasks.get(b.id))?.status).toBe('canceled');
  });

  it('keeps the time spent in each stage, whether the moves are written one by one or together', async () => {
    const task = await sut.add(newTask(), 10);
    await sut.claim(task.id, 1_000);
    expect(await sut.setStage(task.id, 'waiting', 1_100)).toBe(true);
    expect(
      await sut.setStages(task.id, [
        { stage: 'receiving', at: 1_400 },
        { stage: 'processing', at: 1_450 }
      ])
    ).toBe(true);
    const saved = await sut.commitResults(task.id, await oneImage(task.id), 1_600, [{ stage: 'saving', at: 1_500 }]);
    expect(saved).toBe(true);
    const row = await db.tasks.get(task.id);
    expect(row?.timings).toEqual({ sending: 100, waiting: 300, receiving: 50, processing: 50, saving: 100 });
    expect(row).toMatchObject({ status: 'succeeded', stage: null, finishedAt: 1_600 });
  });

  it('requeues a failed attempt for a retry (costing one) or for the network (costing none)', async () => {
    const task = await sut.add(newTask(), 10);
    await sut.claim(task.id);
    await sut.requeue(task.id, { notBefore: 9_000, waitingFor: 'retry', error: upstreamDown, consumeRetry: true });
    expect(await db.tasks.get(task.id)).toMatchObject({ status: 'queued', notBefore: 9_000, waitingFor: 'retry', retriesLeft: 1, error: upstreamDown });

    await sut.claim(task.id);
    await sut.requeue(task.id, { notBefore: 0, waitingFor: 'network', error: upstreamDown, consumeRetry: false });
    expect(await db.tasks.get(task.id)).toMatchObject({ status: 'queued', waitingFor: 'network', retriesLeft: 1, attempts: 2 });
  });

  it('ends only running tasks: a cancel from another tab wins over a late failure or a late answer', async () => {
    const task = await sut.add(newTask(), 10);
    await sut.claim(task.id);
    expect(await sut.cancel(task.id)).toBe(true);
    expect(await sut.finish(task.id, 'failed', upstreamDown)).toBe(false);
    expect(await sut.commitResults(task.id, await oneImage(task.id))).toBe(false);
    expect(await db.tasks.get(task.id)).toMatchObject({ status: 'canceled', resultIds: [] });
    expect(await db.images.count()).toBe(0);
    expect(await db.blobs.count()).toBe(0);
    expect(await sut.cancel(task.id)).toBe(false);
  });

  it('marks what a dead leader left running as interrupted, and retry queues it again keeping its images', async () => {
    const task = await sut.add(newTask(), 10);
    await sut.claim(task.id);
    const first = await oneImage(task.id);
    await sut.commitResults(task.id, first);
    expect(await sut.retry(task.id, 2)).toBe(true);
    await sut.claim(task.id);

    expect(await sut.interruptRunning()).toEqual([task.id]);
    expect(await db.tasks.get(task.id)).toMatchObject({ status: 'interrupted', error: { kind: 'interrupted' } });
    expect(await sut.retryFailed(2)).toEqual([task.id]);
    expect(await db.tasks.get(task.id)).toMatchObject({ status: 'queued', error: null, retriesLeft: 2, resultIds: first.ids });
  });

  it('the emergency stop cancels everything unfinished and leaves finished work alone', async () => {
    const done = await sut.add(newTask(), 10);
    await sut.claim(done.id);
    await sut.finish(done.id, 'failed', upstreamDown);
    const running = await sut.add(newTask(), 10);
    await sut.claim(running.id);
    const queued = await sut.add(newTask(), 10);

    expect(await sut.hasUnfinished()).toBe(true);
    expect((await sut.stopAll()).sort()).toEqual([running.id, queued.id].sort());
    expect(await sut.hasUnfinished()).toBe(false);
    expect((await db.tasks.get(done.id))?.status).toBe('failed');
  });

  it('counts every cancel in the cancel epoch, written with the cancel itself; other moves leave it alone', async () => {
    const a = await sut.add(newTask(), 10);
    const b = await sut.add(newTask(), 10);
    const c = await sut.add(newTask(), 10);
    const before = await sut.cancelEpoch();
    await sut.claim(a.id);
    await sut.setStage(a.id, 'waiting');
    await sut.requeue(a.id, { notBefore: 0, waitingFor: 'retry', error: upstreamDown, consumeRetry: true });
    const afterOtherMoves = await sut.cancelEpoch();

    await sut.cancel(b.id);
    const afterCancel = await sut.cancelEpoch();
    await sut.cancelQueued();
    const afterCancelQueued = await sut.cancelEpoch();
    await sut.retry(c.id, 2);
    await sut.stopAll();

    expect(afterOtherMoves).toBe(before);
    expect(afterCancel).toBe(before + 1);
    expect(afterCancelQueued).toBe(before + 2);
    expect(await sut.cancelEpoch()).toBe(before + 3);
  });

  it('a cancel that fails to write leaves the cancel epoch as it was', async () => {
    const task = await sut.add(newTask(), 10);
    const before = await sut.cancelEpoch();
    const failing = () => {
      throw new Error('disk gone');
    };
    db.tasks.hook('updating', failing);
    await expect(sut.cancel(task.id)).rejects.toThrow();
    db.tasks.hook('updating').unsubscribe(failing);

    expect(await sut.cancelEpoch()).toBe(before);
    expect((await db.tasks.get(task.id))?.status).toBe('queued');
  });

  it('writes claims and stage moves of several tasks in one go, refusing a claim whose task was canceled', async () => {
    const a = await sut.add(newTask(), 10);
    const b = await sut.add(newTask(), 10);
    const running = await sut.add(newTask(), 10);
    await sut.claim(running.id, 100);
    await sut.cancel(b.id);

    const result = await sut.writeMany(
      new Map([
        [a.id, 200],
        [b.id, 200]
      ]),
      new Map([
        [a.id, [{ stage: 'waiting' as const, at: 210 }]],
        [b.id, [{ stage: 'waiting' as const, at: 210 }]],
        [running.id, [{ stage: 'receiving' as const, at: 250 }]]
      ])
    );

    expect(result).toEqual({ claimed: new Set([a.id]), moved: new Set([a.id, running.id]) });
    expect(await db.tasks.get(a.id)).toMatchObject({ status: 'running', attempts: 1, startedAt: 200, stage: 'waiting', stageStartedAt: 210, timings: { sending: 10 } });
    expect(await db.tasks.get(b.id)).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(await db.tasks.get(running.id)).toMatchObject({ status: 'running', stage: 'receiving', timings: { sending: 150 } });
  });

  it('follows writes to the tasks table with a few reads for a burst of writes, and ends on the last state', async () => {
    const reads = vi.spyOn(db.tasks, 'orderBy');
    const seen: number[] = [];
    const subscription = watchTasks(db, { limit: 100 }).subscribe({ next: (rows) => seen.push(rows.length) });
    const started = performance.now();
    for (let i = 0; i < 40; i++) await sut.add(newTask(), 100);
    const elapsed = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 3));
    subscription.unsubscribe();

    expect(seen.at(-1)).toBe(40);
    // A liveQuery starts a read for every one of the 40 writes.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(elapsed / FOLLOW_INTERVAL_MS) + 2);
  });

  it('does not read again for writes to other tables, and stops reading once unsubscribed', async () => {
    await db.open(); // creating the database notifies every table once
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reads = vi.spyOn(db.tasks, 'where');
    const seen: Record<string, number>[] = [];
    const subscription = watchTaskCounts(db).subscribe({ next: (counts) => seen.push(counts) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const afterFirst = reads.mock.calls.length;
    await db.settings.put({ key: 'unrelated', value: 1 });
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 2));
    const afterOtherTable = reads.mock.calls.length;
    await sut.add(newTask(), 10);
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 2));
    subscription.unsubscribe();
    await sut.add(newTask(), 10);
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 2));

    expect(afterOtherTable).toBe(afterFirst);
    expect(seen.map((counts) => counts.queued)).toEqual([0, 1]);
  });

  /** Subscribes, lets `work` write, waits for the follow to settle; returns the last list seen. */
  async function followWhile(options: Parameters<typeof watchTasks>[1], work: () => Promise<void>): Promise<TaskRecord[]> {
    let last: TaskRecord[] = [];
    const subscription = watchTasks(db, options).subscribe({ next: (rows) => (last = rows) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await work();
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 3));
    subscription.unsubscribe();
    return last;
  }

  const summary = (rows: TaskRecord[]) => rows.map((row) => `${row.id}:${row.status}:${row.attempts}`);

  it('follows a running queue by reading only the tasks that changed, ending on what a fresh read shows', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await sut.add(newTask(), 100, 1000 + i)).id);
    const fullReads = vi.spyOn(db.tasks, 'orderBy');

    const last = await followWhile({ limit: 100 }, async () => {
      for (const id of ids.slice(0, 6)) await sut.claim(id);
      await sut.add(newTask(), 100, 5000);
      await sut.finish(ids[0]!, 'failed', upstreamDown);
      await sut.commitResults(ids[1]!, await oneImage(ids[1]!));
      await sut.cancel(ids[8]!);
      await db.tasks.delete(ids[11]!);
    });

    const fresh = await db.tasks.orderBy('createdAt').reverse().limit(100).toArray();
    expect(summary(last)).toEqual(summary(fresh));
    expect(last).toHaveLength(12);
    // The first read and the check above; every write after it was followed by reading its rows.
    expect(fullReads.mock.calls.length).toBe(2);
  });

  it('keeps a status filter true as tasks move in and out of it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await sut.add(newTask(), 100, 1000 + i)).id);

    const last = await followWhile({ status: 'running', limit: 100 }, async () => {
      for (const id of ids.slice(0, 5)) await sut.claim(id);
      await sut.finish(ids[2]!, 'failed', upstreamDown);
      await sut.cancel(ids[4]!);
    });

    expect(last.map((row) => row.id)).toEqual([ids[3], ids[1], ids[0]]);
  });

  it('reads the whole window again when a row leaves a list cut at its limit, so the next one moves up', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await sut.add(newTask(), 100, 1000 + i)).id);

    const last = await followWhile({ status: 'queued', limit: 5 }, async () => {
      await sut.claim(ids[7]!);
    });

    const fresh = await db.tasks.where('[status+createdAt]').between(['queued', -Infinity], ['queued', Infinity]).reverse().limit(5).toArray();
    expect(last.map((row) => row.id)).toEqual(fresh.map((row) => row.id));
    expect(last.map((row) => row.id)).toEqual([ids[6], ids[5], ids[4], ids[3], ids[2]]);
  });

  it('reads everything again after a write of many rows at once (Dexie then names no single rows)', async () => {
    for (let i = 0; i < 60; i++) await sut.add(newTask(), 100, 1000 + i);
    const fullReads = vi.spyOn(db.tasks, 'orderBy');

    const last = await followWhile({ limit: 100 }, async () => {
      expect(await sut.cancelQueued()).toHaveLength(60);
    });

    expect(last.every((row) => row.status === 'canceled')).toBe(true);
    expect(fullReads.mock.calls.length).toBe(2);
  });

  it('shares one read of the counts among its subscribers; a late one gets the counts at once', async () => {
    await sut.add(newTask(), 10);
    const reads = vi.spyOn(db, 'transaction');
    const first: number[] = [];
    const one = watchTaskCounts(db).subscribe({ next: (counts) => first.push(counts.queued) });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second: number[] = [];
    const two = watchTaskCounts(db).subscribe({ next: (counts) => second.push(counts.queued) });
    const readsBeforeWrite = reads.mock.calls.length;
    await sut.add(newTask(), 10);
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS * 2));
    one.unsubscribe();
    two.unsubscribe();

    expect(first).toEqual([1, 2]);
    expect(second).toEqual([1, 2]);
    // One counting transaction after the write (the add's own transaction counts too).
    expect(reads.mock.calls.length - readsBeforeWrite).toBe(2);
  });
});
