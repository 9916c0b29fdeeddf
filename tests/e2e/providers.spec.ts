import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { startUpstream, type TestUpstream } from '../upstream/server.ts';

// Providers in Settings, through the UI only: add, fetch models, test the connection (ok, bad key,
// unreachable), templates, reveal the key, duplicate, default, delete, export and import.

let upstream: TestUpstream;
test.beforeAll(async () => {
  upstream = await startUpstream();
});
test.afterAll(async () => {
  await upstream.close();
});
test.beforeEach(() => upstream.reset());

async function openEditor(page: Page): Promise<void> {
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Add provider' }).click();
  await expect(page.getByRole('dialog', { name: 'Add a provider' })).toBeVisible();
}

async function fill(page: Page, fields: { name: string; dialect: string; baseUrl: string; key: string }): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill(fields.name);
  await dialog.getByLabel('Dialect', { exact: true }).selectOption(fields.dialect);
  await dialog.getByLabel('Base URL', { exact: true }).fill(fields.baseUrl);
  await dialog.getByLabel('API key', { exact: true }).fill(fields.key);
}

test('adds a provider pointing at the upstream, with fetched models and a tested connection', async ({ page }) => {
  await openEditor(page);
  await fill(page, { name: 'Local OpenAI', dialect: 'openai-images', baseUrl: `${upstream.url}/v1`, key: 'sk-test-provider-key' });
  const dialog = page.getByRole('dialog');

  await dialog.getByRole('button', { name: 'Fetch models' }).click();
  await expect(dialog.getByText('9 models found')).toBeVisible();
  await dialog.getByLabel('Listed by the provider').selectOption('gpt-image-1');
  await expect(dialog.getByLabel('Model', { exact: true })).toHaveValue('gpt-image-1');

  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog.getByText(/^Connected: 9 models/)).toBeVisible();
  const listCalls = upstream.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');
  expect(listCalls.length).toBeGreaterThanOrEqual(2);
  expect(listCalls[0]?.headers.authorization).toBe('Bearer sk-test-provider-key');

  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  const item = page.getByRole('listitem').filter({ hasText: 'Local OpenAI' });
  await expect(item).toContainText('Default');
  await expect(item).toContainText('gpt-image-1');

  await page.reload();
  await expect(page.getByRole('listitem').filter({ hasText: 'Local OpenAI' })).toBeVisible();
});

test('tells a bad key from an unreachable server', async ({ page }) => {
  await openEditor(page);
  await fill(page, { name: 'Broken', dialect: 'openai-images', baseUrl: `${upstream.url}/v1`, key: 'sk-wrong-key-000' });
  const dialog = page.getByRole('dialog');

  upstream.configure({ fault: '401' });
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog.getByText(/refused the key: Incorrect API key provided/)).toBeVisible();

  await dialog.getByLabel('Base URL', { exact: true }).fill('http://127.0.0.1:9/v1');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog.getByText(/^Could not reach the server/)).toBeVisible();
});

test('masks the key with a reveal toggle, and templates fill the base URL and dialect', async ({ page }) => {
  await page.goto('/settings');
  await page.getByRole('group', { name: 'Start from a template' }).getByRole('button', { name: 'OpenRouter' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('Base URL', { exact: true })).toHaveValue('https://openrouter.ai/api/v1');
  await expect(dialog.getByLabel('Dialect', { exact: true })).toHaveValue('openai-chat');
  await expect(dialog.getByLabel('Name', { exact: true })).toHaveValue('OpenRouter');

  const key = dialog.getByLabel('API key', { exact: true });
  await key.fill('sk-or-secret');
  await expect(key).toHaveAttribute('type', 'password');
  await dialog.getByRole('button', { name: 'Show key' }).click();
  await expect(key).toHaveAttribute('type', 'text');
  await dialog.getByRole('button', { name: 'Hide key' }).click();
  await expect(key).toHaveAttribute('type', 'password');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('group', { name: 'Start from a template' }).getByRole('button', { name: 'OpenRouter' })).toBeFocused();
});

test('duplicates, changes the default, deletes, and moves providers through JSON without keys unless asked', async ({ page }) => {
  await openEditor(page);
  await fill(page, { name: 'Alpha', dialect: 'gemini', baseUrl: `${upstream.url}/gemini`, key: 'sk-alpha-secret' });
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();

  await page.getByRole('button', { name: 'Duplicate Alpha' }).click();
  const copy = page.getByRole('listitem').filter({ hasText: 'Alpha (copy)' });
  await expect(copy).toBeVisible();
  await page.getByRole('button', { name: 'Make default: Alpha (copy)' }).click();
  await expect(copy).toContainText('Default');
  await expect(page.getByRole('listitem').filter({ hasText: /^Alpha\s*gemini/ })).not.toContainText('Default');

  const panel = page.getByRole('region', { name: 'Providers' });
  const download = page.waitForEvent('download');
  await panel.getByRole('button', { name: 'Export' }).click();
  const plain = JSON.parse(await readFile((await (await download).path())!, 'utf8'));
  expect(plain.providers).toHaveLength(2);
  expect(JSON.stringify(plain)).not.toContain('sk-alpha-secret');

  await panel.getByLabel('Include keys').check();
  const keyed = page.waitForEvent('download');
  await panel.getByRole('button', { name: 'Export' }).click();
  const withKeys = await readFile((await (await keyed).path())!, 'utf8');
  expect(withKeys).toContain('sk-alpha-secret');

  page.on('dialog', (confirmation) => void confirmation.accept());
  await page.getByRole('button', { name: 'Delete Alpha (copy)' }).click();
  await expect(copy).toHaveCount(0);
  await expect(page.getByRole('listitem').filter({ hasText: 'Alpha' })).toContainText('Default');

  await panel.locator('input[type=file]').setInputFiles({ name: 'providers.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(plain)) });
  await expect(page.getByText('Providers imported: 2.')).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Alpha' })).toHaveCount(3);
});
