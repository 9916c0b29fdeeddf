// `/api/upstream/<providerId>/<path>`: forwards to `<baseUrl>/<path>` with the provider's key.
// Bodies stream both ways through node:http with backpressure (pipe), never collected; the
// client going away destroys the upstream request; the socket's address is checked by the agent
// (relay/net/guard.ts) unless the provider allows private networks; a key the upstream echoes
// back is masked on the way through (relay/net/scrub.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import type { ProviderConfigEntry } from '../config.ts';
import { errorBody } from '../plugins/errors.ts';
import { agentFor, assertPublicLiteral, bareHostname, BlockedAddressError } from '../net/guard.ts';
import { SecretMask } from '../net/scrub.ts';

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

class UpstreamTimeout extends Error {
  constructor(readonly phase: 'connect' | 'idle', readonly ms: number) {
    super(`upstream ${phase} timeout after ${ms} ms`);
  }
}

class BodyTooLarge extends Error {}

interface Target {
  provider: ProviderConfigEntry;
  url: URL;
  hostname: string;
  path: string;
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

function forward(request: FastifyRequest, reply: FastifyReply, target: Target, limit: number, secrets: readonly string[], masking: boolean): void {
  const { provider, url } = target;
  const https = url.protocol === 'https:';
  const upstream = (https ? httpsRequest : httpRequest)({
    protocol: url.protocol,
    hostname: target.hostname,
    port: url.port || (https ? 443 : 80),
    path: target.path,
    method: request.method,
    headers: requestHeaders(request.headers, provider),
    agent: agentFor(https ? 'https:' : 'http:', provider.allowPrivateNetwork)
  });
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    upstream.destroy();
    if (reply.sent || reply.raw.headersSent) {
      // Mid-stream: cut the client's connection so it sees a truncated body, not a clean end.
      reply.raw.destroy();
      request.log.warn({ provider: provider.id, err: error.message }, 'upstream failed mid-stream');
      return;
    }
    if (!(error instanceof BodyTooLarge)) request.log.warn({ provider: provider.id, err: error.message }, 'upstream request failed');
    failureReply(error, target, reply);
  };

  upstream.on('socket', (socket) => {
    socket.setNoDelay(true);
    if (!socket.connecting) return;
    const timer = setTimeout(() => fail(new UpstreamTimeout('connect', provider.connectTimeoutMs)), provider.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
  upstream.setTimeout(provider.timeoutMs, () => fail(new UpstreamTimeout('idle', provider.timeoutMs)));
  upstream.on('error', fail);
  upstream.on('response', (response: IncomingMessage) => {
    if (failed) return response.destroy();
    reply.code(response.statusCode ?? 502).headers(responseHeaders(response.headers, secrets));
    const encoding = response.headers['content-encoding'];
    // Compressed bodies cannot be searched without decompressing them; they pass as they are.
    if (!masking || (encoding !== undefined && encoding !== 'identity')) {
      response.on('error', fail);
      return reply.send(response);
    }
    const masked = new SecretMask(secrets);
    pipeline(response, masked, (error) => {
      // A client that went away ends the pipeline too; that is not an upstream failure.
      if (error && reply.raw.writable) fail(error);
    });
    reply.send(masked);
  });

  // The client leaving (tab closed, request aborted) ends the upstream work at once.
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) upstream.destroy();
  });

  const body = request.raw;
  const hasBody = request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';
  if (!hasBody) {
    upstream.end();
    return;
  }
  if (request.headers['content-length'] === undefined) {
    // Chunked: count as it streams, since no length was promised up front.
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        body.unpipe(upstream);
        fail(new BodyTooLarge());
      }
    });
  }
  body.on('error', fail);
  body.pipe(upstream);
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
  const masking = new SecretMask(secrets).active;
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
    forward(request, reply, target, limit, secrets, masking);
    return reply;
  });
};
