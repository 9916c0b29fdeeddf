import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './chromium.ts';

// Chosen once in the main process and inherited by the workers through the environment, so two
// runs on one machine do not fight over a port.
process.env.E2E_PORT ??= String(52000 + (process.pid % 2000));
const port = Number(process.env.E2E_PORT);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './e2e',
  // Per run, so a second run on the same machine cannot delete this one's traces mid-test.
  outputDir: `../test-results/e2e-artifacts-${port}`,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  workers: 2,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: `../test-results/e2e-${port}.json` }]],
  use: {
    baseURL,
    locale: 'en-US',
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  },
  // The built app behind the real relay, as people run it (`vite preview` cannot serve the SPA fallback).
  webServer: {
    command: `node relay/bin.js serve --port ${port} --host 127.0.0.1 --log-level warn`,
    cwd: '..',
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000
  }
});
