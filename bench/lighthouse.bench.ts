// Lighthouse (mobile preset, its default) on the built app served by the relay, in Debian's Chromium.
import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromiumArgs, chromiumPath } from '../tests/chromium.ts';
import { startRelayProcess, type BenchRow } from './bench.ts';

const TARGETS = { performance: 95, accessibility: 100, 'best-practices': 95 } as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function run(): Promise<BenchRow[]> {
  const relay = await startRelayProcess();
  const port = await freePort();
  // Lighthouse drives the browser over the DevTools port; Playwright only starts it.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, `--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1']
  });
  try {
    const result = await lighthouse(`${relay.url}/`, {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: Object.keys(TARGETS)
    });
    if (!result) throw new Error('Lighthouse returned no result');
    // The whole report (every audit, the trace-derived metrics) for finding what costs the score.
    const reportPath = process.env.LIGHTHOUSE_REPORT;
    if (reportPath) {
      writeFileSync(reportPath, typeof result.report === 'string' ? result.report : JSON.stringify(result.lhr));
      console.log(`  full report written to ${reportPath}`);
    }
    const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'speed-index', 'cumulative-layout-shift'];
    console.log(`  ${metrics.map((id) => `${id}: ${result.lhr.audits[id]?.displayValue ?? '?'}`).join(', ')}`);
    return Object.entries(TARGETS).map(([id, target]) => {
      const score = Math.round((result.lhr.categories[id]?.score ?? 0) * 100);
      return { figure: `Lighthouse ${id} (mobile, studio)`, value: score, unit: '', target: `>= ${target}`, ok: score >= target };
    });
  } finally {
    await browser.close();
    await relay.stop();
  }
}
