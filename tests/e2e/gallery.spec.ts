// The gallery in real Chromium. Images are seeded by writing rows, PNG blobs and WebP thumbnails
// into the app's own IndexedDB from the page (as the engine's save would), then the UI is used.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { withPngText } from '../../app/lib/imaging/png-text.ts';
import { recipeOf, RECIPE_KEYWORD } from '../../app/lib/imaging/recipe.ts';
import { readZipDirectory, readEntry } from '../../app/lib/imaging/zip.ts';
import { putImages } from './fixtures.ts';

interface Seed {
  prompt: string;
  favorite?: boolean;
  model?: string;
}

let seq = 0;

/** Writes images (metadata, a real PNG, a WebP thumbnail) the way the images repository does. */
async function seed(page: Page, items: Seed[]): Promise<string[]> {
  await page.goto('/gallery');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const base = Date.now() - 60_000;
  return putImages(
    page,
    items.map((item, i) => ({
      // Time-sortable like newId(): later seeds sort newer.
      id: `0E2E${String(base + i).padStart(14, '0')}${String(seq++).padStart(8, '0')}`,
      createdAt: base + i,
      prompt: item.prompt,
      model: item.model,
      favorite: item.favorite
    }))
  );
}

const grid = (page: Page) => page.getByRole('list');
const tile = (page: Page, prompt: string) => grid(page).getByRole('img', { name: prompt, exact: true });

test('shows seeded images and narrows them by English and Chinese search and filters', async ({ page }) => {
  await seed(page, [
    { prompt: 'a red lighthouse at dusk', favorite: true },
    { prompt: '夕阳下的灯塔，油画风格' },
    { prompt: 'blue whale in deep water', model: 'gemini-2.5-flash-image' }
  ]);
  await page.reload();
  await expect(grid(page).getByRole('img')).toHaveCount(3);
  await expect(page.getByText('3 images')).toBeVisible();

  const search = page.getByRole('searchbox', { name: 'Search prompts' });
  await search.fill('light');
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await expect(tile(page, 'a red lighthouse at dusk')).toBeVisible();

  await search.fill('灯塔');
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await expect(tile(page, '夕阳下的灯塔，油画风格')).toBeVisible();

  await search.fill('');
  await page.getByRole('button', { name: '★ Favorites' }).click();
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await page.getByRole('button', { name: '★ Favorites' }).click();

  await page.getByRole('button', { name: 'Filters' }).click();
  await page.getByLabel('Model').selectOption('gemini-2.5-flash-image');
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await expect(tile(page, 'blue whale in deep water')).toBeVisible();

  // The filter survives leaving the page and coming back.
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await page.getByRole('link', { name: 'Gallery' }).first().click();
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await expect(page.getByLabel('Model')).toHaveValue('gemini-2.5-flash-image');
});

