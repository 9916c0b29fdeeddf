import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { expect, putRows, seedProvider, test } from './fixtures.ts';

// axe-core over the studio, settings and prompts pages, in both languages, on a desktop and a
// phone-sized viewport, with data in them (a provider, a prompt, a finished generation) and with
// their dialogs open. Zero violations, any rule axe runs by default.

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document)).violations;
  });
  return found.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n  ')}`);
}

const viewports = [
  { name: 'desktop', size: { width: 1280, height: 800 } },
  { name: 'phone', size: { width: 360, height: 740 } }
] as const;

const languages = [
  { locale: 'en-US', generate: 'Generate', prompt: 'Prompt', addProvider: 'Add provider', shortcuts: 'Keyboard shortcuts', sessions: 'Sessions' },
  { locale: 'zh-CN', generate: '生成', prompt: '提示词', addProvider: '添加服务商', shortcuts: '键盘快捷键', sessions: '会话' }
] as const;

for (const language of languages) {
  for (const viewport of viewports) {
    test.describe(`${language.locale} on a ${viewport.name}`, () => {
      test.use({ locale: language.locale, viewport: viewport.size });

      test('studio, settings and prompts have no axe violations', async ({ page, upstream }) => {
        upstream.reset();
        await page.goto('/settings');
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await seedProvider(page, { id: 'p-a11y', name: 'Upstream', baseUrl: `${upstream.url}/v1` });
        await putRows(page, 'prompts', [
          { id: 'q-a11y', createdAt: 1, updatedAt: 1, title: 'Harbour', text: 'a misty harbour at dawn', category: 'Places', tags: ['mist'], favorite: 1, uses: 2, deletedAt: 0 }
        ]);

        await page.goto('/');
        await page.getByRole('textbox', { name: language.prompt }).fill('a misty harbour');
        await page.getByRole('button', { name: language.generate, exact: true }).click();
        await expect(page.getByRole('article').getByRole('img', { name: 'a misty harbour' })).toBeVisible({ timeout: 15_000 });
        await page.getByRole('textbox', { name: language.prompt }).fill('harbour');
        expect(await violations(page)).toEqual([]);

        await page.keyboard.press('Escape');
        await page.locator('body').click({ position: { x: 1, y: 1 } });
        await page.keyboard.press('?');
        await expect(page.getByRole('dialog', { name: language.shortcuts })).toBeVisible();
        expect(await violations(page)).toEqual([]);
        await page.keyboard.press('Escape');

        if (viewport.name === 'phone') {
          // Phones keep the sessions panel in a dialog.
          await page.getByRole('button', { name: language.sessions, exact: true }).click();
          const dialog = page.getByRole('dialog', { name: language.sessions });
          await expect(dialog.getByRole('button', { name: /^a misty harbour/ })).toHaveAttribute('aria-current', 'true');
          expect(await violations(page)).toEqual([]);
          await dialog.getByRole('button', { name: /^a misty harbour/ }).click();
          await expect(dialog).toHaveCount(0);
        }

        await page.goto('/settings');
        await expect(page.getByRole('listitem').filter({ hasText: 'Upstream' })).toBeVisible();
        expect(await violations(page)).toEqual([]);
        await page.getByRole('button', { name: language.addProvider }).click();
        await expect(page.getByRole('dialog')).toBeVisible();
        expect(await violations(page)).toEqual([]);
        await page.keyboard.press('Escape');

        await page.goto('/prompts');
        await expect(page.getByRole('heading', { name: 'Harbour' })).toBeVisible();
        expect(await violations(page)).toEqual([]);
      });
    });
  }
}
