import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    sveltekit(),
    SvelteKitPWA({
      strategies: 'injectManifest',
      srcDir: 'app',
      filename: 'service-worker.ts',
      registerType: 'prompt',
      injectRegister: false,
      // The manifest is a static file (static/manifest.webmanifest) linked from app.html.
      manifest: false,
      injectManifest: {
        globPatterns: ['client/**/*.{js,css,html,svg,png,webp,ico,webmanifest,woff2}'],
        // Install-dialog and README screenshots are seen online only; every install would download them.
        globIgnores: ['client/screenshots/**']
      },
      kit: { spa: true, adapterFallback: 'index.html' },
      devOptions: { enabled: false }
    })
  ],
  // The timing report is noise in every build log; profile with `node --cpu-prof` when needed.
  build: { rolldownOptions: { checks: { bundlerTimings: false } } },
  worker: { format: 'es' },
  optimizeDeps: {
    include: ['dexie', 'comlink', 'browser-image-compression', 'eventsource-parser']
  },
  test: {
    expect: { requireAssertions: true },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['app/**/*.test.ts', 'relay/**/*.test.ts', 'tests/upstream/**/*.test.ts', 'tests/unit/**/*.test.ts']
        }
      }
    ]
  }
});
