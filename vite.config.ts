import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/** One entry of Vite's client manifest (.svelte-kit/output/client/.vite/manifest.json). */
interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
}

/**
 * The files each page needs beyond what index.html already preloads, keyed by a path pattern.
 * The SPA fallback page only names the root layout's files; the page's own node is found by the
 * router after the layout chain has loaded, one more round trip on every first load.
 */
export function routePreloads(
  manifest: Record<string, ManifestChunk>,
  dictionary: Record<string, number[]>,
  nodeKey: (node: number) => string,
  alreadyLinked: ReadonlySet<string>
): [pattern: string, files: string[]][] {
  return Object.entries(dictionary).map(([route, nodes]) => {
    const files = new Set<string>();
    const visit = (key: string) => {
      const chunk = manifest[key];
      if (!chunk || files.has(`/${chunk.file}`)) return;
      files.add(`/${chunk.file}`);
      for (const css of chunk.css ?? []) files.add(`/${css}`);
      for (const imported of chunk.imports ?? []) visit(imported);
    };
    for (const node of nodes) visit(nodeKey(node));
    const pattern = (route === '/' ? '' : route)
      .split('/')
      .map((segment) => (/^\[.+\]$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|\\]/g, '\\$&')))
      .join('/');
    // Modules first: they are the longer chain; the stylesheets are small.
    const needed = [...files].filter((file) => !alreadyLinked.has(file));
    return [`^${pattern}/?$`, [...needed.filter((file) => !file.endsWith('.css')), ...needed.filter((file) => file.endsWith('.css'))]];
  });
}

/** A script for <head> that links the current page's files at once (modules and stylesheets). */
export function routePreloadScript(routes: [string, string[]][]): string {
  return `<script>
      // This page's own code, fetched beside the shell's instead of after it (written by vite.config.ts).
      (function (routes) {
        for (var i = 0; i < routes.length; i++) {
          if (!new RegExp(routes[i][0]).test(location.pathname)) continue;
          routes[i][1].forEach(function (href) {
            var link = document.createElement('link');
            link.href = href;
            // Vite links these itself with crossorigin; a preload in another mode would not be used.
            link.crossOrigin = '';
            if (/\\.css$/.test(href)) {
              link.rel = 'preload';
              link.as = 'style';
            } else link.rel = 'modulepreload';
            document.head.appendChild(link);
          });
          return;
        }
      })(${JSON.stringify(routes)});
    </script>`;
}

/** Reads the router's table (path -> node numbers) from the code SvelteKit generated for it. */
function routeDictionary(generatedApp: string): Record<string, number[]> {
  const table = /export const dictionary = \{([\s\S]*?)\n\t?\};/.exec(generatedApp)?.[1] ?? '';
  const entries = [...table.matchAll(/"([^"]+)":\s*\[([^\n]*)\],?$/gm)].map(
    ([, route, nodes]) => [route!, [...nodes!.matchAll(/~?(\d+)/g)].map((match) => Number(match[1]))] as const
  );
  return Object.fromEntries(entries);
}

/**
 * Writes the route preload script into the built index.html (after the adapter wrote it, with its
 * precompressed copies), so a first visit to any page asks for all of its code in one round.
 */
function preloadRouteCode(): Plugin {
  let ssrBuild = false;
  return {
    name: 'atelier:route-preloads',
    apply: 'build',
    configResolved(config) {
      ssrBuild = Boolean(config.build.ssr);
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        if (!ssrBuild) return;
        const page = 'build/index.html';
        const html = readFileSync(page, 'utf8');
        if (html.includes('routes[i][1]')) return;
        const manifest = JSON.parse(readFileSync('.svelte-kit/output/client/.vite/manifest.json', 'utf8')) as Record<string, ManifestChunk>;
        const dictionary = routeDictionary(readFileSync('.svelte-kit/generated/client-optimized/app.js', 'utf8'));
        if (Object.keys(dictionary).length === 0) throw new Error('route preloads: no routes found in the generated router');
        const linked = new Set([...html.matchAll(/<link href="([^"]+)"/g)].map((match) => match[1]!));
        const routes = routePreloads(manifest, dictionary, (node) => `.svelte-kit/generated/client-optimized/nodes/${node}.js`, linked);
        const withPreloads = html.replace('</head>', `  ${routePreloadScript(routes)}\n  </head>`);
        writeFileSync(page, withPreloads);
        writeFileSync(`${page}.br`, brotliCompressSync(withPreloads));
        writeFileSync(`${page}.gz`, gzipSync(withPreloads, { level: 9 }));
      }
    }
  };
}

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
    preloadRouteCode()
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
          include: ['app/**/*.test.ts', 'relay/**/*.test.ts', 'tests/upstream/**/*.test.ts', 'tests/unit/**/*.test.ts']
        }
      }
    ]
  }
});
