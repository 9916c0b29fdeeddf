import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromiumArgs, chromiumPath } from '../chromium.ts';
import type { TestUpstream } from '../upstream/server.ts';
import { expect, putImages, seedProvider, serveRelay, test as base } from './fixtures.ts';

// The installed app as a person meets it: installable, usable without a network after one visit,
// updated only when they say so (and never under unsent work), and able to receive images shared
// from other apps.
//
// Each test gets its own copy of the build behind its own relay (so it can publish a "new version"
// or take the server away without disturbing anyone else's build/), and its own persistent Chromium
// profile (incognito contexts are never installable and keep service workers apart).

interface Served {
  url: string;
  appDir: string;
  stop(): Promise<void>;
}

interface Fixtures {
  served: Served;
  context: BrowserContext;
  page: Page;
}

const buildDir = join(import.meta.dirname, '..', '..', 'build');

/** The precache list the build's service worker carries: every file it will fetch on install. */
function precachedUrls(appDir: string): string[] {
  const worker = readFileSync(join(appDir, 'service-worker.js'), 'utf8');
  return [...worker.matchAll(/"url":"([^"]+)"/g)].map((match) => match[1]!);
}

/** The build files the shell loads first (a copy mixing two builds would miss some). */
function shellReferences(appDir: string): string[] {
  const shell = readFileSync(join(appDir, 'index.html'), 'utf8');
  return [...new Set([...shell.matchAll(/\/(_app\/immutable\/[\w./-]+\.(?:js|css))/g)].map((match) => match[1]!))];
}

/** Every precached file is there, and the shell's own files are among them (one build, not two). */
function consistent(appDir: string): boolean {
  const precached = precachedUrls(appDir);
  const listed = new Set(precached);
  return precached.every((url) => existsSync(join(appDir, url))) && shellReferences(appDir).every((url) => listed.has(url));
}

/**
 * Copies build/ into a fresh folder. Other people rebuild build/ at any moment, so a copy caught
 * halfway through a build (a precached file missing) is taken again.
 */
function copyBuild(): string {
  for (let attempt = 0; ; attempt++) {
    const appDir = mkdtempSync(join(tmpdir(), 'atelier-pwa-app-'));
    cpSync(buildDir, appDir, { recursive: true });
    const complete = existsSync(join(appDir, 'index.html')) && existsSync(join(appDir, 'service-worker.js')) && consistent(appDir);
    if (complete) return appDir;
    rmSync(appDir, { recursive: true, force: true });
    if (attempt >= 10) throw new Error('build/ stayed incomplete; run `npx vite build` first');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function serve(appDir: string, port: number): Promise<Served> {
  return { ...(await serveRelay(['--port', String(port), '--host', '127.0.0.1', '--app-dir', appDir])), appDir };
}

const test = base.extend<Fixtures & { app: { served: Served; context: BrowserContext } }>({
  // The relay and the browser start side by side; they only meet at the first page load.
  app: async ({}, use) => {
    const appDir = copyBuild();
    const profile = mkdtempSync(join(tmpdir(), 'atelier-pwa-profile-'));
    const port = await freePort();
    const [served, context] = await Promise.all([
      serve(appDir, port),
      chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        args: chromiumArgs,
        baseURL: `http://127.0.0.1:${port}`,
        locale: 'en-US'
      })
    ]);
    try {
      await use({ served, context });
    } finally {
      await context.close().finally(() => served.stop());
      rmSync(appDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
    }
  },
  served: async ({ app }, use) => use(app.served),
  context: async ({ app }, use) => use(app.context),
  page: async ({ app }, use) => use(app.context.pages()[0] ?? (await app.context.newPage()))
});

// Every test brings its own server and profile, so they may run side by side. A first install
// fetches the whole shell, which on a busy machine takes a while: hence the roomier limits.
test.describe.configure({ mode: 'parallel', timeout: 60_000 });

/** One online visit: the page loads and the service worker has installed and controls it. */
async function visitOnline(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  try {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
  } catch (error) {
    // Say where installing stopped: never registered, installing, waiting or redundant.
    const state = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      if (!registration) return `no registration (document ${document.readyState})`;
      const { installing, waiting, active } = registration;
      return `installing=${installing?.state ?? '-'} waiting=${waiting?.state ?? '-'} active=${active?.state ?? '-'}`;
    });
    throw new Error(`the service worker did not take control: ${state}`, { cause: error });
  }
}

