// The test upstream: one loopback HTTP server that plays every image API the app speaks, each
// under its own base path, with knobs for latency, pacing and faults. See README.md.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FileStore } from './files.ts';
import { FLAVORS } from './flavors/index.ts';
import { maskKey, sendError, type Exchange, type Flavor } from './flavors/flavor.ts';
import { isFaultName, KnobError, readContentMarkers, resolveKnobs, type FaultName, type Knobs } from './knobs.ts';
import { BodyTooLargeError, readBody, recordRequest, requestText, summariseRequest, type RecordedRequest } from './recording.ts';
import { Reply } from './reply.ts';

export type { FaultName } from './knobs.ts';
export type { RecordedRequest } from './recording.ts';

export interface UpstreamOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1; only loopback addresses are accepted. */
  host?: string;
  /** Time from the request's arrival to the response's start, the upstream's own work included (default 0). */
  latencyMs?: number;
  /** Delay between SSE events / streamed chunks (default 0). */
  paceMs?: number;
  /** A fault applied to every request (default none). */
  fault?: FaultName | null;
}

export interface TestUpstream {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  /** Every request received, in order (control calls under /__upstream/ excepted). */
  requests: RecordedRequest[];
  /** Changes server-wide knobs. */
  configure(o: Partial<UpstreamOptions>): void;
  /** Clears requests and knobs. */
  reset(): void;
  /** Stops listening and destroys open sockets. */
  close(): Promise<void>;
}

/** How long the `504` fault waits before answering when no latency is set. */
const GATEWAY_TIMEOUT_DELAY_MS = 1000;

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers':
    'authorization, content-type, x-goog-api-key, x-goog-api-client, x-api-key, openai-organization, openai-project, ' +
    'http-referer, x-title, x-upstream-fault, x-upstream-latency, x-upstream-pace',
  'access-control-expose-headers': 'retry-after, x-request-id, openai-processing-ms, x-ratelimit-remaining-requests, content-length',
  'access-control-max-age': '600'
};

const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

function defaultKnobs(): Knobs {
  return { fault: null, latencyMs: 0, paceMs: 0 };
}

