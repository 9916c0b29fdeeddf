// `/api/upstream/<providerId>/<path>`: forwards to `<baseUrl>/<path>` with the provider's key.
// Bodies stream both ways with backpressure, never collected: the response through the relay's
// own client (relay/net/upstream-client.ts), each chunk copied once into a recycled buffer and
// written to the client, the buffer going back to the pool when the write is done. The client
// going away closes the upstream connection; the socket's address is checked where it is
// connected (relay/net/guard.ts) unless the provider allows private networks; a key the upstream
// echoes back is masked on the way through (relay/net/scrub.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProviderConfigEntry } from '../config.ts';
import { errorBody } from '../plugins/errors.ts';
import { assertPublicLiteral, bareHostname, BlockedAddressError } from '../net/guard.ts';
import { SecretScanner } from '../net/scrub.ts';
import { Exchange, READ_BUFFER_BYTES, UpstreamTimeout, type UpstreamTarget } from '../net/upstream-client.ts';

const hopByHop = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'];

/** Never forwarded upstream: hop-by-hop, the client's credentials, and what identifies the client. */
const dropFromRequest = new Set([
  ...hopByHop,
  'host',
  'authorization',
  'cookie',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'origin',
  'referer',
  'expect'
]);

/**
 * Never passed back: hop-by-hop, and what would act on the relay's own origin (cookies, HSTS,
 * Alt-Svc, CORS) or make the browser prompt for credentials.
 */
const dropFromResponse = new Set([...hopByHop, 'set-cookie', 'set-cookie2', 'strict-transport-security', 'alt-svc', 'public-key-pins', 'www-authenticate']);

/** Header names listed in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection;
  if (!value) return null;
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()));
}

function requestHeaders(incoming: IncomingHttpHeaders, provider: ProviderConfigEntry): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (dropFromRequest.has(name) || name.startsWith('sec-') || listed?.has(name)) continue;
    out[name] = incoming[name];
  }
  Object.assign(out, provider.headers);
  if (provider.apiKey) {
    if (provider.dialect === 'gemini') out['x-goog-api-key'] = provider.apiKey;
    else out.authorization = `Bearer ${provider.apiKey}`;
  }
  return out;
}

function responseHeaders(incoming: IncomingHttpHeaders, secrets: readonly string[]): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (dropFromResponse.has(name) || name.startsWith('access-control-') || listed?.has(name)) continue;
    const value = incoming[name];
    if (value === undefined) continue;
    // An upstream that echoes the key in a header (some gateways do, in debug headers) must not pass it on.
    const text = Array.isArray(value) ? value.join('\n') : value;
    if (secrets.some((secret) => text.includes(secret))) continue;
    out[name] = value;
  }
  return out;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The upstream path for the part of the URL after `/api/upstream/<id>`, or null when it tries to
 * climb out of the base URL (`..`, `.`, encoded slashes or backslashes) or is malformed.
 */
