import { chromium, expect, test as base, type BrowserContext, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromiumArgs, chromiumPath } from '../chromium.ts';

// The installed app as a person meets it: installable, usable without a network after one visit,
// updated only when they say so, and able to receive images shared from other apps.
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
  const child = spawn('node', ['relay/bin.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--app-dir', appDir, '--log-level', 'warn'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /serving on (http:\/\/\S+)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    void exited.then(() => reject(new Error(`the relay exited before serving: ${stderr}`)));
  });
  let stopped = false;
  return {
    url,
    appDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
      await exited;
    }
  };
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
    await use({ served, context });
    await context.close();
    await served.stop();
    rmSync(appDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  },
  served: async ({ app }, use) => use(app.served),
  context: async ({ app }, use) => use(app.context),
  page: async ({ app }, use) => use(app.context.pages()[0] ?? (await app.context.newPage()))
});

// Every test brings its own server and profile, so they may run side by side.
test.describe.configure({ mode: 'parallel' });

/** One online visit: the page loads and the service worker has installed and controls it. */
async function visitOnline(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
}

async function goOffline(context: BrowserContext, served: Served): Promise<void> {
  // Both: the browser says it is offline (navigator.onLine, the badge), and there is truly no
  // server left to answer, so anything that loads came from the service worker.
  await served.stop();
  await context.setOffline(true);
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
      const response = await page.request.get(shot.src);
      expect(response.ok(), shot.src).toBe(true);
      const { width, height } = PNG.sync.read(await response.body());
      expect(`${width}x${height}`, shot.src).toBe(shot.sizes);
    }

    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  });
});

test.describe('offline', () => {
  test('after one visit, the shell and deep links load with no server and no network', async ({ page, context, served }) => {
    await visitOnline(page);
    await goOffline(context, served);

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Studio' })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible();

    for (const [path, heading] of [
      ['/gallery', 'Gallery'],
      ['/settings', 'Settings'],
      ['/tasks', 'Tasks']
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    }

    await context.setOffline(false);
    await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toHaveCount(0);
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
  test('two images shared from another app land in the inbox and open the studio', async ({ page }) => {
    await visitOnline(page);
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

    await expect(page).toHaveURL(/\/\?shared=[0-9A-HJKMNP-TV-Z]{26}$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Studio' })).toBeVisible();
    const id = new URL(page.url()).searchParams.get('shared')!;

    const stored = await page.evaluate(
      (shareId) =>
        new Promise<{ title: string; files: { name: string; type: string; size: number }[] } | null>((resolve, reject) => {
          const open = indexedDB.open('atelier');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('inbox').objectStore('inbox').get(shareId);
            get.onsuccess = () => {
              const row = get.result as { title: string; files: { name: string; type: string; blob: Blob }[] } | undefined;
              open.result.close();
              resolve(row ? { title: row.title, files: row.files.map((f) => ({ name: f.name, type: f.type, size: f.blob.size })) } : null);
            };
          };
        }),
      id
    );
    expect(stored).toEqual({
      title: 'From Photos',
      files: [
        { name: 'red.png', type: 'image/png', size: red.length },
        { name: 'blue.png', type: 'image/png', size: blue.length }
      ]
    });
  });
});
