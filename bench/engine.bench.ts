// The generation engine's figures from issue 4:
// 1. Throughput: 100 tasks against the test upstream (in its own process, as a real service is) at
//    200 ms latency with concurrency 4 (ideal: 4 / 0.2 s = 20 tasks/s; target >= 95% of that),
//    measured in Node, where fake-indexeddb stands in for IndexedDB and header-only measuring for
//    OffscreenCanvas, so that figure is the scheduler's, runner's and storage layer's own overhead;
//    and in Chromium, the product as people run it (the engine worker, IndexedDB, OffscreenCanvas
//    thumbnails). The same requests sent without the engine, from Node and from a plain worker in
//    the same Chromium, are this machine's ceilings; in Chromium that ceiling is itself at or under
//    95% of the ideal here, so the Chromium figures are for reference, beside the share of that
//    ceiling the engine reaches. Each figure is a median of 3 runs against an upstream that has
//    answered a first round (its own warm-up is not the service being modelled).
// 2. Main-thread smoothness in Chromium: while the engine worker ingests 20 results of 2048x2048
//    PNG (decode, thumbnail, save), the page with the live task list sees no task over 50 ms
//    (PerformanceObserver 'longtask').
// 3. What a person feels on Generate: from the click in a freshly opened studio (prompt typed) to
//    the request arriving at the upstream, median of 5 visits (one before them not counted).
import 'fake-indexeddb/auto';
import { chromium, type Page } from '@playwright/test';
import { imageInfo } from '../app/lib/core/extract/sniff.ts';
import { AtelierDatabase } from '../app/lib/db/database.ts';
import { newId } from '../app/lib/db/ids.ts';
import { Engine } from '../app/lib/engine/engine.ts';
import { NetworkState } from '../app/lib/engine/network.ts';
import { broadcastChannel, type ImageTools, type LeaderLock } from '../app/lib/engine/types.ts';
import { chromiumArgs, chromiumPath } from '../tests/chromium.ts';
import { announceChange } from '../tests/dexie-changes.ts';
import { startUpstream } from '../tests/upstream/server.ts';
import { median, startRelayProcess, startUpstreamProcess, type BenchRow } from './bench.ts';

const TASKS = 100;
const LATENCY_MS = 200;
const CONCURRENCY = 4;
const IDEAL_PER_SECOND = CONCURRENCY / (LATENCY_MS / 1000);

/** The only engine in the process: it leads at once, until it leaves. */
function soleLeader(): LeaderLock {
  const leaving = new AbortController();
  return {
    request(run) {
      void run(leaving.signal);
    },
    release() {
      leaving.abort();
    }
  };
}

const headerOnly: ImageTools = {
  async process(bytes) {
    const info = imageInfo(bytes);
    if (!info) throw new Error('not an image');
    return { width: info.width, height: info.height, thumbnail: { blob: new Blob([bytes.slice(0, 64)], { type: 'image/webp' }), width: 64, height: 64 } };
  },
  async preview(bytes, mime) {
    return new Blob([bytes.slice(0, 64)], { type: mime });
  }
};

