// The JavaScript a first visit downloads, per route, measured from Chromium's own network log
// (scripts the page itself fetched; the service worker's background precache is not first load).
import { chromium, type Browser } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromiumArgs, chromiumPath } from '../tests/chromium.ts';
import { startRelayProcess, type BenchRow } from './bench.ts';

const BUDGET_KB = 120;
const ROUTES = [
  ['studio', '/'],
  ['gallery', '/gallery'],
  ['batch', '/batch'],
  ['tasks', '/tasks'],
  ['logs', '/logs'],
  ['settings', '/settings'],
  ['prompts', '/prompts']
] as const;

function gzipBytes(path: string): number {
  const file = `build${path}`;
  if (existsSync(`${file}.gz`)) return readFileSync(`${file}.gz`).byteLength;
  return gzipSync(readFileSync(file), { level: 9 }).byteLength;
}

async function firstVisitScripts(browser: Browser, url: string): Promise<{ gzip: number; sent: number; files: number }> {
  // A fresh context per route: an empty HTTP cache and no service worker, like a first visit.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const scripts: { path: string; sent: number }[] = [];
    const pending: Promise<void>[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'script') return;
      pending.push(
        response
          .request()
          .sizes()
          .then(({ responseBodySize }) => void scripts.push({ path: new URL(response.url()).pathname, sent: responseBodySize }))
      );
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await Promise.all(pending);
    return {
      gzip: scripts.reduce((sum, script) => sum + gzipBytes(script.path), 0) / 1024,
      sent: scripts.reduce((sum, script) => sum + script.sent, 0) / 1024,
      files: scripts.length
    };
  } finally {
    await context.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const rows: BenchRow[] = [];
    for (const [name, path] of ROUTES) {
      const { gzip, sent, files } = await firstVisitScripts(browser, `${relay.url}${path}`);
      rows.push({ figure: `${name} first-load JS, gzip (${files} files)`, value: gzip, unit: 'KB', target: `< ${BUDGET_KB} KB`, ok: gzip < BUDGET_KB });
      if (name === 'studio') {
        rows.push({ figure: 'studio first-load JS, as sent (brotli)', value: sent, unit: 'KB', target: `< ${BUDGET_KB} KB`, ok: sent < BUDGET_KB });
      }
    }
    return rows;
  } finally {
    await browser.close();
    await relay.stop();
  }
}
