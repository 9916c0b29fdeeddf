import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';

// The prompt library at /prompts, through the UI: add, edit, favorite, search and filter, trash and
// restore, export and import, and "Use" taking a prompt to the studio.

test('keeps, finds, trashes, restores and moves prompts', async ({ page }) => {
  await page.goto('/prompts');
  await expect(page.getByRole('heading', { level: 1, name: 'Prompt library' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No prompts yet' })).toBeVisible();

  const add = async (title: string, text: string, category: string, tags: string) => {
    await page.getByRole('button', { name: 'Add prompt' }).click();
    const form = page.getByRole('form', { name: 'New prompt' });
    await expect(form.getByLabel('Title', { exact: true })).toBeFocused();
    await form.getByLabel('Title', { exact: true }).fill(title);
    await form.getByLabel('Text', { exact: true }).fill(text);
    await form.getByLabel('Category', { exact: true }).fill(category);
    await form.getByLabel('Tags', { exact: true }).fill(tags);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
  };
  await add('Lighthouse', 'a lighthouse at dusk, oil painting', 'Places', 'oil, dusk');
  await add('Fox', 'a red fox in the snow', 'Animals', 'fox');
  await add('灯塔', '黄昏时的红色灯塔，油画', 'Places', '油画');

  const cards = page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2 }) });
  await expect(cards).toHaveCount(3);
  await page.getByRole('searchbox', { name: 'Search prompts' }).fill('灯塔');
  await expect(cards).toHaveCount(1);
  await page.getByRole('searchbox', { name: 'Search prompts' }).fill('');
  await page.getByLabel('Category', { exact: true }).selectOption('Places');
  await expect(cards).toHaveCount(2);
  await page.getByLabel('Category', { exact: true }).selectOption('');

  await page.getByRole('button', { name: 'Favorite: Fox' }).click();
  await expect(page.getByRole('button', { name: 'Favorite: Fox' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByLabel('Favorites only').check();
  await expect(cards).toHaveCount(1);
  await page.getByLabel('Favorites only').uncheck();

  await page.getByRole('button', { name: 'Edit Fox' }).click();
  const form = page.getByRole('form', { name: 'Edit prompt' });
  await form.getByLabel('Text', { exact: true }).fill('a red fox in deep snow');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('a red fox in deep snow')).toBeVisible();

  await page.getByRole('button', { name: 'Delete Lighthouse' }).click();
  await expect(cards).toHaveCount(2);
  await page.getByLabel('Trash (1)').check();
  await page.getByRole('button', { name: 'Restore Lighthouse' }).click();
  await page.getByLabel('Trash (0)').uncheck();
  await expect(cards).toHaveCount(3);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const file = JSON.parse(await readFile((await (await download).path())!, 'utf8'));
  expect(file.prompts).toHaveLength(3);

  await page.getByRole('button', { name: 'Delete 灯塔' }).click();
  await page.getByLabel('Trash (1)').check();
  await page.getByRole('button', { name: 'Delete forever: 灯塔' }).click();
  await page.getByLabel('Trash (0)').uncheck();
  await expect(cards).toHaveCount(2);
  await page.locator('input[type=file]').setInputFiles({ name: 'prompts.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByText('Prompts imported: 1.')).toBeVisible();
  await expect(cards).toHaveCount(3);

  await page.getByRole('button', { name: 'Use prompt: Fox' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/prompts');
  await expect(cards.filter({ hasText: 'Fox' })).toContainText('Uses: 1');
});
