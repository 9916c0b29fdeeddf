import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import type { TestUpstream } from '../upstream/server.ts';
import { expect, serveRelay, test } from './fixtures.ts';

// Relay mode in Chromium, with a relay that has a password and one provider pointing at the test
// upstream: first the built app served by that relay, then the app served from another site that
// adds the relay by its address in Settings (CORS allowlist, bearer session). The person logs in
// through the app, generates with the relay's provider, and finds the image in the gallery; the
// upstream got the relay's key, and the key is nowhere the browser can see: not in IndexedDB, not
// in any response body or header.

const root = join(import.meta.dirname, '..', '..');
const password = 'correct horse battery staple';
const apiKey = 'sk-test.relay.secret.123456';

interface Relay {
  url: string;
  stop(): Promise<void>;
}

async function startRelay(upstreamUrl: string, corsOrigins: string[] = []): Promise<Relay> {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-relay-e2e-'));
  const hash = execFileSync('node', ['relay/bin.js', 'hash-password', password], { cwd: root, encoding: 'utf8' }).trim();
  const config = {
    host: '127.0.0.1',
    port: 0,
    dataDir: './data',
    auth: { passwordHash: '${RELAY_E2E_PASSWORD_HASH}' },
    cors: { origins: corsOrigins },
    providers: [
      {
        id: 'team',
        label: 'Team images',
        dialect: 'openai-images',
        baseUrl: `${upstreamUrl}/v1`,
        models: ['gpt-image-1'],
        apiKey: '${RELAY_E2E_API_KEY}',
        // The test upstream listens on 127.0.0.1, which the relay refuses without this.
        allowPrivateNetwork: true
      }
    ]
  };
  writeFileSync(join(dir, 'atelier.config.json'), JSON.stringify(config));
  const relay = await serveRelay(['--config', join(dir, 'atelier.config.json')], { RELAY_E2E_PASSWORD_HASH: hash, RELAY_E2E_API_KEY: apiKey });
  return {
    url: relay.url,
    async stop() {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Every object store of every database of this origin, each row as JSON (Blobs show as `{}`: image bytes hold no text). */
function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: string[] = [];
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name!);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        out.push(`${info.name}/${store}: ${JSON.stringify(rows)}`);
      }
      db.close();
    }
    return out.join('\n');
  });
}

/** Every response the context receives (page, engine worker, service worker), as method, URL, headers and body. */
function recordResponses(context: BrowserContext): Promise<string>[] {
  const seen: Promise<string>[] = [];
  context.on('response', (response) => {
    seen.push(
      (async () => {
        const headers = JSON.stringify(await response.allHeaders());
        const body = await response.body().then(
          (bytes) => bytes.toString('latin1'),
          () => ''
        );
        return `${response.request().method()} ${response.url()}\n${headers}\n${body}`;
      })()
    );
  });
  return seen;
}

/**
 * In the studio: generates with the relay's provider, sees the image in the turn and in the
 * gallery, and checks the upstream got the relay's key (and no cookie) on its one request.
 */
async function generateThroughRelay(page: Page, upstream: TestUpstream, prompt: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Provider' }).selectOption({ label: 'Team images (via relay)' });
  await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('article', { name: prompt }).getByRole('img', { name: prompt })).toBeVisible({ timeout: 15_000 });

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Gallery' }).click();
  await expect(page.getByRole('img', { name: prompt }).first()).toBeVisible();

  const generations = upstream.requests.filter((request) => request.method === 'POST' && request.path === '/v1/images/generations');
  expect(generations).toHaveLength(1);
  expect(generations[0]!.headers.authorization).toBe(`Bearer ${apiKey}`);
  expect(generations[0]!.headers.cookie).toBeUndefined();
}