export function upstreamPath(basePath: string, rest: string, dropKeyParam: boolean): string | null {
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  let query = q === -1 ? '' : rest.slice(q);
  if (!path.startsWith('/')) return null;
  for (const segment of path.slice(1).split('/')) {
    const decoded = decodeSegment(segment);
    if (decoded === null || decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return null;
  }
  if (dropKeyParam && query) {
    // A Gemini client may put its own key in ?key=; the relay's key goes in a header instead.
    const params = new URLSearchParams(query);
    params.delete('key');
    const rebuilt = params.toString();
    query = rebuilt ? `?${rebuilt}` : '';
  }
  return `${basePath.replace(/\/+$/, '')}${path}${query}`;
}

class BodyTooLarge extends Error {}

interface Target {
  provider: ProviderConfigEntry;
  url: URL;
  hostname: string;
  path: string;
}

/**
 * Chunk buffers recycled between finished writes and new reads, so a streamed body allocates
 * nothing per chunk. Each has room for a read plus the tail the secret scan holds back.
 */
class ChunkPool {
  readonly #free: Buffer[] = [];
  constructor(readonly size: number) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Only once nothing reads the buffer any more (its write has completed). */
  give(buffer: Buffer): void {
    if (this.#free.length < 64) this.#free.push(buffer);
  }
}

/** `300 ms`, `10 s`: a connect timeout may be set below a second. */
function spokenDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function failureReply(error: Error, target: Target, reply: FastifyReply) {
  if (error instanceof BlockedAddressError) {
    return reply
      .code(502)
      .send(errorBody(`The provider's address is on a ${error.kind} network; the relay only connects there when the provider sets allowPrivateNetwork.`, 'upstream_blocked'));
  }
  if (error instanceof UpstreamTimeout) {
    const what = error.phase === 'connect' ? 'did not accept a connection' : 'sent nothing';
    return reply.code(504).send(errorBody(`The upstream ${what} for ${spokenDuration(error.ms)}.`, 'timeout'));
  }
  if (error instanceof BodyTooLarge) {
    return reply.code(413).header('connection', 'close').send(errorBody(`The request body is larger than the relay accepts.`, 'too_large'));
  }
  return reply.code(502).send(errorBody(`Could not reach the upstream of provider ${target.provider.id}.`, 'network'));
}

function forward(request: FastifyRequest, reply: FastifyReply, target: Target, limit: number, secrets: readonly string[], pool: ChunkPool, masking: boolean): void {
  const { provider, url } = target;
  const res = reply.raw;
  const declared = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (declared ?? '0') !== '0';
  const upstreamTarget: UpstreamTarget = {
    protocol: url.protocol === 'https:' ? 'https:' : 'http:',
    hostname: target.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    host: url.host,
    allowPrivateNetwork: provider.allowPrivateNetwork
  };
  let headSent = false;
  let failed = false;
  let waitingForDrain = false;
  let scanner: SecretScanner | null = null;

  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    exchange?.abort();
    if (headSent) {
      // Mid-stream: cut the client's connection so it sees a truncated body, not a clean end.
      res.destroy();
      request.log.warn({ provider: provider.id, err: error.message }, 'upstream failed mid-stream');
      return;
    }
    if (!(error instanceof BodyTooLarge)) request.log.warn({ provider: provider.id, err: error.message }, 'upstream request failed');
    failureReply(error, target, reply);
  };

  let exchange: Exchange | null = null;
  try {
    exchange = new Exchange(
      upstreamTarget,
      {
        method: request.method,
        path: target.path,
        headers: requestHeaders(request.headers, provider),
        body: !hasBody ? 'none' : declared === undefined ? 'chunked' : 'length',
        connectTimeoutMs: provider.connectTimeoutMs,
        idleTimeoutMs: provider.timeoutMs
      },
      {
        onHead(status, headers) {
          if (failed || res.destroyed) return;
          headSent = true;
          const encoding = headers['content-encoding'];
          // Compressed bodies cannot be searched without decompressing them; they pass as they are.
          if (masking && (encoding === undefined || encoding === 'identity')) scanner = new SecretScanner(secrets);
          // The reply is written here, chunk by chunk, so each buffer is known to be free again.
          reply.hijack();
          res.writeHead(status, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...responseHeaders(headers, secrets) });
        },
        onBody(view) {
          if (failed || res.destroyed) return true;
          const chunk = pool.take();
          let length = scanner ? scanner.restore(chunk) : 0;
          length += view.copy(chunk, length);
          if (scanner) length = scanner.mask(chunk, length);
          if (length === 0) {
            pool.give(chunk);
            return true;
          }
          const more = res.write(chunk.subarray(0, length), () => pool.give(chunk));
          if (!more && !waitingForDrain) {
            waitingForDrain = true;
            res.once('drain', () => {
              waitingForDrain = false;
              exchange?.resume();
            });
          }
          return more;
        },
        onEnd() {
          if (failed) return;
          if (scanner) res.end(scanner.flush());
          else res.end();
        },
        onError: fail
      }
    );
  } catch (error) {
    // A header the config made unsendable (a line break in a key): the provider is misconfigured.
    return fail(error as Error);
  }
  const started = exchange;

  // The client leaving (tab closed, request aborted) ends the upstream work at once.
  res.on('close', () => {
    if (!res.writableFinished) started.abort();
  });

  if (!hasBody) return started.end();
  const body = request.raw;
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    // Chunked: count as it streams, since no length was promised up front.
    if (declared === undefined && received > limit) {
      body.off('data', onData);
      return fail(new BodyTooLarge());
    }
    if (!started.write(chunk)) {
      body.pause();
      started.onDrain(() => body.resume());
    }
  };
  body.on('data', onData);
  body.on('end', () => started.end());
  body.on('error', fail);
}

interface Params {
  providerId: string;
  '*': string;
}

const UpstreamSchema = {
  params: {
    type: 'object',
    properties: { providerId: { type: 'string' }, '*': { type: 'string' } },
    required: ['providerId']
  }
} as const;

/** The upstream proxy. Encapsulated: its body handling (raw streams, no parsing) stays here. */
export const upstreamRoutes: FastifyPluginAsync = async (app) => {
  const limit = app.config.limits.requestBytes;
  const secrets = app.vault.secrets;
  const masking = new SecretScanner(secrets).active;
  const chunks = new ChunkPool(READ_BUFFER_BYTES + new SecretScanner(secrets).maxHeld);
  const baseUrls = new Map(app.config.providers.map((provider) => [provider.id, new URL(provider.baseUrl)]));

  // Bodies are not parsed here: the handler pipes the raw request stream upstream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.all<{ Params: Params }>('/api/upstream/:providerId/*', { schema: UpstreamSchema }, async (request, reply) => {
    const provider = app.vault.get(request.params.providerId);
    if (!provider) return reply.code(404).send(errorBody(`No provider "${request.params.providerId}" on this relay.`, 'not_found'));
    // Work on the raw URL, not the decoded wildcard, so an encoded `..` or slash is seen as sent.
    const afterId = request.url.indexOf('/', '/api/upstream/'.length);
    const url = baseUrls.get(provider.id)!;
    const path = upstreamPath(url.pathname, request.url.slice(afterId), provider.dialect === 'gemini');
    if (path === null) return reply.code(404).send(errorBody('No such upstream path.', 'not_found'));
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      return reply.code(413).header('connection', 'close').send(errorBody('The request body is larger than the relay accepts.', 'too_large'));
    }
    const target: Target = { provider, url, hostname: bareHostname(url), path };
    if (!provider.allowPrivateNetwork) {
      // IP literals skip DNS, so the agent's lookup never sees them: judge them here.
      try {
        assertPublicLiteral(target.hostname);
      } catch (error) {
        request.log.warn({ provider: provider.id, err: (error as Error).message }, 'upstream address refused');
        return failureReply(error as Error, target, reply);
      }
    }
    forward(request, reply, target, limit, secrets, chunks, masking);
    return reply;
  });
};
