// The engine in real Chromium: one leader among tabs, interrupted work after a reload, and a queue
// that waits out an offline spell. Tasks are seeded as rows (the queue is the tasks table) and the
// engines woken over their BroadcastChannel, as the studio's submit() does.
import type { BrowserContext, Page } from '@playwright/test';
import { announceChange } from '../dexie-changes';
import { expect, putRows, seedProvider, test } from './fixtures';

const PROVIDER_ID = 'e2e-provider';

let seq = 0;
function taskRow(prompt: string) {
  const now = Date.now();
  // Ids sort by creation time like the app's; a counter keeps them unique within a millisecond.
  const id = `0E2E${String(now).padStart(14, '0')}${String(seq++).padStart(8, '0')}`;
  return {
    id,
    createdAt: now + seq,
    updatedAt: now,
    status: 'queued',
    stage: null,
    stageStartedAt: null,
    priority: 10,
    providerId: PROVIDER_ID,
    providerLabel: 'Test upstream',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    request: { prompt, model: 'gpt-image-1', size: '256x256' },
    inputIds: [],
    maskId: null,
    sessionId: null,
    batchId: null,
    attempts: 0,
    retriesLeft: 2,
    notBefore: 0,
    waitingFor: null,
    timings: {},
    error: null,
    resultIds: [],
    requestSummary: null,
    startedAt: null,
    finishedAt: null
  };
}

async function openTasks(page: Page): Promise<void> {
  await page.goto('/tasks');
  // The task center has opened the database once it shows its list (or that there is none). Its
  // engine waits for work: an empty queue downloads no engine.
  await expect(page.getByText('No tasks yet').or(page.getByRole('list', { name: 'Tasks, newest first' }))).toBeVisible();
}

function engineStatus(page: Page) {
  return page.getByRole('status').filter({ hasText: /engine/ });
}

async function queue(page: Page, prompts: string[]): Promise<string[]> {
  const rows = prompts.map(taskRow);
  await putRows(page, 'tasks', rows);
  await announceChange(page, 'tasks');
  await page.evaluate(() => new BroadcastChannel('atelier-engine').postMessage({ type: 'wake' }));
  return rows.map((row) => row.id);
}

function task(page: Page, prompt: string) {
  return page.getByRole('list', { name: 'Tasks, newest first' }).getByRole('article', { name: prompt });
}

async function setup(context: BrowserContext, upstreamUrl: string, concurrency = 2): Promise<Page> {
  const page = await context.newPage();
  await openTasks(page);
  await seedProvider(page, { id: PROVIDER_ID, baseUrl: `${upstreamUrl}/v1`, concurrency });
  return page;
}

test('an empty task center starts no engine; with work, two tabs run one engine between them, and the other takes over when the leader closes', async ({ context, upstream }) => {
  const first = await setup(context, upstream.url);
  const second = await context.newPage();
  const engineScripts: string[] = [];
  second.on('request', (request) => {
    if (/engine/.test(request.url())) engineScripts.push(request.url());
  });
  await openTasks(second);
  await expect(engineStatus(second)).toHaveText('The engine starts when there is work');
  expect(engineScripts).toEqual([]);

  // Generation POSTs only: Chromium's CORS preflights (OPTIONS) are recorded too.
  const posts = () => upstream.requests.filter((request) => request.method === 'POST').length;
  const before = posts();
  const prompts = ['tab one [latency:300]', 'tab two [latency:300]', 'tab three [latency:300]'];
  await queue(second, prompts);
  // Work wakes both tabs' engines; one of them leads.
  const leaderText = 'This tab runs the engine';
  await expect(engineStatus(first)).toHaveText(/(This|Another) tab runs the engine/);
  await expect(engineStatus(second)).toHaveText(/(This|Another) tab runs the engine/);
  const [leader, follower] = (await engineStatus(first).textContent()) === leaderText ? [first, second] : [second, first];
  await expect(engineStatus(follower)).toHaveText('Another tab runs the engine');
  // Only now did the second tab download its engine worker.
  expect(engineScripts.length).toBeGreaterThan(0);
  for (const prompt of prompts) await expect(task(follower, prompt).getByText('Succeeded', { exact: true })).toBeVisible({ timeout: 15_000 });
  // Each task ran exactly once: one engine, not two.
  expect(posts() - before).toBe(prompts.length);

  await leader.close();
  await expect(engineStatus(follower)).toHaveText(leaderText);
  await queue(follower, ['after handover']);
  await expect(task(follower, 'after handover').getByText('Succeeded', { exact: true })).toBeVisible({ timeout: 15_000 });
});

