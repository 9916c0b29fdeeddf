import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelay } from './server.ts';
import { version } from './version.ts';

/** A small stand-in for adapter-static's output: shell, hashed asset with .gz, service worker. */
function makeAppDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-app-'));
  const shell = '<!doctype html><html><head><link rel="manifest" href="/manifest.webmanifest"></head><body>shell</body></html>';
  writeFileSync(join(dir, 'index.html'), shell);
  writeFileSync(join(dir, 'index.html.gz'), gzipSync(shell));
  writeFileSync(join(dir, 'service-worker.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Atelier"}');
  mkdirSync(join(dir, '_app/immutable/entry'), { recursive: true });
  writeFileSync(join(dir, '_app/immutable/entry/app.Ab12Cd.js'), 'export const app = 1;');
  writeFileSync(join(dir, '_app/immutable/entry/app.Ab12Cd.js.gz'), gzipSync('export const app = 1;'));
  writeFileSync(join(dir, 'secret-outside.txt'), 'not reachable through ..');
  return dir;
}

describe('relay serving the built app', () => {
  let sut: FastifyInstance;
  let appDir: string;

  beforeAll(async () => {
    appDir = makeAppDir();
    sut = await buildRelay({ appDir: join(appDir) });
  });
  afterAll(async () => {
    await sut.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  it('answers the health check with its version', async () => {
    const res = await sut.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, version });
  });

  it('serves deep links with the app shell, uncached', async () => {
    for (const url of ['/', '/gallery', '/settings?tab=storage', '/gallery/01J9ZQ/edit']) {
      const res = await sut.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('rel="manifest"');
    }
  });

  it('marks hashed assets immutable and revalidates the service worker', async () => {
    const asset = await sut.inject({ url: '/_app/immutable/entry/app.Ab12Cd.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    const worker = await sut.inject({ url: '/service-worker.js' });
    expect(worker.statusCode).toBe(200);
    expect(worker.headers['cache-control']).toBe('no-cache');
    const manifest = await sut.inject({ url: '/manifest.webmanifest' });
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
  });

  it('sends the precompressed file when the client accepts it, and 304 on a matching ETag', async () => {
    const gz = await sut.inject({ url: '/_app/immutable/entry/app.Ab12Cd.js', headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    const plain = await sut.inject({ url: '/_app/immutable/entry/app.Ab12Cd.js', headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('export const app = 1;');
    const first = await sut.inject({ url: '/' });
    const again = await sut.inject({ url: '/', headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('answers 404 for missing files and unknown API routes instead of the shell', async () => {
    expect((await sut.inject({ url: '/_app/immutable/entry/missing.js' })).statusCode).toBe(404);
    expect((await sut.inject({ url: '/missing.png' })).statusCode).toBe(404);
    const api = await sut.inject({ url: '/api/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/^application\/json/);
  });

  it('never leaves its folder, whatever the path spelling', async () => {
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/_app/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json', '/%00']) {
      const res = await sut.inject({ url });
      expect(res.body, url).not.toContain('"dependencies"');
      expect([200, 400, 404], url).toContain(res.statusCode);
    }
    expect((await sut.inject({ url: '/%E0%A4%A' })).statusCode).toBe(400);
  });
});

describe('relay without a built app', () => {
  it('still answers health and explains how to build the app', async () => {
    const sut = await buildRelay({ appDir: join(tmpdir(), 'atelier-no-such-build') });
    try {
      expect((await sut.inject({ url: '/api/health' })).statusCode).toBe(200);
      const page = await sut.inject({ url: '/gallery' });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain('npm run build');
    } finally {
      await sut.close();
    }
  });
});

describe('relay while the app is rebuilt', () => {
  it('serves the new build without a restart', async () => {
    const appDir = makeAppDir();
    const sut = await buildRelay({ appDir });
    try {
      expect((await sut.inject({ url: '/_app/immutable/entry/app.Ab12Cd.js' })).statusCode).toBe(200);
      // A rebuild: new hashed file, old one gone, new shell.
      rmSync(join(appDir, '_app/immutable/entry/app.Ab12Cd.js'));
      rmSync(join(appDir, '_app/immutable/entry/app.Ab12Cd.js.gz'));
      writeFileSync(join(appDir, '_app/immutable/entry/app.Zz99Yy.js'), 'export const app = 2;');
      writeFileSync(join(appDir, 'index.html'), '<!doctype html><p>new shell</p>');
      writeFileSync(join(appDir, 'index.html.gz'), gzipSync('<!doctype html><p>new shell</p>'));
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await sut.inject({ url: '/_app/immutable/entry/app.Zz99Yy.js' })).body).toBe('export const app = 2;');
      expect((await sut.inject({ url: '/_app/immutable/entry/app.Ab12Cd.js' })).statusCode).toBe(404);
      expect((await sut.inject({ url: '/gallery' })).body).toContain('new shell');
    } finally {
      await sut.close();
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});
