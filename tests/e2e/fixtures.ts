// Shared Playwright fixtures: `test` with a worker-scoped `upstream` (the test upstream on an
// ephemeral loopback port, one per Playwright worker), and helpers that seed IndexedDB the way the
// app would have written it. Specs import `test` and `expect` from here.
import { test as base, expect, type Page } from '@playwright/test';
import { startUpstream, type TestUpstream } from '../upstream/server.ts';

export { expect };

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