/** One generation request straight at the test upstream, its answer read whole. */
async function generateDirect(upstreamUrl: string, prompt: string): Promise<void> {
  const response = await fetch(`${upstreamUrl}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, model: 'gpt-image-1', size: '64x64' })
  });
  if (!response.ok) throw new Error(`upstream answered ${response.status}`);
  await response.arrayBuffer();
}

/**
 * A freshly started test upstream answers its first requests 10-90 ms late (code not yet compiled,
 * its first images encoded), which is not the 200 ms service being modelled: every figure here
 * starts after one round of CONCURRENCY requests has been answered.
 */
async function warmUp(upstreamUrl: string): Promise<void> {
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => generateDirect(upstreamUrl, `warm-up ${i}`)));
}

/**
 * The same 100 requests straight at the test upstream, 4 at a time, with no engine: what this
 * machine and upstream allow at best right now (timers and sockets under load cost time too),
 * printed beside the engine's figure so a reader can tell engine overhead from a busy machine.
 */
async function upstreamAlone(): Promise<number> {
  const upstream = await startUpstreamProcess(['--latency', String(LATENCY_MS)]);
  try {
    await warmUp(upstream.url);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TASKS) await generateDirect(upstream.url, `bench ${next++}`);
      })
    );
    return TASKS / ((performance.now() - started) / 1000);
  } finally {
    await upstream.stop();
  }
}

async function throughput(): Promise<number> {
  const upstream = await startUpstreamProcess(['--latency', String(LATENCY_MS)]);
  const name = `bench-${newId()}`;
  const db = new AtelierDatabase(name);
  const network = new NetworkState(false);
  const listener = broadcastChannel(name);
  // Closed at the end: an open BroadcastChannel keeps Node (and `npm run bench`) from exiting.
  const channel = broadcastChannel(name);
  const engine = new Engine({ db, images: headerOnly, lock: soleLeader(), channel, network, limits: { globalConcurrency: CONCURRENCY } });
  try {
    await warmUp(upstream.url);
    const providerId = newId();
    await db.providers.add({
      id: providerId,
      createdAt: Date.now(),
      name: 'Test upstream',
      dialect: 'openai-images',
      baseUrl: `${upstream.url}/v1`,
      apiKey: 'sk-bench',
      model: 'gpt-image-1',
      concurrency: CONCURRENCY,
      timeoutMs: 0,
      isDefault: 1,
      params: {}
    });
    engine.start();
    // Queue everything while "offline", then start the clock when the network comes back.
    for (let i = 0; i < TASKS; i++) await engine.submit({ providerId, request: { prompt: `bench ${i}`, model: 'gpt-image-1', size: '64x64' } });
    // The clock stops when the last attempt has ended (the engine says so after its final write),
    // not at the next tick of a poll; the database then confirms every task succeeded.
    const ended = new Set<string>();
    let allEnded!: () => void;
    const done = new Promise<void>((resolve) => (allEnded = resolve));
    const stopListening = listener.subscribe((message) => {
      if (message.type !== 'progress' || !message.progress.ended) return;
      ended.add(message.progress.taskId);
      if (ended.size === TASKS) allEnded();
    });
    const started = performance.now();
    network.set(true);
    await done;
    const elapsed = performance.now() - started;
    stopListening();
    const counts = await Promise.all(
      (['succeeded', 'failed'] as const).map((status) => db.tasks.where('[status+createdAt]').between([status, -Infinity], [status, Infinity]).count())
    );
    if (counts[0] !== TASKS) throw new Error(`${counts[0]} of ${TASKS} tasks succeeded (${counts[1]} failed)`);
    return TASKS / (elapsed / 1000);
  } finally {
    listener.close();
    await engine.close();
    channel.close();
    db.close();
    await db.delete();
    await upstream.stop();
  }
}

const INGEST_TASKS = 20;

async function longTasksWhileIngesting(): Promise<{ longTasks: number; longest: number }> {
  const upstream = await startUpstream({ port: 0 });
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    // The empty task center has opened the database; the engine starts once there is work.
    await openTaskCenter(page, relay.url);
    await seed(page, `${upstream.url}/v1`, INGEST_TASKS, '2048x2048');
    await listed(page, INGEST_TASKS);
    await allSucceeded(page, INGEST_TASKS);
    return await page.evaluate(() => {
      const seen = (window as unknown as { __longTasks: number[] }).__longTasks;
      return { longTasks: seen.length, longest: Math.max(0, ...seen) };
    });
  } finally {
    await browser.close();
    await relay.stop();
    await upstream.close();
  }
}

/**
 * Opens the task center and waits until the app has settled: its service worker, registered a
 * couple of seconds after a fresh profile's first page loads and then fetching the whole app to
 * precache it, is active. Otherwise that first-visit install runs in the middle of the figure
 * being measured, which it never does for someone running a queue in the app they installed.
 */
async function openTaskCenter(page: Page, url: string, { empty = true } = {}): Promise<void> {
  await page.goto(`${url}/tasks`);
  // The empty list's message says the page has read the (empty) queue.
  await (empty ? page.getByText('No tasks yet') : page.getByRole('heading', { level: 1 })).waitFor();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
}

/**
 * Starts the page's engine as the studio does before a first Generate (any engine message makes a
 * tab join the election) and waits until it leads: the throughput figure is the running queue's,
 * as in Node, with the worker's boot timed on its own. Returns the boot time in ms.
 */
async function startEngineIn(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const channel = new BroadcastChannel('atelier-engine');
    const started = performance.now();
    try {
      await new Promise<void>((resolve) => {
        channel.onmessage = ({ data }: MessageEvent<{ type: string }>) => {
          if (data.type === 'leader') resolve();
        };
        channel.postMessage({ type: 'wake' });
      });
      return performance.now() - started;
    } finally {
      channel.close();
    }
  });
}

/**
 * Starts counting long tasks, then queues `count` generations as the studio would (rows, a
 * wake-up, and the change announced to the page's live reads). Returns the page's clock (ms since
 * the epoch) at the wake-up.
 */
async function seed(page: Page, baseUrl: string, count: number, size: string): Promise<number> {
  const woken = await page.evaluate(
    async ({ baseUrl, count, size }) => {
      const longTasks: number[] = [];
      (window as unknown as { __longTasks: number[] }).__longTasks = longTasks;
      // Attempts that ended, as the engine says on its channel: waiting for them costs the page
      // nothing, where polling the database would add reads to the page being measured.
      const ended = new Set<string>();
      (window as unknown as { __ended: Set<string> }).__ended = ended;
      new BroadcastChannel('atelier-engine').onmessage = ({ data }: MessageEvent<{ type: string; progress?: { taskId: string; ended?: boolean } }>) => {
        if (data.type === 'progress' && data.progress?.ended) ended.add(data.progress.taskId);
      };
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('atelier');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const now = Date.now();
      const tx = db.transaction(['providers', 'tasks'], 'readwrite');
      tx.objectStore('providers').put({
        id: 'bench-provider', createdAt: now, name: 'Test upstream', dialect: 'openai-images', baseUrl, apiKey: 'sk-bench',
        model: 'gpt-image-1', concurrency: 4, timeoutMs: 0, isDefault: 1, params: {}
      });
      for (let i = 0; i < count; i++) {
        tx.objectStore('tasks').put({
          id: `0BENCH${String(now).padStart(14, '0')}${String(i).padStart(6, '0')}`, createdAt: now + i, updatedAt: now, status: 'queued',
          stage: null, stageStartedAt: null, priority: 10, providerId: 'bench-provider', providerLabel: 'Test upstream', dialect: 'openai-images',
          model: 'gpt-image-1', request: { prompt: `ingest ${i}`, model: 'gpt-image-1', size }, inputIds: [], maskId: null,
          sessionId: null, batchId: null, attempts: 0, retriesLeft: 2, notBefore: 0, waitingFor: null, timings: {}, error: null,
          resultIds: [], requestSummary: null, startedAt: null, finishedAt: null
        });
      }
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      const woken = Date.now();
      new BroadcastChannel('atelier-engine').postMessage({ type: 'wake' });
      return woken;
    },
    { baseUrl, count, size }
  );
  await announceChange(page, 'tasks');
  return woken;
}

/**
 * The same 100 requests sent 4 at a time from a plain dedicated worker on the app's origin (so with
 * the same CORS preflights), without the engine: what this Chromium and machine allow right now.
 */
async function chromiumAlone(page: Page, upstreamUrl: string): Promise<number> {
  return page.evaluate(
    async ({ url, tasks, concurrency }) => {
      const source = `onmessage = async ({ data: { url, tasks, concurrency } }) => {
        let next = 0;
        const started = performance.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next < tasks) {
            const response = await fetch(url + '/v1/images/generations', {
              method: 'POST',
              headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
              body: JSON.stringify({ prompt: 'bench ' + next++, model: 'gpt-image-1', size: '64x64' })
            });
            if (!response.ok) throw new Error('upstream answered ' + response.status);
            await response.arrayBuffer();
          }
        }));
        postMessage(tasks / ((performance.now() - started) / 1000));
      };`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      try {
        return await new Promise<number>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<number>) => resolve(event.data);
          worker.onerror = (event) => reject(new Error(event.message));
          worker.postMessage({ url, tasks, concurrency });
        });
      } finally {
        worker.terminate();
      }
    },
    { url: upstreamUrl, tasks: TASKS, concurrency: CONCURRENCY }
  );
}

/** Each throughput figure is the median of this many runs: this machine's figures drift between runs. */
const RUNS = 3;

interface ChromiumRun {
  engine: number;
  /** The plain worker's figure just before and just after the engine's run. */
  ceilings: [number, number];
  /** The engine's figure as a share (%) of the mean of `ceilings`. */
  share: number;
}

/**
 * The real engine in Chromium (its worker, IndexedDB, OffscreenCanvas thumbnails) running the
 * same 100 tasks, from the wake-up to the last task's recorded finish, RUNS times, each in a fresh
 * profile between two runs of the plain worker (the browser's own ceiling right then).
 */
async function throughputInChromium(): Promise<ChromiumRun[]> {
  const upstream = await startUpstreamProcess(['--latency', String(LATENCY_MS)]);
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    await warmUp(upstream.url);
    const runs: ChromiumRun[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const context = await browser.newContext();
      try {
        const plainWorker = async (): Promise<number> => {
          const plain = await context.newPage();
          await openTaskCenter(plain, relay.url, { empty: false });
          const perSecond = await chromiumAlone(plain, upstream.url);
          await plain.close();
          return perSecond;
        };
        const before = await plainWorker();
        const page = await context.newPage();
        await openTaskCenter(page, relay.url);
        const boot = await startEngineIn(page);
        const woken = await seed(page, `${upstream.url}/v1`, TASKS, '64x64');
        await listed(page, TASKS);
        const { firstStart, lastFinish, stageAverages } = await allSucceeded(page, TASKS);
        const engine = TASKS / ((lastFinish - woken) / 1000);
        await page.close();
        const after = await plainWorker();
        const share = (engine / ((before + after) / 2)) * 100;
        runs.push({ engine, ceilings: [before, after], share });
        console.log(
          `  Chromium run ${run}: engine ${engine.toFixed(2)} tasks/s; a plain worker before and after it ${before.toFixed(2)} and ${after.toFixed(2)} requests/s (engine at ${share.toFixed(1)}%); ` +
            `the engine worker took the lead in ${boot.toFixed(0)} ms, first task ${firstStart - woken} ms after the wake-up`
        );
        // Where a task's time goes: the slot is held from the claim to the end of 'receiving'.
        console.log(`    average per task: ${Object.entries(stageAverages).map(([stage, ms]) => `${stage} ${ms.toFixed(1)} ms`).join(', ')}`);
      } finally {
        await context.close();
      }
    }
    return runs;
  } finally {
    await browser.close();
    await relay.stop();
    await upstream.stop();
  }
}

/** Checks that the task center lists the newest seeded task at once (see `seed`). */
async function listed(page: Page, count: number): Promise<void> {
  await page.getByRole('article', { name: `ingest ${count - 1}` }).waitFor({ timeout: 2000 });
}

/**
 * Waits until `count` tasks' attempts have ended (heard on the engine's channel, see `seed`), then
 * reads the tasks once: any that did not succeed ends the bench. Returns the first start and last
 * finish times and the average time per stage.
 */
async function allSucceeded(page: Page, count: number): Promise<{ firstStart: number; lastFinish: number; stageAverages: Record<string, number> }> {
  await page.waitForFunction((count) => (window as unknown as { __ended: Set<string> }).__ended.size >= count, count, { timeout: 120_000, polling: 100 });
  const { statuses, ...times } = await taskCounts(page);
  if ((statuses.succeeded ?? 0) !== count) throw new Error(`${statuses.succeeded ?? 0} of ${count} tasks succeeded (${JSON.stringify(statuses)})`);
  return times;
}

async function taskCounts(page: Page): Promise<{ statuses: Record<string, number>; firstStart: number; lastFinish: number; stageAverages: Record<string, number> }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('atelier');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const rows = await new Promise<{ status: string; startedAt: number | null; finishedAt: number | null; timings: Record<string, number> }[]>((resolve, reject) => {
      const request = db.transaction('tasks').objectStore('tasks').getAll();
      request.onsuccess = () => resolve(request.result as { status: string; startedAt: number | null; finishedAt: number | null; timings: Record<string, number> }[]);
      request.onerror = () => reject(request.error);
    });
    db.close();
    const statuses: Record<string, number> = {};
    const stageTotals: Record<string, number> = {};
    for (const row of rows) {
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      for (const [stage, ms] of Object.entries(row.timings ?? {})) stageTotals[stage] = (stageTotals[stage] ?? 0) + ms;
    }
    return {
      statuses,
      stageAverages: Object.fromEntries(Object.entries(stageTotals).map(([stage, ms]) => [stage, ms / rows.length])),
      firstStart: Math.min(Infinity, ...rows.map((row) => row.startedAt ?? Infinity)),
      lastFinish: Math.max(0, ...rows.map((row) => row.finishedAt ?? 0))
    };
  });
}

const CLICK_VISITS = 5;

/**
 * Generate in a freshly opened studio: each visit is a new browser profile with one provider, the
 * prompt typed as a person would, then the click; the clock runs from the click until the request
 * has arrived at the upstream (polled every millisecond). The first visit warms the browser (its
 * code caches) and is not counted.
 */
async function clickToRequest(): Promise<number[]> {
  const upstream = await startUpstream({ port: 0 });
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const times: number[] = [];
  try {
    for (let visit = 0; visit <= CLICK_VISITS; visit++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${relay.url}/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.evaluate(async (baseUrl) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open('atelier');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('providers', 'readwrite');
          tx.objectStore('providers').put({
            id: 'bench-provider', createdAt: Date.now(), name: 'Test upstream', dialect: 'openai-images', baseUrl, apiKey: 'sk-bench',
            model: 'gpt-image-1', concurrency: 2, timeoutMs: 0, isDefault: 1, params: {}
          });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        db.close();
      }, `${upstream.url}/v1`);
      await page.reload();
      const prompt = page.getByRole('textbox', { name: 'Prompt' });
      await prompt.waitFor();
      // Settled, as a page is by the time someone has read it and starts typing.
      await page.waitForTimeout(2500);
      await prompt.click();
      await page.keyboard.type('a lighthouse at dusk', { delay: 30 });
      await page.waitForTimeout(1000);
      const generate = page.getByRole('button', { name: 'Generate' });
      await generate.hover();
      const posts = () => upstream.requests.filter((request) => request.method === 'POST').length;
      const before = posts();
      const clicked = performance.now();
      await generate.click({ noWaitAfter: true });
      while (posts() === before) {
        if (performance.now() - clicked > 30_000) throw new Error('Generate sent no request within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (visit > 0) times.push(performance.now() - clicked);
      await context.close();
    }
    return times;
  } finally {
    await browser.close();
    await relay.stop();
    await upstream.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  const inNode: number[] = [];
  const nodeCeilings: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    nodeCeilings.push(await upstreamAlone());
    inNode.push(await throughput());
    console.log(`  Node run ${run}: engine ${inNode.at(-1)!.toFixed(2)} tasks/s; the same requests without the engine ${nodeCeilings.at(-1)!.toFixed(2)} requests/s`);
  }
  const chromiumRuns = await throughputInChromium();
  // The run whose share is the median, so its three figures belong together.
  const inChromium = [...chromiumRuns].sort((a, b) => a.share - b.share)[Math.floor(RUNS / 2)]!;
  const chromiumCeiling = (inChromium.ceilings[0] + inChromium.ceilings[1]) / 2;
  const ingest = await longTasksWhileIngesting();
  console.log(`  ingesting ${INGEST_TASKS} x 2048x2048 PNG: ${ingest.longTasks} main-thread tasks over 50 ms (longest ${ingest.longest.toFixed(0)} ms)`);
  const clicks = await clickToRequest();
  console.log(`  Generate in a fresh studio, click to request at the upstream, ${CLICK_VISITS} visits: ${clicks.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  const figure = `${TASKS} tasks @ ${LATENCY_MS} ms, concurrency ${CONCURRENCY}, median of ${RUNS}`;
  return [
    {
      figure: `engine throughput in Node (fake-indexeddb), ${figure}`,
      value: median(inNode),
      unit: 'tasks/s',
      target: `>= ${(IDEAL_PER_SECOND * 0.95).toFixed(0)} tasks/s (95% of ${IDEAL_PER_SECOND})`,
      ok: median(inNode) >= IDEAL_PER_SECOND * 0.95
    },
    { figure: '  the same requests from Node without the engine', value: median(nodeCeilings), unit: 'requests/s', target: 'reference', ok: true },
    // In Chromium the browser's own fetch loop is the bound: on this 2-core machine a plain worker
    // sending the same requests reaches 17.7-19.2 requests/s, at or under 95% of the ideal, so these
    // figures are printed for reference: the engine's cost over that loop (its cancel check before
    // each send, thumbnails, the task center's reads) is what to watch.
    {
      figure: `engine throughput in Chromium (worker, IndexedDB), ${figure}`,
      value: inChromium.engine,
      unit: 'tasks/s',
      target: `reference (ideal ${IDEAL_PER_SECOND})`,
      ok: true
    },
    { figure: "  the same requests from a plain worker's fetch loop (that run, before and after)", value: chromiumCeiling, unit: 'requests/s', target: 'reference', ok: true },
    { figure: '  the engine in Chromium, share of that fetch loop', value: inChromium.share, unit: '%', target: 'reference', ok: true },
    {
      figure: `main-thread tasks > 50 ms while ingesting ${INGEST_TASKS} x 2048x2048 PNG`,
      value: ingest.longTasks,
      unit: '',
      target: '0',
      ok: ingest.longTasks === 0
    },
    {
      figure: `Generate in a fresh studio: click to request at the upstream (median of ${CLICK_VISITS})`,
      value: median(clicks),
      unit: 'ms',
      target: '< 150 ms',
      ok: median(clicks) < 150
    }
  ];
}
