// The upstream proxy on real loopback sockets: keys, streaming both ways, aborts, limits, paths,
// header filtering, and the address guard. Only loopback addresses ever see traffic here.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../tests/upstream/server.ts';
import type { RelayConfig } from './config.ts';
import { idleConnections } from './net/upstream-client.ts';
import { json, send, sleep, startRelay, startScriptedUpstream, testConfig, type RunningRelay, type ScriptedUpstream } from './test-helpers.ts';

const OPENAI_KEY = 'sk-relay.openai.key.0123456789';
const GEMINI_KEY = 'AIza-relay-gemini-key-0123456789';

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body)
});

describe('the upstream proxy with the test upstream', () => {
  let upstream: TestUpstream;
  let sut: RunningRelay;

  beforeAll(async () => {
    upstream = await startUpstream();
    sut = await startRelay(
      testConfig({
        providers: [
          { id: 'openai', dialect: 'openai-images', baseUrl: `${upstream.url}/v1`, apiKey: OPENAI_KEY, allowPrivateNetwork: true },
          { id: 'gemini', dialect: 'gemini', baseUrl: `${upstream.url}/gemini`, apiKey: GEMINI_KEY, allowPrivateNetwork: true }
        ]
      })
    );
  });
  afterAll(async () => {
    await sut.close();
    await upstream.close();
  });

  it('sends the configured key as a bearer token and never the client’s credentials', async () => {
    upstream.reset();
    const res = await send(
      sut.url,
      '/api/upstream/openai/images/generations',
      post({ model: 'gpt-image-1', prompt: 'a lighthouse' }, { authorization: 'Bearer sk-client-key', cookie: 'atelier_session=abc', 'x-api-key': 'client-x', 'x-goog-api-key': 'client-goog' })
    );
    expect(res.status).toBe(200);
    expect((json(res).data as unknown[]).length).toBe(1);
    const seen = upstream.requests[0]!;
    expect(seen.path).toBe('/v1/images/generations');
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toMatch(/sk-client-key|client-x|client-goog|atelier_session/);
    // The proxy writes its reply itself; the request is still logged once it is finished.
    await sleep(20);
    const logged = sut.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request' && entry.url === '/api/upstream/openai/images/generations');
    expect(logged).toEqual([expect.objectContaining({ method: 'POST', status: 200 })]);
  });

  it('sends a Gemini key as x-goog-api-key and drops a key the client put in the query', async () => {
    upstream.reset();
    const res = await send(
      sut.url,
      '/api/upstream/gemini/v1beta/models/gemini-2.5-flash-image:generateContent?key=client-query-key&alt=json',
      post({ contents: [{ role: 'user', parts: [{ text: 'a fox' }] }] }, { 'x-goog-api-key': 'client-goog', authorization: 'Bearer client' })
    );
    expect(res.status).toBe(200);
    const seen = upstream.requests[0]!;
    expect(seen.path).toBe('/gemini/v1beta/models/gemini-2.5-flash-image:generateContent');
    expect(seen.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.query).toEqual({ alt: 'json' });
  });

  it('passes upstream errors through with their status, headers and body', async () => {
    const limited = await send(sut.url, '/api/upstream/openai/images/generations', post({ model: 'gpt-image-1', prompt: 'x' }, { 'x-upstream-fault': '429' }));
    expect(limited.status).toBe(429);
    expect((json(limited).error as { type: string }).type).toBeTruthy();
    const html = await send(sut.url, '/api/upstream/openai/images/generations', post({ model: 'gpt-image-1', prompt: 'x' }, { 'x-upstream-fault': 'html-502' }));
    expect(html.status).toBe(502);
    expect(html.headers['content-type']).toBe('text/html');
    expect(html.body.toString()).toContain('<center>nginx</center>');
    // The upstream's CORS headers are its own business; the relay decides CORS for its origin.
    expect(html.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the upstream proxy, streaming', () => {
  let scripted: ScriptedUpstream;
  let sut: RunningRelay;

  beforeAll(async () => {
    scripted = await startScriptedUpstream(async (req, res, seen) => {
      const path = req.url ?? '';
      if (path === '/sse') {
        // Five events 200 ms apart, each stamped with when it was sent (same process, same clock).
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < 5; i++) {
          await sleep(200);
          res.write(`data: {"i":${i},"sent":${performance.now()}}\n\n`);
        }
        res.end('data: [DONE]\n\n');
      } else if (path === '/endless') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const timer = setInterval(() => res.write('data: {"tick":1}\n\n'), 20);
        res.on('close', () => clearInterval(timer));
      } else if (path === '/echo-upload') {
        // Answers only after the whole body arrived; the test watches it arrive piece by piece.
        const body = await seen.body;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }));
      } else if (path === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        for (let i = 0; i < 128; i++) if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        res.end();
      } else if (path === '/silent') {
        // Never answers: the idle timeout must.
      } else {
        res.writeHead(404).end();
      }
    });
    sut = await startRelay(
      testConfig({
        limits: { requestBytes: 256 * 1024 },
        providers: [{ id: 'scripted', dialect: 'openai-chat', baseUrl: scripted.url, apiKey: OPENAI_KEY, timeoutMs: 1000, allowPrivateNetwork: true }]
      })
    );
  });
  afterAll(async () => {
    await sut.close();
    await scripted.close();
  });

  it('delivers SSE events as they are sent, less than 20 ms late', async () => {
    const lateness: number[] = [];
    const url = new URL(sut.url);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ hostname: url.hostname, port: url.port, path: '/api/upstream/scripted/sse', method: 'POST', agent: false }, (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const now = performance.now();
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const match = /"sent":([\d.]+)/.exec(event);
            if (match) lateness.push(now - Number(match[1]));
          }
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('{"stream":true}');
    });
    expect(lateness).toHaveLength(5);
    expect(Math.max(...lateness)).toBeLessThan(20);
  });

  it('closes the upstream connection within 100 ms of the client going away', async () => {
    const before = scripted.seen.length;
    const url = new URL(sut.url);
    const abortedAt = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ hostname: url.hostname, port: url.port, path: '/api/upstream/scripted/endless', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve(performance.now());
        });
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.end();
    });
    const upstreamClosedAt = await scripted.seen[before]!.closed;
    expect(upstreamClosedAt - abortedAt).toBeLessThan(100);
  });

  it('streams the request body upstream before the client has finished sending it', async () => {
    const before = scripted.seen.length;
    const url = new URL(sut.url);
    const first = Buffer.alloc(100 * 1024, 1);
    const second = Buffer.alloc(100 * 1024, 2);
    const req = httpRequest({ hostname: url.hostname, port: url.port, path: '/api/upstream/scripted/echo-upload', method: 'POST', agent: false });
    const result = new Promise<Record<string, unknown>>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>));
      });
      req.on('error', reject);
    });
    req.write(first);
    // A relay that collected the body first would never pass the first part on before the end.
    const started = performance.now();
    while ((scripted.seen[before]?.received ?? 0) < first.length && performance.now() - started < 2000) await sleep(5);
    expect(scripted.seen[before]?.received).toBe(first.length);
    req.end(second);
    expect(await result).toEqual({ bytes: first.length + second.length, sha256: createHash('sha256').update(Buffer.concat([first, second])).digest('hex') });
  });

  it('passes an 8 MB response through intact', async () => {
    const res = await send(sut.url, '/api/upstream/scripted/big');
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(8 * 1024 * 1024);
    expect(res.body.every((byte) => byte === 7)).toBe(true);
  });

  it('answers 413 to a body over the limit, declared or streamed, without forwarding it whole', async () => {
    const before = scripted.seen.length;
    const declared = await send(sut.url, '/api/upstream/scripted/echo-upload', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(256 * 1024 + 1) },
      body: Buffer.alloc(1024)
    });
    expect(declared.status).toBe(413);
    expect(scripted.seen.length).toBe(before);
    const chunked = await send(sut.url, '/api/upstream/scripted/echo-upload', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: [Buffer.alloc(128 * 1024), Buffer.alloc(128 * 1024), Buffer.alloc(128 * 1024)]
    });
    expect(chunked.status).toBe(413);
    expect((json(chunked).error as { type: string }).type).toBe('too_large');
  });

  it('answers 504 when the upstream stays silent past the provider timeout', async () => {
    const started = performance.now();
    const res = await send(sut.url, '/api/upstream/scripted/silent');
    expect(res.status).toBe(504);
    expect(json(res)).toEqual({ error: { message: 'The upstream sent nothing for 1 s.', type: 'timeout' } });
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('the upstream proxy, paths and headers', () => {
  let scripted: ScriptedUpstream;
  let sut: RunningRelay;

  beforeAll(async () => {
    scripted = await startScriptedUpstream((req, res) => {
      res.writeHead(req.url === '/v1/redirect' ? 302 : 200, {
        'content-type': 'application/json',
        'x-request-id': 'req_123',
        'set-cookie': 'upstream=1; Path=/',
        'strict-transport-security': 'max-age=31536000',
        'alt-svc': 'h3=":443"',
        'www-authenticate': 'Basic realm="x"',
        'access-control-allow-origin': '*',
        connection: 'keep-alive, x-hop-response',
        'x-hop-response': 'hop',
        'x-debug-auth': req.headers.authorization ?? '',
        location: `http://127.0.0.1:${redirectTarget.port}/secret`
      });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
    sut = await startRelay(
      testConfig({ providers: [{ id: 'openai', dialect: 'openai-images', baseUrl: `${scripted.url}/v1`, apiKey: OPENAI_KEY, allowPrivateNetwork: true }] })
    );
  });
  let redirectTarget: ScriptedUpstream;
  beforeAll(async () => {
    redirectTarget = await startScriptedUpstream((_req, res) => void res.writeHead(200).end('reached'));
  });
  afterAll(async () => {
    await sut.close();
    await scripted.close();
    await redirectTarget.close();
  });

  it('filters hop-by-hop and sensitive headers in both directions', async () => {
    const res = await send(sut.url, '/api/upstream/openai/models', {
      headers: {
        connection: 'x-hop-request',
        'x-hop-request': 'hop',
        te: 'trailers',
        'proxy-authorization': 'Basic abc',
        'x-forwarded-for': '198.51.100.1',
        'sec-fetch-site': 'same-origin',
        'x-upstream-fault': 'none',
        'openai-beta': 'assistants=v2',
        accept: 'application/json'
      }
    });
    expect(res.status).toBe(200);
    const received = (json(res).headers ?? {}) as Record<string, string>;
    for (const name of ['x-hop-request', 'te', 'proxy-authorization', 'x-forwarded-for', 'sec-fetch-site', 'cookie']) expect(received[name], name).toBeUndefined();
    expect(received['openai-beta']).toBe('assistants=v2');
    expect(received['x-upstream-fault']).toBe('none');
    expect(received.accept).toBe('application/json');
    for (const name of ['set-cookie', 'strict-transport-security', 'alt-svc', 'www-authenticate', 'access-control-allow-origin', 'x-hop-response', 'x-debug-auth']) {
      expect(res.headers[name], name).toBeUndefined();
    }
    expect(res.headers['x-request-id']).toBe('req_123');
  });

  it('answers 404 to paths that climb out of the provider’s base URL, and to unknown providers', async () => {
    const before = scripted.seen.length;
    for (const path of [
      '/api/upstream/openai/../../etc/passwd',
      '/api/upstream/openai/images/../../../secret',
      '/api/upstream/openai/%2e%2e/secret',
      '/api/upstream/openai/%2E%2E/%2e%2e/secret',
      '/api/upstream/openai/images%2f..%2f..%2fsecret',
      '/api/upstream/openai/.%2e/secret',
      '/api/upstream/openai/..%5c..%5csecret',
      '/api/upstream/openai/./models',
      '/api/upstream/nobody/models'
    ]) {
      const res = await send(sut.url, path);
      expect(res.status, path).toBe(404);
    }
    expect((await send(sut.url, '/api/upstream/openai/%zz')).status).toBe(400);
    expect(scripted.seen.length).toBe(before);
  });

  it('does not follow redirects: a 3xx goes back to the client and the target is never contacted', async () => {
    const res = await send(sut.url, '/api/upstream/openai/redirect');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://127.0.0.1:${redirectTarget.port}/secret`);
    expect(redirectTarget.seen).toHaveLength(0);
  });
});

describe('the address guard on real connections (loopback only)', () => {
  let v4: ScriptedUpstream;
  let v6: ScriptedUpstream;

  beforeAll(async () => {
    v4 = await startScriptedUpstream((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    v6 = await startScriptedUpstream((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), '::1');
  });
  afterAll(async () => {
    await v4.close();
    await v6.close();
  });

  const hosts = () => [
    ['localhost', v4.port],
    ['127.1', v4.port],
    ['0x7f000001', v4.port],
    ['2130706433', v4.port],
    ['0177.0.0.1', v4.port],
    ['[::ffff:127.0.0.1]', v4.port],
    ['[::1]', v6.port]
  ] as const;

  function configFor(allowPrivateNetwork: boolean): RelayConfig {
    // Built with the flag on, then set as asked: the config file refuses IP literals without the
    // flag at start, and this checks the guard that stands behind that check at connect time.
    const config = testConfig({
      providers: hosts().map(([host, port], i) => ({ id: `p${i}`, dialect: 'openai-images', baseUrl: `http://${host}:${port}/v1`, apiKey: OPENAI_KEY, allowPrivateNetwork: true }))
    });
    return { ...config, providers: config.providers.map((provider) => ({ ...provider, allowPrivateNetwork })) };
  }

  it('refuses every loopback spelling without allowPrivateNetwork, and nothing reaches the target', async () => {
    const sut = await startRelay(configFor(false));
    try {
      for (const [i, [host]] of hosts().entries()) {
        const res = await send(sut.url, `/api/upstream/p${i}/models`);
        expect(res.status, host).toBe(502);
        expect((json(res).error as { type: string }).type, host).toBe('upstream_blocked');
      }
      expect(v4.seen).toHaveLength(0);
      expect(v6.seen).toHaveLength(0);
    } finally {
      await sut.close();
    }
  });

  it('reaches all of them when the provider allows private networks', async () => {
    const sut = await startRelay(configFor(true));
    try {
      for (const [i, [host]] of hosts().entries()) {
        const res = await send(sut.url, `/api/upstream/p${i}/models`);
        expect(res.status, host).toBe(200);
      }
      expect(v4.seen.length + v6.seen.length).toBe(hosts().length);
    } finally {
      await sut.close();
    }
  });
});

/**
 * A loopback listener that never completes another handshake: a child process listens with a
 * backlog of 1 and is then stopped (SIGSTOP), so it accepts nothing; once its accept queue is
 * full, the kernel drops every further SYN and a new connection stays in SYN_SENT.
 */
async function startFullBacklog(): Promise<{ port: number; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { process.stdout.write(this.address().port + '\\n') })`],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const port = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (data: Buffer) => resolve(data.toString().trim()))));
  child.kill('SIGSTOP');
  const fillers: Socket[] = [];
  // Linux queues backlog + 1 connections; fill the queue until a connection hangs.
  for (let i = 0; i < 8; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    await sleep(50);
    if (socket.connecting) break;
  }
  if (!fillers.at(-1)!.connecting) throw new Error('the stopped listener kept accepting connections');
  return {
    port,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  };
}

describe('the upstream proxy, connect timeout (loopback only)', () => {
  let listener: Awaited<ReturnType<typeof startFullBacklog>>;
  let working: ScriptedUpstream;
  let sut: RunningRelay;

  beforeAll(async () => {
    listener = await startFullBacklog();
    working = await startScriptedUpstream((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    sut = await startRelay(
      testConfig({
        providers: [
          { id: 'stuck', dialect: 'openai-images', baseUrl: `http://127.0.0.1:${listener.port}/v1`, apiKey: OPENAI_KEY, connectTimeoutMs: 300, timeoutMs: 10_000, allowPrivateNetwork: true },
          { id: 'working', dialect: 'openai-images', baseUrl: `${working.url}/v1`, apiKey: OPENAI_KEY, allowPrivateNetwork: true }
        ]
      })
    );
  });
  afterAll(async () => {
    await sut.close();
    await working.close();
    await listener.close();
  });

  it('answers 504 within the connect timeout when the upstream never completes the handshake, and keeps no socket or timer', async () => {
    // Relay, upstreams and client share this process: its sockets and timers are the relay's plus the test's.
    const handles = () => {
      const kinds = process.getActiveResourcesInfo();
      return { sockets: kinds.filter((kind) => kind === 'TCPSocketWrap').length, timers: kinds.filter((kind) => kind === 'Timeout').length };
    };
    const before = handles();
    const started = performance.now();
    const res = await send(sut.url, '/api/upstream/stuck/images/generations', post({ prompt: 'a kite' }));
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(json(res)).toEqual({ error: { message: 'The upstream did not accept a connection for 300 ms.', type: 'timeout' } });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The idle timeout is 10 s: the connect timeout, not it, answered.
    expect(elapsed).toBeLessThan(2000);
    expect(res.body.toString()).not.toContain(OPENAI_KEY);
    expect(sut.logs.join('\n')).toContain('upstream connect timeout after 300 ms');
    // The half-open socket was destroyed (not pooled), and its timers cleared.
    await sleep(50);
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    expect(idleConnections({ protocol: 'http:', hostname: '127.0.0.1', port: listener.port, host: `127.0.0.1:${listener.port}`, allowPrivateNetwork: true })).toBe(0);
    // The relay is as good as before for other providers.
    expect((await send(sut.url, '/api/upstream/working/models')).status).toBe(200);
  });
});