async function goOffline(context: BrowserContext, served: Served): Promise<void> {
  // Both: the browser says it is offline (navigator.onLine, the badge), and there is truly no
  // server left to answer, so anything that loads came from the service worker.
  await served.stop();
  await context.setOffline(true);
}

/** Gallery images written the way the images repository writes them (row, PNG, WebP thumbnail). */
async function seedImages(page: Page, prompts: readonly string[]): Promise<string[]> {
  const base = Date.now() - 60_000;
  return putImages(
    page,
    prompts.map((prompt, i) => ({
      id: `0PWA${String(base + i).padStart(14, '0')}${String(i).padStart(8, '0')}`,
      createdAt: base + i,
      prompt,
      durationMs: 1000
    }))
  );
}

/** A provider pointing at the test upstream; the studio shows its composer once one exists. */
async function withProvider(page: Page, upstream: TestUpstream): Promise<void> {
  await seedProvider(page, { id: 'pwa-provider', name: 'Upstream images', baseUrl: `${upstream.url}/v1` });
  // Rows written behind Dexie's back are seen on the next load.
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Provider' })).toHaveValue('pwa-provider');
}

function generationPosts(upstream: TestUpstream) {
  return upstream.requests.filter((request) => request.method === 'POST' && request.path === '/v1/images/generations');
}

function square(color: [number, number, number]): Buffer {
  const png = new PNG({ width: 48, height: 32 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([...color, 255], i);
  return PNG.sync.write(png);
}

test.describe('installable PWA', () => {
  test('Chromium finds the manifest complete and the app installable', async ({ page, context }) => {
    await visitOnline(page);
    const cdp = await context.newCDPSession(page);

    const manifest = (await cdp.send('Page.getAppManifest')) as { errors: { message: string }[]; data?: string };
    expect(manifest.errors).toEqual([]);
    const data = JSON.parse(manifest.data ?? '{}') as {
      share_target?: { action: string; method: string; enctype: string };
      screenshots?: { form_factor?: string; sizes: string; src: string }[];
    };
    expect(data.share_target).toMatchObject({ action: '/share-target', method: 'POST', enctype: 'multipart/form-data' });
    expect(data.screenshots?.map((shot) => shot.form_factor).sort()).toEqual(['narrow', 'wide']);
    for (const shot of data.screenshots ?? []) {
      // The install dialog refuses screenshots whose real size differs from the declared one.
      const size = await page.evaluate(async (src) => {
        const bitmap = await createImageBitmap(await (await fetch(src)).blob());
        return `${bitmap.width}x${bitmap.height}`;
      }, shot.src);
      expect(size, shot.src).toBe(shot.sizes);
    }

    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  });
});

test.describe('offline', () => {
  test('after one visit, the studio, the gallery with its images and a deep link to an image load with no server and no network', async ({ page, context, served }) => {
    await visitOnline(page, '/gallery');
    const [harbour] = await seedImages(page, ['a harbour at dawn', '港口的清晨 fishing boats']);
    await goOffline(context, served);

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Gallery' })).toBeVisible();
    await expect(page.getByRole('img', { name: 'a harbour at dawn', exact: true })).toBeVisible();
    await expect(page.getByRole('img', { name: '港口的清晨 fishing boats', exact: true })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible();

    // A deep link typed or opened from elsewhere: a full navigation, answered by the service worker.
    await page.goto(`/gallery/${harbour}`);
    await expect(page.getByText('a harbour at dawn', { exact: true }).first()).toBeVisible();
    await expect(page.getByRole('img', { name: 'a harbour at dawn' }).first()).toBeVisible();

    for (const [path, heading] of [
      ['/', 'Studio'],
      ['/prompts', 'Prompt library'],
      ['/settings', 'Settings'],
      ['/tasks', 'Tasks']
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    }

    await context.setOffline(false);
    await expect(page.getByRole('status').filter({ hasText: /^Offline/ })).toHaveCount(0);
  });

  test('a task submitted offline waits, and runs once the network is back', async ({ page, context, served, upstream }) => {
    upstream.reset();
    await visitOnline(page);
    await withProvider(page, upstream);
    // The relay that served the app is gone; the provider is another server, out of reach while offline.
    await goOffline(context, served);
    await page.reload();

    const prompt = 'a lantern on a night train';
    await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
    await page.getByRole('button', { name: 'Generate' }).click();
    const turn = page.getByRole('article', { name: prompt });
    // Held in the queue (the tasks table), not failed, and nothing reaches the provider.
    await expect(page.getByRole('status').filter({ hasText: 'Offline · 1 waiting' })).toBeVisible();
    await expect(turn.getByRole('status')).toContainText(/Queued|Waiting for the network/);
    await page.waitForTimeout(1000);
    await expect(turn.getByRole('alert')).toHaveCount(0);
    expect(generationPosts(upstream)).toHaveLength(0);

    await context.setOffline(false);
    await expect(turn.getByRole('img', { name: prompt })).toBeVisible({ timeout: 20_000 });
    expect(generationPosts(upstream)).toHaveLength(1);
  });

  test('API traffic and other origins are never cached', async ({ page, context, served }) => {
    await visitOnline(page);
    const crossOrigin = served.url.replace('127.0.0.1', 'localhost');
    const statuses = await page.evaluate(async (other) => {
      const same = await fetch('/api/health');
      await fetch(`${other}/api/health`, { mode: 'no-cors' });
      return same.status;
    }, crossOrigin);
    expect(statuses).toBe(200);

    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      }
      return urls;
    });
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.filter((url) => url.includes('/api/') || url.includes('/v1/') || !url.startsWith(served.url))).toEqual([]);

    await goOffline(context, served);
    const offlineAnswer = await page.evaluate(() => fetch('/api/health').then((response) => `status ${response.status}`, () => 'network error'));
    expect(offlineAnswer).toBe('network error');
  });
});

