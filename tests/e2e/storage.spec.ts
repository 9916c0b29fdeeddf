// The Settings storage panel in real Chromium: the optional size cap removes the oldest images
// that are not favorites, and only after the person confirms.
import { expect, test, type Page } from '@playwright/test';
import { searchTokens } from '../../app/lib/db/search.ts';

/**
 * Writes images whose PNGs are random noise (which does not compress), so each weighs about
 * 400 KB and a cap in whole megabytes has something to remove. Oldest first; returns nothing.
 */
async function seedHeavy(page: Page, images: { id: string; createdAt: number; prompt: string; favorite: boolean }[]): Promise<void> {
  const rows = images.map((image) => ({
    ...image,
    favorite: image.favorite ? 1 : 0,
    params: { model: 'gpt-image-1', size: '320x320' },
    providerId: 'p1',
    providerLabel: 'Test upstream',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    width: 320,
    height: 320,
    mime: 'image/png',
    tags: [],
    kind: 'generated',
    sessionId: null,
    taskId: null,
    batchId: null,
    sources: [],
    candidateOf: null,
    listed: 1,
    durationMs: 1000,
    deletedAt: 0,
    searchTokens: searchTokens(image.prompt)
  }));
  await page.evaluate(async (rows) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('atelier');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const made = await Promise.all(
      rows.map(async (row) => {
        const canvas = new OffscreenCanvas(row.width, row.height);
        const pixels = new ImageData(row.width, row.height);
        crypto.getRandomValues(pixels.data.subarray(0, 65_536));
        for (let at = 65_536; at < pixels.data.length; at += 65_536) crypto.getRandomValues(pixels.data.subarray(at, at + 65_536));
        for (let at = 3; at < pixels.data.length; at += 4) pixels.data[at] = 255;
        canvas.getContext('2d')!.putImageData(pixels, 0, 0);
        const blob = await canvas.convertToBlob({ type: 'image/png' });
        const thumb = await canvas.convertToBlob({ type: 'image/webp', quality: 0.5 });
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
  }, rows);
}

test('a size cap evicts the oldest non-favorite images after confirmation, and keeps favorites', async ({ page }) => {
  await page.goto('/gallery');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const base = Date.now() - 60_000;
  const prompts = ['oldest favorite', 'old plain one', 'middle plain one', 'newest plain one'];
  await seedHeavy(
    page,
    prompts.map((prompt, i) => ({
      id: `0CAP${String(base + i).padStart(14, '0')}${String(i).padStart(8, '0')}`,
      createdAt: base + i,
      prompt,
      favorite: i === 0
    }))
  );
  // About 1.6 MB of images: a 1 MB cap needs the two oldest non-favorites gone (0.4 MB each).
  await page.goto('/settings');
  await page.getByRole('spinbutton', { name: 'Size cap (MB)' }).fill('1');
  await page.getByRole('button', { name: 'Apply cap' }).click();

  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Remove 2 images');
  await expect(dialog).toContainText('Favorites are kept');
  // Cancel changes nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Apply cap' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Removed 2 images.' })).toBeVisible();

  await page.goto('/gallery');
  const grid = page.getByRole('list');
  await expect(page.getByText('2 images')).toBeVisible();
  await expect(grid.getByRole('img', { name: 'oldest favorite', exact: true })).toBeVisible();
  await expect(grid.getByRole('img', { name: 'newest plain one', exact: true })).toBeVisible();
  await expect(grid.getByRole('img', { name: 'old plain one', exact: true })).toHaveCount(0);
  await expect(grid.getByRole('img', { name: 'middle plain one', exact: true })).toHaveCount(0);
  // Gone for good, not moved to the trash.
  await page.getByRole('button', { name: 'Trash', exact: true }).click();
  await expect(page.getByText('0 images')).toBeVisible();
});
