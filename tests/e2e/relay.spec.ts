import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

// Relay mode in Chromium: the built app served by a relay with a password and one provider that
// points at the test upstream. The person logs in through the app, generates with the relay's
// provider, and finds the image in the gallery; the upstream got the relay's key, and the key is
// nowhere the browser can see: not in IndexedDB, not in any response body or header.

const root = join(import.meta.dirname, '..', '..');
const password = 'correct horse battery staple';
const apiKey = 'sk-test.relay.secret.123456';

interface Relay {
  url: string;
  stop(): Promise<void>;
}

async function startRelay(upstreamUrl: string): Promise<Relay> {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-relay-e2e-'));
  const hash = execFileSync('node', ['relay/bin.js', 'hash-password', password], { cwd: root, encoding: 'utf8' }).trim();
  const config = {
    host: '127.0.0.1',
    port: 0,
    dataDir: './data',
    auth: { passwordHash: '${RELAY_E2E_PASSWORD_HASH}' },
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
  const child = spawn('node', ['relay/bin.js', 'serve', '--config', join(dir, 'atelier.config.json'), '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, RELAY_E2E_PASSWORD_HASH: hash, RELAY_E2E_API_KEY: apiKey },
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

test('logs in to the relay, generates through its provider, and no key reaches the browser', async ({ browser, upstream }) => {
  upstream.reset();
  const relay = await startRelay(upstream.url);
  const context = await browser.newContext({ baseURL: relay.url });
  try {
    const page = await context.newPage();
    // Everything the browser received: page, engine worker and service worker responses alike.
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

    await page.goto('/');
    // Served by a relay, not logged in, nothing local to generate with: the app asks for the login.
    const login = page.getByRole('dialog', { name: 'Log in to the relay' });
    await login.getByLabel('Password').fill('not the password');
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(login.getByRole('alert')).toHaveText('Wrong password.');
    await login.getByLabel('Password').fill(password);
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(login).toBeHidden();

    const provider = page.getByRole('combobox', { name: 'Provider' });
    await expect(provider.getByRole('option', { name: 'Team images (via relay)' })).toBeAttached();
    await provider.selectOption({ label: 'Team images (via relay)' });
    const prompt = 'a paper lantern drifting over a river';
    await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('article', { name: prompt }).getByRole('img', { name: prompt })).toBeVisible({ timeout: 15_000 });

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Gallery' }).click();
    await expect(page.getByRole('img', { name: prompt }).first()).toBeVisible();

    // The upstream saw the relay's key, and only through the relay.
    const generations = upstream.requests.filter((request) => request.method === 'POST' && request.path === '/v1/images/generations');
    expect(generations).toHaveLength(1);
    expect(generations[0]!.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(generations[0]!.headers.cookie).toBeUndefined();

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
