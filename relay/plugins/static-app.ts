import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

export interface StaticAppOptions {
  /** The built app folder (adapter-static output with precompressed .br/.gz files). */
  root: string;
}

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  file: string;
  size: number;
  etag: string;
  /** Small files are kept in memory after the first read; big ones stream from disk. */
  body?: Buffer;
}

interface Asset {
  type: string;
  cacheControl: string;
  variants: Partial<Record<Encoding, Variant>> & { identity: Variant };
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const MEMORY_LIMIT_BYTES = 2 * 1024 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm'
};

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function variantOf(file: string): Variant {
  const { size, mtimeMs } = statSync(file);
  return { file, size, etag: `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"` };
}

/**
 * Indexes every file of the build once at start. Requests are answered only from this index, so
 * no request path can reach a file outside the folder, whatever its dots or encodings.
 */
function indexApp(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const files = walk(root);
  const present = new Set(files);
  for (const file of files) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    const urlPath = '/' + relative(root, file).split(sep).join('/');
    const variants: Asset['variants'] = { identity: variantOf(file) };
    if (present.has(`${file}.br`)) variants.br = variantOf(`${file}.br`);
    if (present.has(`${file}.gz`)) variants.gzip = variantOf(`${file}.gz`);
    assets.set(urlPath, {
      type: contentTypes[extname(file)] ?? 'application/octet-stream',
      // Hashed build output never changes; everything else is revalidated by ETag.
      cacheControl: urlPath.startsWith('/_app/immutable/') ? IMMUTABLE : REVALIDATE,
      variants
    });
  }
  return assets;
}

function preferredEncoding(asset: Asset, acceptEncoding: string | undefined): Encoding {
  if (!acceptEncoding) return 'identity';
  const accepted = acceptEncoding
    .split(',')
    .map((part) => part.trim().split(';'))
    .filter(([, q]) => q === undefined || !/^\s*q=0(\.0*)?\s*$/.test(q))
    .map(([name]) => name?.trim());
  if (asset.variants.br && accepted.includes('br')) return 'br';
  if (asset.variants.gzip && accepted.includes('gzip')) return 'gzip';
  return 'identity';
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  const encoding = preferredEncoding(asset, request.headers['accept-encoding']);
  const variant = asset.variants[encoding] ?? asset.variants.identity;
  reply.header('content-type', asset.type);
  reply.header('cache-control', asset.cacheControl);
  reply.header('etag', variant.etag);
  reply.header('x-content-type-options', 'nosniff');
  if (asset.variants.br || asset.variants.gzip) reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === variant.etag) return reply.code(304).send();
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  reply.header('content-length', variant.size);
  if (request.method === 'HEAD') return reply.send();
  if (variant.size <= MEMORY_LIMIT_BYTES) {
    variant.body ??= readFileSync(variant.file);
    return reply.send(variant.body);
  }
  return reply.send(createReadStream(variant.file));
}

function pathOf(url: string): string | null {
  const raw = url.split('?', 1)[0] ?? '/';
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** Serves the built app at `/` with the SPA fallback: unknown page paths get index.html. */
const staticAppPlugin: FastifyPluginAsync<StaticAppOptions> = async (app, { root }) => {
  const shellFile = join(root, 'index.html');
  let assets = new Map<string, Asset>();
  let indexedShellTime = -1;
  let checkedAt = 0;
  /**
   * A rebuild rewrites index.html and replaces the hashed files; looking at its mtime at most once
   * a second keeps a running relay in step with `vite build` without a stat per request.
   */
  function current(): Map<string, Asset> {
    const now = Date.now();
    if (now - checkedAt < 1000) return assets;
    checkedAt = now;
    const shellTime = existsSync(shellFile) ? statSync(shellFile).mtimeMs : -1;
    if (shellTime !== indexedShellTime) {
      assets = shellTime === -1 ? new Map() : indexApp(root);
      indexedShellTime = shellTime;
    }
    return assets;
  }

  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    handler: async (request, reply) => {
      const path = pathOf(request.url);
      if (path === null) return reply.code(400).type('text/plain; charset=utf-8').send('Bad request path');
      if (path.startsWith('/api/') || path.startsWith('/v1/')) {
        return reply.code(404).send({ error: { message: `No route ${request.method} ${path}`, type: 'not_found' } });
      }
      const assets = current();
      const shell = assets.get('/index.html');
      const asset = assets.get(path) ?? assets.get(path.endsWith('/') ? `${path}index.html` : `${path}/index.html`);
      if (asset) return send(request, reply, asset);
      // A path whose last segment has no extension is a page of the SPA; anything else is a missing file.
      const lastSegment = path.slice(path.lastIndexOf('/') + 1);
      if (shell && !lastSegment.includes('.') && !path.startsWith('/_app/')) return send(request, reply, shell);
      if (!shell) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The app is not built yet. Run `npm run build` (or `npm start`), then reload.');
      }
      return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    }
  });
};

export const staticApp = fp(staticAppPlugin, { name: 'static-app', fastify: '5.x' });