test('logs in to the relay, generates through its provider, and no key reaches the browser', async ({ browser, upstream }) => {
  // Starts two processes of its own (hash-password, then the relay, each compiling TypeScript
  // at start) before a whole generation: on a busy 2-core machine that passes 30 s.
  test.slow();
  upstream.reset();
  const relay = await startRelay(upstream.url);
  const context = await browser.newContext({ baseURL: relay.url });
  try {
    const page = await context.newPage();
    const seen = recordResponses(context);

    await page.goto('/');
    // Served by a relay, not logged in, nothing local to generate with: the app asks for the login.
    const login = page.getByRole('dialog', { name: 'Log in to the relay' });
    await login.getByLabel('Password').fill('not the password');
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(login.getByRole('alert')).toHaveText('Wrong password.');
    await login.getByLabel('Password').fill(password);
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(login).toBeHidden();

    await expect(page.getByRole('combobox', { name: 'Provider' }).getByRole('option', { name: 'Team images (via relay)' })).toBeAttached();
    await generateThroughRelay(page, upstream, 'a paper lantern drifting over a river');

    await page.goto('/settings');
    const relaySection = page.getByRole('region', { name: 'Relay' });
    await expect(relaySection.getByRole('status')).toHaveText(`Connected to ${relay.url}. Providers from the relay: 1.`);
    const row = page.getByRole('listitem').filter({ hasText: 'Team images' });
    await expect(row).toContainText('via relay');
    await expect(row.getByRole('button', { name: 'Edit Team images' })).toHaveCount(0);

    const stored = await dumpIndexedDb(page);
    expect(stored).toContain('/api/upstream/team');
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(password);
    // Same origin: the session lives in the httpOnly cookie, so no token is stored either.
    expect(stored).not.toMatch(/Bearer|v1\.[0-9a-z]+\.[\w-]+\.[\w-]+/);

    const responses = await Promise.all(seen);
    expect(responses.some((text) => text.startsWith(`POST ${relay.url}/api/upstream/team/images/generations`))).toBe(true);
    expect(responses.some((text) => text.startsWith(`GET ${relay.url}/api/providers`))).toBe(true);
    for (const text of responses) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(password);
    }
  } finally {
    await context.close();
    await relay.stop();
  }
});

test('uses a relay on another site added in Settings: bearer session over CORS, image in the gallery, no key in the browser', async ({ browser, baseURL, upstream }) => {
  test.slow();
  upstream.reset();
  // The app comes from the test run's own server (a relay with no password and no providers) on
  // 127.0.0.1; the relay with the keys answers on localhost: another site, so its SameSite=Strict
  // cookie never travels and the app must carry the session as a bearer token.
  const appOrigin = new URL(baseURL!).origin;
  const relay = await startRelay(upstream.url, [appOrigin]);
  const relayUrl = relay.url.replace('127.0.0.1', 'localhost');
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const seen = recordResponses(context);

    await page.goto('/settings');
    const relaySection = page.getByRole('region', { name: 'Relay' });
    await relaySection.getByRole('textbox', { name: 'Relay address' }).fill(relayUrl);
    await relaySection.getByRole('button', { name: 'Connect' }).click();
    // The relay answers this origin (it is on the allowlist) and asks for the login.
    const login = page.getByRole('dialog', { name: 'Log in to the relay' });
    await expect(login).toBeVisible();
    await login.getByLabel('Password').fill(password);
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(login).toBeHidden();
    await expect(relaySection.getByRole('status')).toHaveText(`Connected to ${relayUrl}. Providers from the relay: 1.`);
    await expect(page.getByRole('listitem').filter({ hasText: 'Team images' })).toContainText('via relay');

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Studio' }).click();
    await generateThroughRelay(page, upstream, 'a red kite over a salt marsh');

    // A new page load finds the added relay and its session again, with no second login.
    await page.goto('/settings');
    await expect(page.getByRole('region', { name: 'Relay' }).getByRole('status')).toHaveText(`Connected to ${relayUrl}. Providers from the relay: 1.`);
    await expect(login).toBeHidden();

    const stored = await dumpIndexedDb(page);
    expect(stored).toContain(`${relayUrl}/api/upstream/team`);
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(password);
    // Another site: the session is the relay's bearer token (never an upstream key), kept for this relay.
    expect(stored).toMatch(/Bearer v1\.[0-9a-z]+\.[\w-]+\.[\w-]+/);

    const responses = await Promise.all(seen);
    const generation = responses.find((text) => text.startsWith(`POST ${relayUrl}/api/upstream/team/images/generations`));
    expect(generation).toBeDefined();
    expect(generation).toContain(`"access-control-allow-origin":"${appOrigin}"`);
    expect(responses.some((text) => text.startsWith(`GET ${relayUrl}/api/providers`))).toBe(true);
    for (const text of responses) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(password);
    }
  } finally {
    await context.close();
    await relay.stop();
  }
});
