// Lighthouse (mobile preset, its default) on the built app served by the relay, in Debian's Chromium.
// One run's performance score moves by several points with nothing changed (its simulated timings
// scale the main-thread tasks it observed); Lighthouse's guidance (docs/variability.md) is the
// median of five runs, which it picks with computeMedianRun. That run's scores are reported.
import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { computeMedianRun } from 'lighthouse/core/lib/median-run.js';
import type { Result } from 'lighthouse';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromiumArgs, chromiumPath } from '../tests/chromium.ts';
import { startRelayProcess, type BenchRow } from './bench.ts';

const TARGETS = { performance: 95, accessibility: 100, 'best-practices': 95 } as const;
const RUNS = 5;

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
  try {
    const runs: Result[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await audit(`${relay.url}/`, port));
    const median = computeMedianRun(runs);
    const scores = (lhr: Result) => Math.round((lhr.categories.performance?.score ?? 0) * 100);
    console.log(`  performance of ${RUNS} runs: ${runs.map(scores).join(', ')}; the median run (computeMedianRun) is reported`);
    const reportPath = process.env.LIGHTHOUSE_REPORT;
    if (reportPath) {
      writeFileSync(reportPath, JSON.stringify(median));
      console.log(`  the median run's whole report written to ${reportPath}`);
    }
    const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'speed-index', 'cumulative-layout-shift'];
    console.log(`  ${metrics.map((id) => `${id}: ${median.audits[id]?.displayValue ?? '?'}`).join(', ')}`);
    return Object.entries(TARGETS).map(([id, target]) => {
      const score = Math.round((median.categories[id]?.score ?? 0) * 100);
      return { figure: `Lighthouse ${id} (mobile, studio, median of ${RUNS})`, value: score, unit: '', target: `>= ${target}`, ok: score >= target };
    });
  } finally {
    await relay.stop();
  }
}

/** One Lighthouse run in a browser of its own (a cold profile, as a first visit). */
async function audit(url: string, port: number): Promise<Result> {
  // Lighthouse drives the browser over the DevTools port; Playwright only starts it.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, `--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1']
  });
  try {
    const result = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: Object.keys(TARGETS) });
    if (!result) throw new Error('Lighthouse returned no result');
    return result.lhr;
  } finally {
    await browser.close();
  }
}
