import { expect, test, type Page } from '@playwright/test';

// The app shell as a person meets it: headings, navigation, language, theme, phone and desktop.
// Everything is found by role and accessible name, as assistive technology would.

interface Route {
  path: string;
  en: string;
  zh: string;
}

const routes: readonly Route[] = [
  { path: '/', en: 'Studio', zh: '工作室' },
  { path: '/gallery', en: 'Gallery', zh: '图库' },
  { path: '/batch', en: 'Batch', zh: '批量' },
  { path: '/tasks', en: 'Tasks', zh: '任务' },
  { path: '/logs', en: 'Logs', zh: '日志' },
  { path: '/settings', en: 'Settings', zh: '设置' }
];

const emptyStates: Readonly<Record<string, string>> = {
  '/gallery': 'No images yet',
  '/batch': 'No batch jobs yet',
  '/tasks': 'No tasks yet'
  // /logs is not empty for long: every tab's engine logs when it joins the election.
};

function mainNav(page: Page, name = 'Main navigation') {
  return page.getByRole('navigation', { name });
}

test.describe('in English (browser locale en-US)', () => {
  for (const route of routes) {
    test(`${route.path} renders its heading, title and the navigation`, async ({ page }) => {
      await page.goto(route.path);

      await expect(page.getByRole('heading', { level: 1, name: route.en })).toBeVisible();
      await expect(page).toHaveTitle(`${route.en} · Atelier`);
      await expect(page.getByRole('main')).toBeVisible();
      const nav = mainNav(page);
      await expect(nav).toBeVisible();
      for (const other of routes) await expect(nav.getByRole('link', { name: other.en })).toBeVisible();
      await expect(nav.getByRole('link', { name: route.en })).toHaveAttribute('aria-current', 'page');
      await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');

      const empty = emptyStates[route.path];
      if (empty) await expect(page.getByRole('heading', { level: 2, name: empty })).toBeVisible();
    });
  }

  test('the studio points to Settings to add a provider', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByText('Add a provider in Settings to start generating images.')).toBeVisible();
    await page.getByRole('main').getByRole('link', { name: 'Open Settings' }).click();
    await expect(page).toHaveURL(/\/settings$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  });

  test('the navigation moves between pages without a full reload', async ({ page }) => {
    await page.goto('/');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    for (const route of routes.slice(1)) {
      await mainNav(page).getByRole('link', { name: route.en }).click();
      await expect(page).toHaveURL(new RegExp(`${route.path}$`));
      await expect(page.getByRole('heading', { level: 1, name: route.en })).toBeVisible();
    }
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  test('deep links load directly', async ({ page }) => {
    const response = await page.goto('/gallery');
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1, name: 'Gallery' })).toBeVisible();
    await expect(page.getByText('No images yet')).toBeVisible();
    await expect(mainNav(page).getByRole('link', { name: 'Gallery' })).toHaveAttribute('aria-current', 'page');
  });

  test('a skip link leads past the navigation to the main content', async ({ page }) => {
    await page.goto('/gallery');
    await expect(page.getByRole('heading', { level: 1, name: 'Gallery' })).toBeVisible();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('main')).toBeFocused();
  });
});

test.describe('in Chinese (browser locale zh-CN)', () => {
  test.use({ locale: 'zh-CN' });

  for (const route of routes) {
    test(`${route.path} renders in Simplified Chinese`, async ({ page }) => {
      await page.goto(route.path);

      await expect(page.getByRole('heading', { level: 1, name: route.zh })).toBeVisible();
      await expect(page).toHaveTitle(`${route.zh} · Atelier`);
      const nav = mainNav(page, '主导航');
      await expect(nav).toBeVisible();
      for (const other of routes) await expect(nav.getByRole('link', { name: other.zh })).toBeVisible();
      await expect(nav.getByRole('link', { name: route.zh })).toHaveAttribute('aria-current', 'page');
      await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    });
  }

  test('the gallery says it is empty in Chinese', async ({ page }) => {
    await page.goto('/gallery');
    await expect(page.getByRole('heading', { level: 2, name: '还没有图像' })).toBeVisible();
  });
});

