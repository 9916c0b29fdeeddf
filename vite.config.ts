import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';
import { firstLoadPlugin } from './app/build/index-html.ts';

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
    }),
    firstLoadPlugin()
  ],
  // The timing report is noise in every build log; profile with `node --cpu-prof` when needed.
  build: {
    rolldownOptions: {
      checks: { bundlerTimings: false },
      output: {
        codeSplitting: {
          groups: [
            // What every page runs before it can show anything, in three similar parts that download side by side.
            { name: 'db', test: /node_modules[\\/]dexie[\\/]/, priority: 2 },
            { name: 'framework', test: /node_modules[\\/](svelte|devalue|@sveltejs[\\/]kit)[\\/]/, priority: 1 },
            { name: 'shell', test: /app[\\/]routes[\\/]\+layout\.svelte|@sveltejs[\\/]kit[\\/]src[\\/]runtime[\\/]client/ }
          ]
        }
      }
    }
  },
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
          include: ['app/**/*.test.ts', 'relay/**/*.test.ts', 'tests/upstream/**/*.test.ts']
        }
      }
    ]
  }
});
