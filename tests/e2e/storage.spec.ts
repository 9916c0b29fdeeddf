// The Settings storage panel in real Chromium: the optional size cap removes the oldest images
// that are not favorites, and only after the person confirms.
import { expect, test } from '@playwright/test';
import { putImages } from './fixtures.ts';

test('a size cap evicts the oldest non-favorite images after confirmation, and keeps favorites', async ({ page }) => {
  await page.goto('/gallery');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const base = Date.now() - 60_000;
  const prompts = ['oldest favorite', 'old plain one', 'middle plain one', 'newest plain one'];
  // Random-noise PNGs of 320 x 320 weigh about 400 KB each, so a cap in whole megabytes has
  // something to remove.
  await putImages(
    page,
    prompts.map((prompt, i) => ({
      id: `0CAP${String(base + i).padStart(14, '0')}${String(i).padStart(8, '0')}`,
      createdAt: base + i,
      prompt,
      favorite: i === 0
    })),
    { size: 320, noise: true }
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
