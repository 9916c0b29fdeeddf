// Shared pieces of the relay's tests: a relay on a real loopback port (streaming cannot be tested
// through inject), a tiny scripted upstream, and a raw HTTP client that reports timings.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type RelayConfig } from './config.ts';
import { buildRelay } from './server.ts';

export interface RunningRelay {
  app: FastifyInstance;
  url: string;
  port: number;
  /** Every log line the relay wrote, as written. */
  logs: string[];
  close(): Promise<void>;
}

/** A config as a file would hold it (validated the same way), with a fresh data dir. */
export function testConfig(raw: Record<string, unknown>): RelayConfig {
  return parseConfig({ dataDir: mkdtempSync(join(tmpdir(), 'atelier-relay-data-')), ...raw } as never, process.cwd());
}

export async function startRelay(config: RelayConfig): Promise<RunningRelay> {
  const logs: string[] = [];
  const app = await buildRelay({ config, appDir: null, logLevel: 'debug', logDestination: { write: (line: string) => logs.push(line) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, port, logs, close: () => app.close() };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Resolves with the whole body once it has arrived. */
  body: Promise<Buffer>;
  /** Body bytes received so far. */
  received: number;
  /** Resolves when the connection to the relay closes (aborts included), with performance.now(). */
  closed: Promise<number>;
}

export interface ScriptedUpstream {
  url: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A loopback HTTP server whose every request is answered by `handle`. */
export async function startScriptedUpstream(
  handle: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void | Promise<void>,
  host = '127.0.0.1'
): Promise<ScriptedUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const body = new Promise<Buffer>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        entry.received += chunk.length;
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(Buffer.concat(chunks)));
    });
    const closed = new Promise<number>((resolve) => res.on('close', () => resolve(performance.now())));
    const entry: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, received: 0, closed };
    seen.push(entry);
    void handle(req, res, entry);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request over a fresh socket, the path sent exactly as given (no URL normalisation, so
 * `..` reaches the server), the body optionally as chunks (chunked transfer encoding).
 */
export function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | Buffer[] } = {}
): Promise<Exchange> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(options.body)) for (const chunk of options.body) req.write(chunk);
    else if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export const json = (exchange: Exchange) => JSON.parse(exchange.body.toString('utf8')) as Record<string, unknown>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
