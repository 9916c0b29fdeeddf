// `npm test`: every suite in order, then one closing line "N passed, N failed" for all of them
// together (the CI harness reads that line; Vitest's and Playwright's own summaries are not read).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { chromiumMissing } from './chromium.ts';

interface Tally {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

const tallies: Tally[] = [];
const resultsDir = 'test-results';

function step(suite: string, command: string, args: string[]): { ok: boolean; seconds: number } {
  console.log(`\n▶ ${suite}: ${command} ${args.join(' ')}`);
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const seconds = (performance.now() - started) / 1000;
  return { ok: result.status === 0, seconds };
}

/** A step that is one check: passed or failed as a whole. */
function check(suite: string, command: string, args: string[]): boolean {
  const { ok, seconds } = step(suite, command, args);
  tallies.push({ suite, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds });
  return ok;
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

// The port names this run's Playwright report (see playwright.config.ts); other runs' files stay.
process.env.E2E_PORT ??= String(52000 + (process.pid % 2000));
const e2eReport = `${resultsDir}/e2e-${process.env.E2E_PORT}.json`;
mkdirSync(resultsDir, { recursive: true });
for (const file of [`${resultsDir}/vitest.json`, e2eReport]) rmSync(file, { force: true });

check('types', 'npm', ['run', '-s', 'check']);
check('architecture', 'npx', ['depcruise', '--config', 'tests/architecture.cjs', 'app', 'relay']);

{
  const { ok, seconds } = step('unit and integration (Vitest)', 'npx', [
    'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${resultsDir}/vitest.json`
  ]);
  const report = readJson<{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }>(
    `${resultsDir}/vitest.json`
  );
  const failed = report ? report.numFailedTests + (ok || report.numFailedTests > 0 ? 0 : 1) : 1;
  tallies.push({
    suite: 'vitest',
    passed: report?.numPassedTests ?? 0,
    failed,
    skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
    seconds
  });
}

const missingBrowser = chromiumMissing();
if (missingBrowser) {
  // Browser tests are never skipped silently: a missing Chromium is a failure.
  console.error(`\n✖ browser (Playwright): ${missingBrowser}`);
  tallies.push({ suite: 'playwright', passed: 0, failed: 1, skipped: 0, seconds: 0 });
} else if (check('build', 'npx', ['vite', 'build', '--logLevel', 'warn'])) {
  const { ok, seconds } = step('browser (Playwright, Chromium)', 'npx', ['playwright', 'test', '-c', 'tests/playwright.config.ts']);
  const report = existsSync(e2eReport)
    ? readJson<{ stats: { expected: number; unexpected: number; flaky: number; skipped: number } }>(e2eReport)
    : null;
  const stats = report?.stats;
  tallies.push({
    suite: 'playwright',
    passed: stats ? stats.expected + stats.flaky : 0,
    failed: stats ? stats.unexpected + (ok || stats.unexpected > 0 ? 0 : 1) : 1,
    skipped: stats?.skipped ?? 0,
    seconds
  });
}

console.log('\nSuite            passed  failed  skipped  seconds');
for (const t of tallies) {
  console.log(
    `${t.suite.padEnd(16)} ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.skipped).padStart(7)}  ${t.seconds.toFixed(1).padStart(7)}`
  );
}
const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
const failed = tallies.reduce((sum, t) => sum + t.failed, 0);
const skipped = tallies.reduce((sum, t) => sum + t.skipped, 0);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
