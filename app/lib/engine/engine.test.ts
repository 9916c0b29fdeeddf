import 'fake-indexeddb/auto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { imageInfo } from '$lib/core/extract/sniff';
import { AtelierDatabase } from '$lib/db/database';
import { newId } from '$lib/db/ids';
import type { ProviderRecord, TaskRecord, TaskStatus } from '$lib/db/records';
import { startUpstream, type TestUpstream } from '../../../tests/upstream/server.ts';
import { Engine, type EngineDeps } from './engine';
import { NetworkState } from './network';
import { broadcastChannel, type ImageTools, type LeaderLock } from './types';

// ---- Stand-ins for what the browser gives the worker --------------------------------------------

/** Web Locks semantics in memory: one holder at a time, the next request in line gets it. */
class LockHub {
  #queue: (() => Promise<void>)[] = [];
  #busy = false;

  lock(): LeaderLock {
    const leaving = new AbortController();
    return {
      request: (run) => {
        this.#queue.push(async () => {
          if (leaving.signal.aborted) return;
          const held = new AbortController();
          leaving.signal.addEventListener('abort', () => held.abort(), { once: true });
          await run(held.signal);
        });
        this.#next();
      },
      release: () => leaving.abort()
    };
  }

  #next(): void {
    if (this.#busy) return;
    const grant = this.#queue.shift();
    if (!grant) return;
    this.#busy = true;
    void grant().finally(() => {
      this.#busy = false;
      this.#next();
    });
  }
}

/** Measures with the real header parser; the "thumbnail" is a token blob (OffscreenCanvas is browser-only). */
const images: ImageTools = {
  async process(bytes) {
    const info = imageInfo(bytes);
    if (!info) throw new Error('not an image');
    const scale = Math.min(1, 384 / Math.max(info.width, info.height));
    return {
      width: info.width,
      height: info.height,
      thumbnail: { blob: new Blob([bytes.slice(0, 32)], { type: 'image/webp' }), width: Math.round(info.width * scale), height: Math.round(info.height * scale) }
    };
  },
  async preview(bytes, mime) {
    return new Blob([bytes.slice(0, 32)], { type: mime });
  }
};

// ---- Fixtures -----------------------------------------------------------------------------------

let upstream: TestUpstream;
const opened: { dbs: AtelierDatabase[]; engines: Engine[] }[] = [];

beforeAll(async () => {
  upstream = await startUpstream({ port: 0 });
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  for (const { dbs, engines } of opened.splice(0)) {
    await Promise.all(engines.map((engine) => engine.close()));
    for (const db of dbs) db.close();
    await dbs[0]!.delete();
  }
  upstream.reset();
  vi.restoreAllMocks();
});

async function provider(db: AtelierDatabase, overrides: Partial<ProviderRecord> = {}): Promise<ProviderRecord> {
  const row: ProviderRecord = {
    id: newId(),
    createdAt: Date.now(),
    name: 'Test upstream',
    dialect: 'openai-images',
    baseUrl: `${upstream.url}/v1`,
    apiKey: 'sk-test.secret.key.1234',
    model: 'gpt-image-1',
    concurrency: 2,
    timeoutMs: 0,
    isDefault: 0,
    params: {},
    ...overrides
  };
  await db.providers.add(row);
  return row;
}

interface Setup {
  db: AtelierDatabase;
  network: NetworkState;
  hub: LockHub;
  engine(overrides?: Partial<EngineDeps>): Engine;
}

function setup(name = `engine-${newId()}`): Setup {
  const db = new AtelierDatabase(name);
  const network = new NetworkState(true);
  const hub = new LockHub();
  const entry = { dbs: [db], engines: [] as Engine[] };
  opened.push(entry);
  return {
    db,
    network,
    hub,
    engine(overrides = {}) {
      // Each engine gets its own Dexie instance on the shared database, as each tab's worker does.
      const own = new AtelierDatabase(name);
      entry.dbs.push(own);
      const sut = new Engine({
        db: own,
        images,
        lock: hub.lock(),
        channel: broadcastChannel(`test-${name}`),
        network,
        limits: { backoffBaseMs: 20 },
        ...overrides
      });
      entry.engines.push(sut);
      sut.start();
      return sut;
    }
  };
}

function request(prompt: string, extra: Record<string, unknown> = {}) {
  return { prompt, model: 'gpt-image-1', size: '256x256', ...extra };
}