/** Applies an options subset to knobs, rejecting nonsense loudly. */
function applyOptions(knobs: Knobs, options: Partial<UpstreamOptions>): void {
  if (options.fault !== undefined) {
    if (options.fault !== null && !isFaultName(options.fault)) throw new KnobError(`unknown fault "${String(options.fault)}"`);
    knobs.fault = options.fault;
  }
  for (const key of ['latencyMs', 'paceMs'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new KnobError(`${key} must be a non-negative number`);
    knobs[key] = value;
  }
}

function flavorFor(path: string): Flavor {
  // FLAVORS ends with OpenAI at the root, whose '' prefix matches every path.
  const flavor = FLAVORS.find((candidate) => path === candidate.prefix || path.startsWith(`${candidate.prefix}/`));
  if (!flavor) throw new Error(`no flavor serves ${path}`);
  return flavor;
}

export async function startUpstream(o: UpstreamOptions = {}): Promise<TestUpstream> {
  const host = o.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the test upstream only listens on loopback, not ${host}`);
  const knobs = defaultKnobs();
  applyOptions(knobs, o);
  const requests: RecordedRequest[] = [];
  const files = new FileStore();
  const sockets = new Set<Socket>();
  let origin = '';

  async function control(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const reply = new Reply(res, defaultKnobs());
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /__upstream/requests') {
      await reply.json(200, { requests: requests.map(summariseRequest), knobs });
    } else if (route === 'POST /__upstream/reset') {
      upstream.reset();
      await reply.json(200, { ok: true });
    } else if (route === 'POST /__upstream/config') {
      try {
        upstream.configure(JSON.parse(body.toString('utf8') || '{}') as Partial<UpstreamOptions>);
        await reply.json(200, { ok: true, knobs });
      } catch (error) {
        await reply.json(400, { upstream_error: (error as Error).message });
      }
    } else {
      await reply.json(404, { upstream_error: `no control endpoint ${route}` });
    }
  }

  async function serveFile(res: ServerResponse, url: URL): Promise<void> {
    const reply = new Reply(res, defaultKnobs());
    const file = files.get(decodeURIComponent(url.pathname.slice('/files/'.length)));
    if (!file) {
      await reply.body(404, { 'content-type': 'application/xml' }, '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>');
      return;
    }
    await reply.body(200, { 'content-type': file.contentType, 'cache-control': 'public, max-age=3600' }, file.bytes);
  }

  async function api(flavor: Flavor, record: RecordedRequest, res: ServerResponse, url: URL, arrived: number): Promise<void> {
    const text = requestText(record);
    let requestKnobs: Knobs;
    try {
      requestKnobs = resolveKnobs(knobs, record.headers, text);
    } catch (error) {
      if (!(error instanceof KnobError)) throw error;
      await new Reply(res, defaultKnobs()).json(400, { upstream_error: error.message });
      return;
    }
    const fault = requestKnobs.fault;
    const latency = fault === '504' && requestKnobs.latencyMs === 0 ? GATEWAY_TIMEOUT_DELAY_MS : requestKnobs.latencyMs;
    // The answer starts `latency` after the request arrived, the upstream's own work included.
    const reply = new Reply(res, requestKnobs, arrived + latency);
    const exchange: Exchange = {
      record,
      route: url.pathname.slice(flavor.prefix.length) || '/',
      knobs: requestKnobs,
      markers: readContentMarkers(text),
      reply,
      origin,
      files
    };

    // A proxy in front of the service answers a 502 before the service ever sees the key.
    if (fault === 'html-502') return reply.body(502, { 'content-type': 'text/html', server: 'nginx' }, NGINX_502);
    const key = flavor.apiKey(record);
    if (!key && !flavor.isPublicRoute?.(exchange.route)) return sendError(exchange, flavor, 'missing-key');
    switch (fault) {
      case '401':
        return sendError(exchange, flavor, 'invalid-key', maskKey(key));
      case '429':
        return sendError(exchange, flavor, 'rate-limited');
      case '500':
        if (await flavor.serverErrorInStream?.(exchange)) return;
        return sendError(exchange, flavor, 'server-error');
      case '504':
        return sendError(exchange, flavor, 'timeout');
    }
    if (!(await flavor.handle(exchange))) await sendError(exchange, flavor, 'not-found', `${record.method} ${exchange.route}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/__upstream/')) {
      await control(req, res, url, await readBody(req));
      return;
    }
    const body = await readBody(req);
    const arrived = performance.now();
    const record = recordRequest(req, url, body);
    requests.push(record);
    if (req.method === 'OPTIONS') {
      // Allow whatever the client asks for too (SDKs add their own x-stainless-* and the like).
      const requested = record.headers['access-control-request-headers'];
      if (requested) res.setHeader('access-control-allow-headers', `${CORS_HEADERS['access-control-allow-headers']}, ${requested}`);
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/files/') && req.method === 'GET') return serveFile(res, url);
    await api(flavorFor(url.pathname), record, res, url, arrived);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the upstream itself: say so plainly (never in a flavor's shape) or drop the line.
      if (res.headersSent) return res.destroy();
      const status = error instanceof BodyTooLargeError ? 413 : 500;
      new Reply(res, defaultKnobs()).json(status, { upstream_error: (error as Error).message }).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the upstream is not listening on TCP');
  const port = address.port;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}`;

  const upstream: TestUpstream = {
    url: origin,
    port,
    requests,
    configure(options) {
      applyOptions(knobs, options);
    },
    reset() {
      requests.length = 0;
      Object.assign(knobs, defaultKnobs());
      files.clear();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    }
  };
  return upstream;
}
