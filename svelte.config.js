import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // One setting moves routes, lib, app.html, hooks and the service worker into app/ (STACK.md trap 4).
    files: { src: 'app' },
    // An SPA: every path falls back to index.html; pages render in the browser only.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', precompress: true, strict: true }),
    // The PWA plugin builds and registers the service worker itself.
    serviceWorker: { register: false },
    version: { pollInterval: 0 }
  }
};

export default config;