test.describe('updates', () => {
  /** Publishes a new version of the shell, as a deploy would: new index.html, new service worker. */
  function publishNewVersion(appDir: string): void {
    const shellFile = join(appDir, 'index.html');
    const shell = readFileSync(shellFile, 'utf8').replace('<head>', '<head>\n    <meta name="atelier-build" content="second" />');
    const workerFile = join(appDir, 'service-worker.js');
    const worker = readFileSync(workerFile, 'utf8');
    const oldRevision = /"revision":"([0-9a-f]+)","url":"index.html"/.exec(worker)?.[1];
    expect(oldRevision, 'the shell is precached with a revision').toBeTruthy();
    const newRevision = createHash('md5').update(shell).digest('hex');
    // Precompressed copies would still carry the old bytes.
    for (const file of [shellFile, workerFile]) rmSync(`${file}.br`, { force: true }), rmSync(`${file}.gz`, { force: true });
    writeFileSync(workerFile, worker.replace(`"revision":"${oldRevision}","url":"index.html"`, `"revision":"${newRevision}","url":"index.html"`));
    writeFileSync(shellFile, shell);
  }

  test('a new version is offered, waits for the person, and applies on Reload', async ({ page, served }) => {
    await visitOnline(page);
    await page.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));

    publishNewVersion(served.appDir);
    // The relay notices a new index.html within a second.
    await page.waitForTimeout(1100);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

    const prompt = page.getByRole('status', { name: 'App update' });
    await expect(prompt).toContainText('A new version is available', { timeout: 15_000 });

    // Installed and waiting, it does not take over or reload by itself.
    await page.waitForTimeout(2500);
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    expect(await page.locator('meta[name="atelier-build"]').count()).toBe(0);

    await prompt.getByRole('button', { name: 'Reload' }).click();
    await expect(page.locator('meta[name="atelier-build"]')).toHaveAttribute('content', 'second', { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBeUndefined();
    await expect(page.getByRole('status', { name: 'App update' })).toHaveCount(0);
  });

  test('accepted while a prompt is unsent, the reload waits and says why, then applies once the prompt is cleared', async ({ page, served, upstream }) => {
    await visitOnline(page);
    await withProvider(page, upstream);
    const box = page.getByRole('textbox', { name: 'Prompt' });
    await box.fill('a half-written idea');

    publishNewVersion(served.appDir);
    await page.waitForTimeout(1100);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const prompt = page.getByRole('status', { name: 'App update' });
    await prompt.getByRole('button', { name: 'Reload' }).click({ timeout: 15_000 });

    await expect(prompt).toContainText('Reloads once your prompt is sent or saved.');
    await expect(prompt.getByRole('button', { name: 'Reload' })).toHaveCount(0);
    await page.waitForTimeout(1500);
    await expect(box).toHaveValue('a half-written idea');
    expect(await page.locator('meta[name="atelier-build"]').count()).toBe(0);

    await box.fill('');
    await expect(page.locator('meta[name="atelier-build"]')).toHaveAttribute('content', 'second', { timeout: 15_000 });
  });

  test('Later hides the prompt without reloading', async ({ page, served }) => {
    await visitOnline(page);
    await page.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
    publishNewVersion(served.appDir);
    await page.waitForTimeout(1100);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

    const prompt = page.getByRole('status', { name: 'App update' });
    await prompt.getByRole('button', { name: 'Later' }).click({ timeout: 15_000 });
    await expect(prompt).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
  });
});