test('detail view shows the recipe and moves to neighbours by keyboard', async ({ page }) => {
  await seed(page, [{ prompt: 'first: oldest image' }, { prompt: 'second: middle image' }, { prompt: 'third: newest image' }]);
  await page.reload();
  await tile(page, 'third: newest image').click();
  await expect(page).toHaveURL(/\/gallery\/0E2E/);
  await expect(page.getByText('1 of 3')).toBeVisible();
  await expect(page.getByText('third: newest image', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('256 × 256 · image/png')).toBeVisible();

  await page.keyboard.press('ArrowRight');
  await expect(page.getByText('2 of 3')).toBeVisible();
  await expect(page.getByRole('img', { name: 'second: middle image' })).toBeVisible();
  await page.getByRole('button', { name: 'Next image' }).click();
  await expect(page.getByText('3 of 3')).toBeVisible();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByText('2 of 3')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Remix' })).toHaveAttribute('href', /\/\?remix=0E2E/);
});

test('a long grid shows images where it is scrolled to, and comes back to the same place from an image', async ({ page }) => {
  await seed(page, Array.from({ length: 160 }, (_, i) => ({ prompt: `scene ${i}` })));
  await page.reload();
  await expect(page.getByText('160 images')).toBeVisible();
  // Only a window of tiles is drawn, and the first row shows decoded images, not placeholders.
  await expect.poll(() => shown(page, 'scene 159')).toBe(true);
  expect(await grid(page).getByRole('listitem').count()).toBeLessThan(160);

  await page.mouse.wheel(0, 2400);
  const last = grid(page).locator('img').last();
  await expect(last).toBeVisible();
  const name = (await last.getAttribute('alt'))!;
  // Pinned by its name: `.last()` is looked up again on every use, and scrolling redraws the window.
  const opened = grid(page).getByRole('img', { name, exact: true });
  await opened.scrollIntoViewIfNeeded();
  const y = await page.evaluate(() => window.scrollY);
  expect(y).toBeGreaterThan(1000);
  await opened.click();
  await expect(page).toHaveURL(/\/gallery\/0E2E/);

  await page.goBack();
  await expect.poll(() => shown(page, name)).toBe(true);
  expect(await page.evaluate(() => window.scrollY)).toBe(y);
});

/** Whether the tile of a prompt shows its thumbnail, loaded and decoded. */
function shown(page: Page, prompt: string): Promise<boolean> {
  return page.evaluate((alt) => {
    const img = [...document.querySelectorAll<HTMLImageElement>('[role=list] img')].find((candidate) => candidate.alt === alt);
    return !!img && img.complete && img.naturalWidth > 0;
  }, prompt);
}

test('bulk delete moves to the trash, and restore brings images back', async ({ page }) => {
  await seed(page, [{ prompt: 'keep me' }, { prompt: 'delete one' }, { prompt: 'delete two' }]);
  await page.reload();
  await page.getByRole('checkbox', { name: 'Select delete one' }).check({ force: true });
  await page.getByRole('checkbox', { name: 'Select delete two' }).check({ force: true });
  await expect(page.getByText('2 selected').first()).toBeVisible();
  await page.getByRole('toolbar').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await expect(page.getByRole('status')).toContainText('2 moved to the trash');

  await page.getByRole('button', { name: 'Trash', exact: true }).click();
  await expect(grid(page).getByRole('img')).toHaveCount(2);
  await page.getByRole('checkbox', { name: 'Select delete one' }).check({ force: true });
  await page.getByRole('button', { name: 'Restore' }).click();
  await expect(grid(page).getByRole('img')).toHaveCount(1);
  await page.getByRole('button', { name: 'Library', exact: true }).click();
  await expect(grid(page).getByRole('img')).toHaveCount(2);
});

test('downloads a selection as a ZIP with images, recipe sidecars and metadata', async ({ page }) => {
  await seed(page, [{ prompt: 'zip one' }, { prompt: 'zip two' }]);
  await page.reload();
  await page.getByRole('checkbox', { name: 'Select zip one' }).check({ force: true });
  await page.getByRole('checkbox', { name: 'Select zip two' }).check({ force: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download ZIP' }).click()]);
  const archive = new Blob([readFileSync((await download.path())!)]);
  const entries = await readZipDirectory(archive);
  const names = entries.map((entry) => entry.name);
  expect(names.filter((name) => name.endsWith('.png'))).toHaveLength(2);
  expect(names.filter((name) => name.endsWith('.recipe.json'))).toHaveLength(2);
  const metadata = JSON.parse(new TextDecoder().decode(await readEntry(archive, entries.find((e) => e.name === 'metadata.json')!)));
  expect(metadata.images.map((image: { prompt: string }) => image.prompt).sort()).toEqual(['zip one', 'zip two']);
  const png = await readEntry(archive, entries.find((e) => e.name.endsWith('.png'))!);
  expect(PNG.sync.read(Buffer.from(png)).width).toBe(256);
});

test('restores the recipe of a dropped PNG', async ({ page }) => {
  await page.goto('/gallery');
  const image = new PNG({ width: 32, height: 24 });
  image.data.fill(180);
  const recipe = recipeOf({
    prompt: '雨夜的霓虹街道 neon street',
    dialect: 'openai-images',
    model: 'gpt-image-1',
    providerLabel: 'Elsewhere',
    params: { size: '1024x1024', quality: 'high' },
    sources: [],
    width: 32,
    height: 24,
    createdAt: Date.now(),
    sha256: ''
  });
  const bytes = [...withPngText(new Uint8Array(PNG.sync.write(image)), RECIPE_KEYWORD, JSON.stringify(recipe))];
  const drop = await page.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    return transfer;
  }, bytes);
  await page.dispatchEvent('main', 'drop', { dataTransfer: drop });
  await expect(page).toHaveURL(/\/gallery\/[0-9A-Z]{26}$/);
  await expect(page.getByText('雨夜的霓虹街道 neon street', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('"quality": "high"')).toBeVisible();
  await expect(page.getByText('32 × 24 · image/png')).toBeVisible();
});

test('refuses a truncated backup and changes nothing', async ({ page }) => {
  await seed(page, [{ prompt: 'already here' }]);
  await page.goto('/settings');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export backup' }).click()]);
  const backup = readFileSync((await download.path())!);
  await page.getByLabel('Import backup').setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: backup.subarray(0, Math.floor(backup.length / 2)) });
  await expect(page.getByRole('alert')).toContainText('incomplete');
  await page.getByLabel('Import backup').setInputFiles({ name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') });
  await expect(page.getByRole('alert')).toContainText('Nothing was imported');
  await page.goto('/gallery');
  await expect(page.getByText('1 images')).toBeVisible();
});

test('a backup restores into an empty library, and results and refusals read in Chinese too', async ({ page, browser }) => {
  await seed(page, [{ prompt: 'kept in the backup' }, { prompt: '备份里的第二张' }]);
  await page.goto('/settings');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export backup' }).click()]);
  await expect(page.getByRole('region', { name: 'Storage' }).getByRole('status')).toBeEmpty();
  const backup = readFileSync((await download.path())!);

  // Another profile: an empty library, in Chinese.
  const context = await browser.newContext({ locale: 'zh-CN' });
  const other = await context.newPage();
  await other.goto('/settings');
  await other.getByLabel('导入备份').setInputFiles({ name: 'backup.zip', mimeType: 'application/zip', buffer: backup });
  const storage = other.getByRole('region', { name: '存储' });
  await expect(storage.getByRole('status')).toContainText('已导入 2 张图片（0 张已存在）');
  await other.getByLabel('导入备份').setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: backup.subarray(0, Math.floor(backup.length / 2)) });
  await expect(storage.getByRole('alert')).toHaveText('此备份不完整（文件被截断），未导入任何内容。');
  await other.goto('/gallery');
  await expect(grid(other).getByRole('img')).toHaveCount(2);
  await context.close();
});