test.describe('the language switch in Settings', () => {
  test('switches to Chinese, persists across a reload, and switches back', async ({ page }) => {
    await page.goto('/settings');
    const language = page.getByRole('radiogroup', { name: 'Language' });
    await expect(language.getByRole('radio', { name: 'English' })).toBeChecked();

    await language.getByRole('radio', { name: '简体中文' }).check();
    await expect(page.getByRole('heading', { level: 1, name: '设置' })).toBeVisible();
    await expect(mainNav(page, '主导航').getByRole('link', { name: '图库' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page).toHaveTitle('设置 · Atelier');

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: '设置' })).toBeVisible();
    await expect(page.getByRole('radiogroup', { name: '语言' }).getByRole('radio', { name: '简体中文' })).toBeChecked();

    await mainNav(page, '主导航').getByRole('link', { name: '日志' }).click();
    await expect(page.getByRole('heading', { level: 1, name: '日志' })).toBeVisible();
    await expect(page).toHaveTitle('日志 · Atelier');

    await page.goto('/settings');
    await page.getByRole('radiogroup', { name: '语言' }).getByRole('radio', { name: 'English' }).check();
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  test.describe('with a Chinese browser', () => {
    test.use({ locale: 'zh-CN' });

    test('an explicit English choice wins over the browser language', async ({ page }) => {
      await page.goto('/settings');
      await expect(page.getByRole('heading', { level: 1, name: '设置' })).toBeVisible();
      await page.getByRole('radiogroup', { name: '语言' }).getByRole('radio', { name: 'English' }).check();
      await page.reload();
      await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    });
  });
});

test.describe('on a phone (360 × 740)', () => {
  test.use({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });

  test('shows the navigation as a bottom tab bar with touch-sized links', async ({ page }) => {
    await page.goto('/gallery');
    await expect(page.getByRole('heading', { level: 1, name: 'Gallery' })).toBeVisible();
    const nav = mainNav(page);
    const box = await nav.boundingBox();
    expect(box).not.toBeNull();
    if (!box) return;
    expect(box.x).toBeLessThanOrEqual(1);
    expect(box.width).toBeGreaterThanOrEqual(359);
    expect(box.y + box.height).toBeGreaterThanOrEqual(739);
    expect(box.height).toBeLessThan(120);

    for (const route of routes) {
      const link = nav.getByRole('link', { name: route.en });
      await expect(link).toBeInViewport({ ratio: 1 });
      const linkBox = await link.boundingBox();
      expect(linkBox?.width).toBeGreaterThanOrEqual(44);
      expect(linkBox?.height).toBeGreaterThanOrEqual(44);
    }

    // The page does not scroll sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  test('taps move between pages', async ({ page }) => {
    await page.goto('/');
    await mainNav(page).getByRole('link', { name: 'Tasks' }).tap();
    await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
    await expect(page.getByText('No tasks yet')).toBeVisible();
  });

  test('the settings controls fit and work', async ({ page }) => {
    await page.goto('/settings');
    const theme = page.getByRole('radiogroup', { name: 'Theme' });
    // Settings is a long page on a phone; the controls must be reachable and fit once scrolled to.
    await theme.scrollIntoViewIfNeeded();
    for (const name of ['System', 'Light', 'Dark']) await expect(theme.getByRole('radio', { name })).toBeInViewport();
    await theme.getByRole('radio', { name: 'Dark' }).check();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

test.describe('on a desktop (1440 × 900)', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('shows the navigation as a side rail on the left', async ({ page }) => {
    await page.goto('/batch');
    await expect(page.getByRole('heading', { level: 1, name: 'Batch' })).toBeVisible();
    const box = await mainNav(page).boundingBox();
    expect(box).not.toBeNull();
    if (!box) return;
    expect(box.x).toBeLessThanOrEqual(1);
    expect(box.y).toBeLessThanOrEqual(1);
    expect(box.height).toBeGreaterThanOrEqual(899);
    expect(box.width).toBeLessThan(320);

    const main = await page.getByRole('main').boundingBox();
    expect(main?.x).toBeGreaterThanOrEqual(box.x + box.width - 1);
  });
});

test.describe('the theme', () => {
  async function background(page: Page): Promise<string> {
    return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  }

  async function colorScheme(page: Page): Promise<string> {
    return page.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
  }

  test.describe('with a light system', () => {
    test.use({ colorScheme: 'light' });

    test('follows the system, then Dark applies, persists, and System returns to light', async ({ page }) => {
      await page.goto('/settings');
      const theme = page.getByRole('radiogroup', { name: 'Theme' });
      await expect(theme.getByRole('radio', { name: 'System' })).toBeChecked();
      const light = await background(page);
      expect(await colorScheme(page)).toBe('light');

      await theme.getByRole('radio', { name: 'Dark' }).check();
      await expect.poll(() => colorScheme(page)).toBe('dark');
      const dark = await background(page);
      expect(dark).not.toBe(light);

      await page.reload();
      await expect(page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'Dark' })).toBeChecked();
      expect(await colorScheme(page)).toBe('dark');
      expect(await background(page)).toBe(dark);

      await page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'System' }).check();
      await expect.poll(() => colorScheme(page)).toBe('light');
      expect(await background(page)).toBe(light);
    });
  });

  test.describe('with a dark system', () => {
    test.use({ colorScheme: 'dark' });

    test('is dark by default and Light overrides it', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('heading', { level: 1, name: 'Studio' })).toBeVisible();
      expect(await colorScheme(page)).toBe('dark');
      const dark = await background(page);

      await page.goto('/settings');
      await page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'Light' }).check();
      await expect.poll(() => colorScheme(page)).toBe('light');
      expect(await background(page)).not.toBe(dark);
    });
  });
});