test.describe('share target', () => {
  test('two images shared from another app open the studio with both as references', async ({ page, upstream }) => {
    await visitOnline(page);
    await withProvider(page, upstream);
    const red = square([220, 40, 40]);
    const blue = square([40, 60, 220]);

    // What Android does for a share target: a multipart POST navigation to the manifest's action.
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.enctype = 'multipart/form-data';
      form.action = '/share-target';
      form.innerHTML = '<input type="text" name="title" value="From Photos"><input type="file" name="images" multiple>';
      form.id = 'share-form';
      document.body.append(form);
    });
    await page.locator('#share-form input[type=file]').setInputFiles([
      { name: 'red.png', mimeType: 'image/png', buffer: red },
      { name: 'blue.png', mimeType: 'image/png', buffer: blue }
    ]);
    await page.evaluate(() => (document.getElementById('share-form') as HTMLFormElement).submit());

    // The service worker answered the POST with a redirect to the studio, which took the files.
    const references = page.getByRole('list', { name: 'Reference images' });
    await expect(references.getByRole('img')).toHaveCount(2, { timeout: 15_000 });
    await expect(references.getByRole('img', { name: /red\.png$/ })).toBeVisible();
    await expect(references.getByRole('img', { name: /blue\.png$/ })).toBeVisible();
    await expect(page).toHaveURL(/\/$/);

    // Taken once: the inbox is empty, and a reload does not add them again.
    const left = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('atelier');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const count = open.result.transaction('inbox').objectStore('inbox').count();
            count.onsuccess = () => {
              open.result.close();
              resolve(count.result);
            };
          };
        })
    );
    expect(left).toBe(0);
  });

  test('a share that cannot be opened says so in the studio', async ({ page, upstream }) => {
    await visitOnline(page);
    await withProvider(page, upstream);
    await page.goto('/?shared=0000000000NOSUCHSHARE0000');
    await expect(page.getByText('The shared images could not be opened. Please share them again.')).toBeVisible();
  });
});

test.describe('share out', () => {
  test('the detail view downloads where the browser cannot share files, and opens the share sheet where it can', async ({ page, context }) => {
    await visitOnline(page, '/gallery');
    const [id] = await seedImages(page, ['a kite over the dunes']);

    // Chromium on Linux has no share sheet for files: the original is downloaded.
    await page.goto(`/gallery/${id}`);
    await expect(page.getByRole('button', { name: 'Share' })).toHaveCount(0);
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download original' }).click();
    expect((await downloading).suggestedFilename()).toMatch(/^atelier-0PWA.*\.png$/);

    // A browser with a share sheet (as on a phone): what the sheet receives is the image file.
    await context.addInitScript(() => {
      const received: string[] = [];
      Object.assign(window, { sharedFiles: received });
      Object.defineProperty(navigator, 'canShare', { value: (data: ShareData) => (data.files?.length ?? 0) > 0 });
      Object.defineProperty(navigator, 'share', {
        value: async (data: ShareData) => {
          for (const file of data.files ?? []) received.push(`${file.name} ${file.type} ${file.size}`);
        }
      });
    });
    await page.reload();
    await page.getByRole('button', { name: 'Share' }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { sharedFiles: string[] }).sharedFiles)).toEqual([
      expect.stringMatching(/^atelier-0PWA\S*\.png image\/png \d+$/)
    ]);
    await expect(page.getByRole('button', { name: 'Download original' })).toHaveCount(0);
  });
});