async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const FINISHED: TaskStatus[] = ['succeeded', 'failed', 'canceled', 'interrupted'];

async function settled(db: AtelierDatabase, id: string): Promise<TaskRecord> {
  return (await waitFor(() => db.tasks.get(id), (task) => !!task && FINISHED.includes(task.status)))!;
}

async function allSettled(db: AtelierDatabase, count: number, timeoutMs?: number): Promise<TaskRecord[]> {
  return waitFor(
    () => db.tasks.toArray(),
    (tasks) => tasks.length === count && tasks.every((task) => FINISHED.includes(task.status)),
    timeoutMs
  );
}

/** A fetch that notes when each prompt's request was handed to the network (its time, by prompt). */
function recordingFetch(): { fetch: typeof fetch; sentAt: Map<string, number> } {
  const sentAt = new Map<string, number>();
  return {
    sentAt,
    fetch: async (input, init) => {
      const at = performance.now();
      const request = input instanceof Request ? input : new Request(input, init);
      sentAt.set(((await request.clone().json()) as { prompt: string }).prompt, at);
      return fetch(request);
    }
  };
}

// ---- Specs --------------------------------------------------------------------------------------

describe('Engine', () => {
  it('runs a task through its stages and saves image, bytes, thumbnail and task in one go', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine();
    const id = await sut.submit({ providerId: p.id, request: request('a lighthouse at dusk', { n: 2 }) });

    const task = await settled(db, id);
    expect(task.status).toBe('succeeded');
    expect(task.attempts).toBe(1);
    expect(task.resultIds).toHaveLength(2);
    expect(Object.keys(task.timings)).toEqual(expect.arrayContaining(['sending', 'waiting', 'receiving', 'processing', 'saving']));
    expect(task.requestSummary).toMatchObject({ method: 'POST', url: `${upstream.url}/v1/images/generations`, dialect: 'openai-images' });
    expect(JSON.stringify(task.requestSummary)).not.toContain(p.apiKey);
    const rows = await db.images.bulkGet(task.resultIds);
    expect(rows.map((row) => [row?.width, row?.height, row?.taskId])).toEqual([
      [256, 256, id],
      [256, 256, id]
    ]);
    expect(rows.filter((row) => row?.candidateOf === null)).toHaveLength(1);
    expect(await db.thumbs.count()).toBe(2);
    const logs = await waitFor(() => db.logs.where('taskId').equals(id).toArray(), (entries) => entries.some((e) => e.message.startsWith('Succeeded')));
    expect(logs.find((entry) => entry.detail)?.detail).toContain('b64_json');
  });

  it('keeps per-provider and global concurrency limits', async () => {
    const { db, engine } = setup();
    const a = await provider(db, { concurrency: 2 });
    const b = await provider(db, { concurrency: 2, baseUrl: `${upstream.url}/openai/v1` });
    const inFlight = { total: 0, a: 0, b: 0, maxTotal: 0, maxA: 0, maxB: 0 };
    const counting: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const key = url.includes('/openai/') ? 'b' : 'a';
      inFlight.total++;
      inFlight[key]++;
      inFlight.maxTotal = Math.max(inFlight.maxTotal, inFlight.total);
      inFlight.maxA = Math.max(inFlight.maxA, inFlight.a);
      inFlight.maxB = Math.max(inFlight.maxB, inFlight.b);
      try {
        const response = await fetch(input, init);
        await response.clone().arrayBuffer();
        return response;
      } finally {
        inFlight.total--;
        inFlight[key]--;
      }
    };
    const sut = engine({ fetch: counting, limits: { globalConcurrency: 3 } });
    for (let i = 0; i < 6; i++) {
      await sut.submit({ providerId: a.id, request: request(`a${i} [latency:150]`) });
      await sut.submit({ providerId: b.id, request: request(`b${i} [latency:150]`) });
    }

    const tasks = await allSettled(db, 12);
    expect(tasks.every((task) => task.status === 'succeeded')).toBe(true);
    expect(inFlight.maxA).toBe(2);
    expect(inFlight.maxB).toBe(2);
    expect(inFlight.maxTotal).toBe(3);
  });

  it('runs interactive work before batch work, first in first out within a priority', async () => {
    const { db, engine, network } = setup();
    const p = await provider(db, { concurrency: 1 });
    network.set(false);
    const sut = engine({ limits: { globalConcurrency: 1 } });
    await sut.submit({ providerId: p.id, batchId: 'b1', request: request('batch one') });
    await sut.submit({ providerId: p.id, batchId: 'b1', request: request('batch two') });
    await sut.submit({ providerId: p.id, request: request('interactive') });
    network.set(true);

    await allSettled(db, 3);
    const prompts = upstream.requests.map((r) => (r.json as { prompt: string }).prompt);
    expect(prompts).toEqual(['interactive', 'batch one', 'batch two']);
  });

  it('retries a 429 after the Retry-After it was given', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    let calls = 0;
    // The first attempt asks the upstream for a 429 (Retry-After: 1), the second goes through.
    const faultOnce: typeof fetch = (input, init) => {
      const req = new Request(input, init);
      if (calls++ === 0) req.headers.set('x-upstream-fault', '429');
      return fetch(req);
    };
    const sut = engine({ fetch: faultOnce });
    const id = await sut.submit({ providerId: p.id, request: request('rate limited') });

    const task = await settled(db, id);
    expect(task.status).toBe('succeeded');
    expect(task.attempts).toBe(2);
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.requests[1]!.time - upstream.requests[0]!.time).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry a 401 and keeps the upstream message without the key', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine();
    const id = await sut.submit({ providerId: p.id, request: request('wrong key [fault:401]') });

    const task = await settled(db, id);
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ kind: 'auth', status: 401 });
    expect(task.error?.message).toContain('Incorrect API key');
    expect(task.error?.message).not.toContain(p.apiKey);
    expect(upstream.requests).toHaveLength(1);
  });

  it('retries retryable errors at most maxRetries times, then fails', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine({ limits: { maxRetries: 2, backoffBaseMs: 5 } });
    const id = await sut.submit({ providerId: p.id, request: request('always down [fault:500]') });

    const task = await settled(db, id);
    expect(task.status).toBe('failed');
    expect(task.error?.kind).toBe('upstream');
    expect(task.attempts).toBe(3);
    expect(upstream.requests).toHaveLength(3);
  });

  it('cancel aborts the upstream request within 100 ms', async () => {
    const { db, engine } = setup();
    const proxy = await socketWatcher(upstream.port);
    try {
      const p = await provider(db, { baseUrl: `http://127.0.0.1:${proxy.port}/v1` });
      const sut = engine();
      const id = await sut.submit({ providerId: p.id, request: request('slow [latency:5000]') });
      await waitFor(() => upstream.requests.length, (n) => n === 1);

      const started = performance.now();
      await sut.cancel(id);
      const closedAt = await proxy.nextClose;
      expect(closedAt - started).toBeLessThan(100);
      expect((await settled(db, id)).status).toBe('canceled');
    } finally {
      await proxy.close();
    }
  });

  it('never sends a queued task canceled from another tab, even before the leader hears of the cancel', async () => {
    const { db, engine } = setup();
    // A free global slot makes the leader read (and keep) the queue after each submission, while
    // the provider's limit holds the rest back: the leader knows them all as queued.
    const p = await provider(db, { concurrency: 1 });
    const recorder = recordingFetch();
    const leader = engine({ fetch: recorder.fetch, limits: { globalConcurrency: 2 } });
    await waitFor(() => leader.isLeader, (leading) => leading);
    const ids: string[] = [];
    for (const prompt of ['first [latency:300]', 'canceled', 'canceled with the queue', 'canceled with the queue too']) ids.push(await leader.submit({ providerId: p.id, request: request(prompt) }));
    await waitFor(() => upstream.requests.length, (n) => n === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Another tab whose words never reach the leader: only the database can tell it.
    const otherTab = engine({ channel: broadcastChannel(`elsewhere-${newId()}`) });

    expect(await otherTab.cancel(ids[1]!)).toBe(true);
    expect(await otherTab.cancelQueued()).toBe(2);

    const tasks = await allSettled(db, 4);
    expect(tasks.map((task) => task.status)).toEqual(['succeeded', 'canceled', 'canceled', 'canceled']);
    expect([...recorder.sentAt.keys()]).toEqual(['first [latency:300]']);
  });

  it('no request goes out after its cancel completed, with cancels racing the scheduler', async () => {
    const { db, engine, network } = setup();
    const p = await provider(db, { concurrency: 3 });
    const { fetch: recording, sentAt } = recordingFetch();
    const leader = engine({ fetch: recording });
    await waitFor(() => leader.isLeader, (leading) => leading);
    const otherTab = engine({ channel: broadcastChannel(`elsewhere-${newId()}`) });
    // Queued while offline, so the whole queue is there when the scheduler and the cancels start.
    network.set(false);
    const prompts = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const prompt = `race ${i} [latency:${30 + (i % 4) * 10}]`;
      prompts.set(await leader.submit({ providerId: p.id, request: request(prompt, { size: '64x64' }) }), prompt);
    }
    // A fixed pseudo-random order and spacing, so a failure can be replayed.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const order = [...prompts.keys()].sort(() => random() - 0.5).slice(0, 15);
    const canceledAt = new Map<string, number>();
    network.set(true);
    for (const id of order) {
      await new Promise((resolve) => setTimeout(resolve, random() * 20));
      if (await otherTab.cancel(id)) canceledAt.set(id, performance.now());
    }

    const tasks = await allSettled(db, 30);
    expect(tasks.every((task) => task.status === 'succeeded' || task.status === 'canceled')).toBe(true);
    const late = [...canceledAt].filter(([id, at]) => (sentAt.get(prompts.get(id)!) ?? -Infinity) > at);
    expect(late).toEqual([]);
    // The cancels really raced the scheduler: some canceled tasks had been sent, some never were.
    expect([...canceledAt.keys()].some((id) => sentAt.has(prompts.get(id)!))).toBe(true);
    expect([...canceledAt.keys()].some((id) => !sentAt.has(prompts.get(id)!))).toBe(true);
  });

  it('a new leader continues the queue when the leader leaves', async () => {
    const { db, engine } = setup();
    const p = await provider(db, { concurrency: 1 });
    const first = engine({ limits: { globalConcurrency: 1 } });
    await waitFor(() => first.isLeader, (leading) => leading);
    const second = engine({ limits: { globalConcurrency: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await second.submit({ providerId: p.id, request: request(`handover ${i} [latency:100]`) }));
    await waitFor(() => db.tasks.get(ids[0]!), (task) => task?.status === 'succeeded');
    expect(second.isLeader).toBe(false);

    await first.close();
    await waitFor(() => second.isLeader, (leading) => leading);
    const tasks = await allSettled(db, 4);
    const last = tasks.filter((task) => task.id === ids[2] || task.id === ids[3]);
    expect(last.map((task) => task.status)).toEqual(['succeeded', 'succeeded']);
    // The one the old leader had in flight (if any) is marked interrupted, never left running.
    expect(tasks.every((task) => task.status === 'succeeded' || task.status === 'interrupted')).toBe(true);
  });

  it("marks a dead leader's running task interrupted, and one retry completes it", async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    // A task left `running` by a tab that died mid-request.
    const seed = engine();
    const id = await seed.submit({ providerId: p.id, request: request('orphan [latency:3000]') });
    await waitFor(() => db.tasks.get(id), (task) => task?.stage === 'waiting');
    await seed.close();
    expect((await db.tasks.get(id))?.status).toBe('running');

    const sut = engine();
    const task = await settled(db, id);
    expect(task.status).toBe('interrupted');
    expect(task.error?.kind).toBe('interrupted');

    await db.tasks.update(id, { request: { ...task.request, prompt: 'orphan' } });
    expect(await sut.retry(id)).toBe(true);
    await waitFor(() => db.tasks.get(id), (row) => row?.status === 'succeeded');
  });

  it('retry keeps the images earlier attempts produced', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine();
    const id = await sut.submit({ providerId: p.id, request: request('keep me') });
    const first = await settled(db, id);
    expect(first.resultIds).toHaveLength(1);

    await sut.retry(id);
    const second = await waitFor(() => db.tasks.get(id), (task) => task?.status === 'succeeded' && task.resultIds.length === 2);
    expect(second?.resultIds[0]).toBe(first.resultIds[0]);
    expect(await db.images.count()).toBe(2);
    expect(await db.blobs.get(first.resultIds[0]!)).toBeDefined();
  });

  it('a storage failure while saving fails the task and leaves no partial rows', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine({ db });
    // Images and blobs are written first in the transaction; the thumbnails then hit a full disk.
    vi.spyOn(db.thumbs, 'bulkAdd').mockRejectedValue(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    const id = await sut.submit({ providerId: p.id, request: request('too big to store') });

    const task = await settled(db, id);
    expect(task.status).toBe('failed');
    expect(task.error?.kind).toBe('storage');
    expect(task.error?.message).toMatch(/Storage is full/);
    expect(task.resultIds).toEqual([]);
    expect(await db.images.count()).toBe(0);
    expect(await db.blobs.count()).toBe(0);
    expect(await db.thumbs.count()).toBe(0);
  });

  it('a result that does not decode fails the task with a clear message and no rows', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const broken: ImageTools = { ...images, process: () => Promise.reject(new Error('The source image cannot be decoded.')) };
    const sut = engine({ images: broken });
    const id = await sut.submit({ providerId: p.id, request: request('corrupt') });

    const task = await settled(db, id);
    expect(task.error).toMatchObject({ kind: 'decode' });
    expect(task.error?.message).toContain('could not be decoded');
    expect(await db.images.count()).toBe(0);
  });

  it('waits while offline instead of failing, and finishes once back online', async () => {
    const { db, engine, network } = setup();
    const p = await provider(db);
    const sut = engine();
    network.set(false);
    const ids = [await sut.submit({ providerId: p.id, request: request('offline one') }), await sut.submit({ providerId: p.id, request: request('offline two') })];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.requests).toHaveLength(0);
    expect((await db.tasks.bulkGet(ids)).map((task) => task?.status)).toEqual(['queued', 'queued']);

    network.set(true);
    const tasks = await allSettled(db, 2);
    expect(tasks.map((task) => task.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('refuses work beyond the bounded queue with a clear message', async () => {
    const { db, engine, network } = setup();
    const p = await provider(db);
    network.set(false);
    const sut = engine({ limits: { maxQueued: 2 } });
    await sut.submit({ providerId: p.id, request: request('one') });
    await sut.submit({ providerId: p.id, request: request('two') });
    await expect(sut.submit({ providerId: p.id, request: request('three') })).rejects.toThrow(/queue is full/);
  });

  it('stores input images with the task and sends them', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine();
    const input = (await fetch(`${upstream.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-x', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'source', model: 'gpt-image-1', size: '64x64' })
    }).then((r) => r.json())) as { data: { b64_json: string }[] };
    upstream.reset();
    const bytes = Uint8Array.from(Buffer.from(input.data[0]!.b64_json, 'base64'));
    const id = await sut.submit({ providerId: p.id, request: request('edit this', { images: [{ bytes, mime: 'image/png' }] }) });

    const task = await settled(db, id);
    expect(task.status).toBe('succeeded');
    expect(task.inputIds).toHaveLength(1);
    expect((await db.blobs.get(task.inputIds[0]!))?.blob.size).toBe(bytes.byteLength);
    expect(upstream.requests[0]?.path).toBe('/v1/images/edits');
    expect((await db.images.get(task.resultIds[0]!))?.kind).toBe('edited');
  });

  it('the emergency stop aborts running work and cancels everything unfinished', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine();
    for (let i = 0; i < 4; i++) await sut.submit({ providerId: p.id, request: request(`stop ${i} [latency:5000]`) });
    await waitFor(() => upstream.requests.length, (n) => n === 2);

    expect(await sut.stopAll()).toBe(4);
    const tasks = await allSettled(db, 4);
    expect(tasks.map((task) => task.status)).toEqual(['canceled', 'canceled', 'canceled', 'canceled']);
  });

  it('gives up on a stream that goes quiet for the idle timeout', async () => {
    const { db, engine } = setup();
    const p = await provider(db);
    const sut = engine({ limits: { idleTimeoutMs: 150, maxRetries: 0 } });
    const id = await sut.submit({ providerId: p.id, request: request('quiet [pace:1000]', { stream: true, partialImages: 2 }) });

    const task = await settled(db, id);
    expect(task.error).toMatchObject({ kind: 'timeout' });
    expect(task.error?.message).toContain('sent nothing');
  });
});

/** A TCP pass-through in front of the upstream that reports when the client's socket closes. */
async function socketWatcher(targetPort: number): Promise<{ port: number; nextClose: Promise<number>; close(): Promise<void> }> {
  let resolveClose: (time: number) => void = () => undefined;
  const nextClose = new Promise<number>((resolve) => (resolveClose = resolve));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const target = connect(targetPort, '127.0.0.1');
    sockets.add(target);
    client.pipe(target).pipe(client);
    client.on('close', () => {
      resolveClose(performance.now());
      target.destroy();
    });
    client.on('error', () => undefined);
    target.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    nextClose,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}
