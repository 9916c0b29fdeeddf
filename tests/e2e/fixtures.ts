// Shared Playwright fixtures: `test` with a worker-scoped `upstream` (the test upstream on an
// ephemeral loopback port, one per Playwright worker), and helpers that seed IndexedDB the way the
// app would have written it. Specs import `test` and `expect` from here.
import { test as base, expect, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { searchTokens } from '../../app/lib/db/search.ts';
import { startUpstream, type TestUpstream } from '../upstream/server.ts';

export { expect };

export interface ServedRelay {
  /** Without a trailing slash. */
  url: string;
  /** Stops the relay; calling it again after it has stopped does nothing. */
  stop(): Promise<void>;
}

/** Runs `atelier serve` with these arguments in its own process, as people run it, until it says where it serves. */
export async function serveRelay(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServedRelay> {
  const child = spawn('node', ['relay/bin.js', 'serve', '--log-level', 'warn', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { ...process.env, ...env },
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
      if (found) resolve(found[1]!.replace(/\/$/, ''));
    });
    void exited.then(() => reject(new Error(`the relay exited before serving: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    }
  };
}

export const test = base.extend<object, { upstream: TestUpstream }>({
  upstream: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const upstream = await startUpstream({ port: 0 });
      await use(upstream);
      await upstream.close();
    },
    { scope: 'worker' }
  ]
});

export interface SeedProvider {
  id: string;
  name?: string;
  baseUrl: string;
  dialect?: string;
  model?: string;
  apiKey?: string;
  concurrency?: number;
}

/** Writes a provider row into the app's database. The app must have opened it first (any page that reads data). */
export async function seedProvider(page: Page, provider: SeedProvider): Promise<void> {
  const row = {
    name: 'Test upstream',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    apiKey: 'sk-e2e-test-key-0001',
    concurrency: 2,
    ...provider,
    createdAt: Date.now(),
    timeoutMs: 0,
    isDefault: 0,
    params: {}
  };
  await putRows(page, 'providers', [row]);
}

/** Puts rows into one object store of the `atelier` database. */
export async function putRows(page: Page, store: string, rows: readonly object[]): Promise<void> {
  await page.evaluate(
    async ({ store, rows }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('atelier');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(store, 'readwrite');
        for (const row of rows) tx.objectStore(store).put(row);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { store, rows }
  );
}

/** What a seeded gallery image may set; everything else takes the values of a plain generation. */
export interface SeedImage {
  id: string;
  createdAt: number;
  prompt: string;
  model?: string;
  favorite?: boolean;
  durationMs?: number;
}

export interface SeedPixels {
  /** Edge of the square images (default 256). */
  size?: number;
  /** Random noise instead of a flat colour: PNGs that do not compress (about 1.3 bytes a pixel). */
  noise?: boolean;
}

/**
 * Writes gallery images the way the images repository does: the row, a real PNG and a WebP
 * thumbnail, in one transaction. Returns the ids in the order given.
 */
export async function putImages(page: Page, images: readonly SeedImage[], { size = 256, noise = false }: SeedPixels = {}): Promise<string[]> {
  const rows = images.map((image) => ({
    id: image.id,
    createdAt: image.createdAt,
    prompt: image.prompt,
    params: { model: image.model ?? 'gpt-image-1', size: `${size}x${size}` },
    providerId: 'p1',
    providerLabel: 'Test upstream',
    dialect: 'openai-images',
    model: image.model ?? 'gpt-image-1',
    width: size,
    height: size,
    bytes: 0,
    mime: 'image/png',
    sha256: '',
    favorite: image.favorite ? 1 : 0,
    tags: [],
    kind: 'generated',
    sessionId: null,
    taskId: null,
    batchId: null,
    sources: [],
    candidateOf: null,
    listed: 1,
    durationMs: image.durationMs ?? 1200,
    deletedAt: 0,
    searchTokens: searchTokens(image.prompt)
  }));
  await page.evaluate(
    async ({ rows, noise }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('atelier');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const made = await Promise.all(
        rows.map(async (row, i) => {
          const canvas = new OffscreenCanvas(row.width, row.height);
          const ctx = canvas.getContext('2d')!;
          if (noise) {
            const pixels = new ImageData(row.width, row.height);
            // getRandomValues fills at most 64 KB a call.
            for (let at = 0; at < pixels.data.length; at += 65_536) crypto.getRandomValues(pixels.data.subarray(at, at + 65_536));
            for (let at = 3; at < pixels.data.length; at += 4) pixels.data[at] = 255;
            ctx.putImageData(pixels, 0, 0);
          } else {
            ctx.fillStyle = `hsl(${(i * 67) % 360} 60% 50%)`;
            ctx.fillRect(0, 0, row.width, row.height);
          }
          const blob = await canvas.convertToBlob({ type: 'image/png' });
          const thumb = await canvas.convertToBlob({ type: 'image/webp' });
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
          const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
          return { row: { ...row, bytes: blob.size, sha256 }, blob, thumb };
        })
      );
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['images', 'blobs', 'thumbs'], 'readwrite');
        for (const { row, blob, thumb } of made) {
          tx.objectStore('images').put(row);
          tx.objectStore('blobs').put({ id: row.id, blob });
          tx.objectStore('thumbs').put({ id: row.id, blob: thumb, width: row.width, height: row.height });
        }
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { rows, noise }
  );
  return rows.map((row) => row.id);
}
