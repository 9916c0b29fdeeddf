// What the build does to the SPA's index.html after SvelteKit's adapter wrote it, so a first visit
// paints and loads sooner: the root layout's stylesheet is inlined (it blocked the first paint on
// a request of its own), a small script links the current page's code beside the shell's, and on
// /gallery the first screen's rows are read from IndexedDB while the code downloads.
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { galleryHeadScript } from '../lib/db/gallery-head.ts';

/** One entry of Vite's client manifest (.svelte-kit/output/client/.vite/manifest.json). */
export interface ManifestChunk {
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

/**
 * A script for <head> that links the current page's files at once (modules and stylesheets), in
 * one insertion: a DOM insertion per link cost a few milliseconds each before the first paint.
 */
export function routePreloadScript(routes: [string, string[]][]): string {
  return `<script>
      // This page's own code, fetched beside the shell's instead of after it (written by app/build/index-html.ts).
      (function (routes) {
        for (var i = 0; i < routes.length; i++) {
          if (!new RegExp(routes[i][0]).test(location.pathname)) continue;
          // crossorigin as Vite's own links have it: a preload in another mode would not be used.
          var links = routes[i][1].map(function (href) {
            return /\\.css$/.test(href) ? '<link rel="preload" as="style" crossorigin href="' + href + '">' : '<link rel="modulepreload" crossorigin href="' + href + '">';
          });
          document.head.insertAdjacentHTML('beforeend', links.join(''));
          return;
        }
      })(${JSON.stringify(routes)});
    </script>`;
}

/**
 * Puts the content of the page's render-blocking stylesheets into the page itself. The link stays,
 * `disabled` (never fetched), because Vite's module loader links a chunk's stylesheet unless a
 * link to it is already in the document, and would otherwise fetch it again and wait for it.
 */
export function inlineStylesheets(html: string, read: (href: string) => string): string {
  return html.replace(/<link href="([^"]+\.css)" rel="stylesheet">/g, (_, href: string) => {
    const css = read(href).replaceAll('</style', '<\\/style');
    return `<link href="${href}" rel="stylesheet" disabled><style>${css.trim()}</style>`;
  });
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
 * Rewrites the built index.html (after the adapter wrote it, with its precompressed copies), so a
 * first visit to any page paints without waiting for a stylesheet and asks for all of its code in
 * one round.
 */
export function firstLoadPlugin(outDir = 'build'): Plugin {
  let ssrBuild = false;
  return {
    name: 'atelier:index-html',
    apply: 'build',
    configResolved(config) {
      ssrBuild = Boolean(config.build.ssr);
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        if (!ssrBuild) return;
        const page = `${outDir}/index.html`;
        const html = readFileSync(page, 'utf8');
        if (html.includes('routes[i][1]')) return;
        const manifest = JSON.parse(readFileSync('.svelte-kit/output/client/.vite/manifest.json', 'utf8')) as Record<string, ManifestChunk>;
        const dictionary = routeDictionary(readFileSync('.svelte-kit/generated/client-optimized/app.js', 'utf8'));
        if (Object.keys(dictionary).length === 0) throw new Error('route preloads: no routes found in the generated router');
        const linked = new Set([...html.matchAll(/<link href="([^"]+)"/g)].map((match) => match[1]!));
        const routes = routePreloads(manifest, dictionary, (node) => `.svelte-kit/generated/client-optimized/nodes/${node}.js`, linked);
        const rewritten = inlineStylesheets(html, (href) => readFileSync(`${outDir}${href}`, 'utf8'))
          .replace('</title>', `</title>\n    ${galleryHeadScript()}`)
          .replace('</head>', `  ${routePreloadScript(routes)}\n  </head>`);
        writeFileSync(page, rewritten);
        writeFileSync(`${page}.br`, brotliCompressSync(rewritten));
        writeFileSync(`${page}.gz`, gzipSync(rewritten, { level: 9 }));
      }
    }
  };
}