test('reloading mid-task leaves an interrupted task that Retry completes', async ({ context, upstream }) => {
  const page = await setup(context, upstream.url);
  const prompt = `reload me ${Date.now()}`;
  await queue(page, [`${prompt} [latency:4000]`]);
  const row = task(page, `${prompt} [latency:4000]`);
  await expect(row.getByText('Waiting for upstream')).toBeVisible();

  await page.reload();
  await expect(row.getByText('Interrupted', { exact: true })).toBeVisible();
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect(row.getByText('Succeeded', { exact: true })).toBeVisible({ timeout: 15_000 });
});

test('going offline mid-queue waits, and back online the queue finishes', async ({ context, upstream }) => {
  const page = await setup(context, upstream.url, 1);
  // One at a time, and slow enough that the last is still queued when the network drops, however
  // late the test sees the first one succeed (its checks back off up to a second apart).
  const prompts = ['offline a [latency:400]', 'offline b [latency:1200]', 'offline c [latency:1200]', 'offline d [latency:1200]'];
  await queue(page, prompts);
  await expect(task(page, prompts[0]!).getByText('Succeeded', { exact: true })).toBeVisible({ timeout: 15_000 });

  await context.setOffline(true);
  await expect(page.getByRole('status').filter({ hasText: 'Offline: tasks wait for the network' })).toBeVisible();
  await expect(task(page, prompts[3]!).getByText('Waiting for network')).toBeVisible();
  const whileOffline = upstream.requests.length;
  await page.waitForTimeout(800);
  await expect(page.getByText('Failed', { exact: true })).toHaveCount(0);

  await context.setOffline(false);
  for (const prompt of prompts) await expect(task(page, prompt).getByText('Succeeded', { exact: true })).toBeVisible({ timeout: 15_000 });
  expect(upstream.requests.length).toBeGreaterThan(whileOffline);
});

test('a long task list draws only the rows in view, fills the view, and scrolls to the oldest', async ({ page }) => {
  // Taller than the overscan alone covers: the rows must follow the list's measured height.
  await page.setViewportSize({ width: 1280, height: 1200 });
  await openTasks(page);
  // Finished tasks: listed, but nothing for an engine to run.
  const rows = Array.from({ length: 300 }, (_, i) => ({ ...taskRow(`history ${i}`), status: 'canceled' }));
  await putRows(page, 'tasks', rows);
  // Rows written past Dexie are not observed live: open the page again.
  await page.reload();
  const list = page.getByRole('list', { name: 'Tasks, newest first' });
  await expect(list.getByRole('article', { name: 'history 299' })).toBeVisible();

  const drawn = list.getByRole('listitem');
  expect(await drawn.count()).toBeLessThan(30);
  // The rows cover the whole visible list: the last one drawn ends at or below its bottom edge.
  const box = (await list.boundingBox())!;
  const lastRow = (await drawn.last().boundingBox())!;
  expect(lastRow.y + lastRow.height).toBeGreaterThanOrEqual(box.y + box.height);
  await expect(drawn.first()).toHaveAttribute('aria-setsize', '300');

  await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
  await expect(list.getByRole('article', { name: 'history 0', exact: true })).toBeVisible();
  expect(await drawn.count()).toBeLessThan(30);
});
