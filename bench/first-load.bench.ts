// The JavaScript a first visit to the studio downloads, measured from Chromium's own network log
// (scripts the page itself fetched; the service worker's background precache is not first load).
import { chromium } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromiumArgs, chromiumPath } from '../tests/chromium.ts';
import { startRelayProcess, type BenchRow } from './bench.ts';

const BUDGET_KB = 120;

function gzipBytes(path: string): number {
  const file = `build${path}`;
  if (existsSync(`${file}.gz`)) return readFileSync(`${file}.gz`).byteLength;
  return gzipSync(readFileSync(file), { level: 9 }).byteLength;
}

export async function run(): Promise<BenchRow[]> {
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    const scripts: { path: string; transferred: number }[] = [];
    const sizes: Promise<void>[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'script') return;
      sizes.push(
        response
          .request()
          .sizes()
          .then(({ responseBodySize }) => {
            scripts.push({ path: new URL(response.url()).pathname, transferred: responseBodySize });
          })
      );
    });
    await page.goto(`${relay.url}/`, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await Promise.all(sizes);

    const gzipTotal = scripts.reduce((sum, script) => sum + gzipBytes(script.path), 0) / 1024;
    const transferred = scripts.reduce((sum, script) => sum + script.transferred, 0) / 1024;
    return [
      { figure: 'studio first-load JS, gzip', value: gzipTotal, unit: 'KB', target: `< ${BUDGET_KB} KB`, ok: gzipTotal < BUDGET_KB },
      { figure: 'studio first-load JS, as sent (brotli)', value: transferred, unit: 'KB', target: `< ${BUDGET_KB} KB`, ok: transferred < BUDGET_KB },
      { figure: 'studio first-load script files', value: scripts.length, unit: 'files', target: '< 40', ok: scripts.length < 40 }
    ];
  } finally {
    await browser.close();
    await relay.stop();
  }
}
