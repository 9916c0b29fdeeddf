// No secret leaves the relay: every response (status, headers, body) of every endpoint and every
// log line is scanned for the keys, the password and its hash.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../tests/upstream/server.ts';
import { hashPassword } from './password.ts';
import { json, send, sleep, startRelay, startScriptedUpstream, testConfig, type Exchange, type RunningRelay, type ScriptedUpstream } from './test-helpers.ts';

const OPENAI_KEY = 'sk-scan.openai.key.abcdef0123456789';
const GEMINI_KEY = 'AIza.scan.gemini.key.abcdef0123456789';
const ECHO_KEY = 'sk-scan.echo.key.abcdef0123456789';
const PASSWORD = 'scan password 0123456789';

function record(exchange: Exchange): string {
  return `${exchange.status}\n${JSON.stringify(exchange.headers)}\n${exchange.body.toString('latin1')}`;
}

/** Reads an SSE response for `ms`, then hangs up. */
function readStream(base: string, path: string, headers: Record<string, string>, ms: number): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      let text = `${res.statusCode}\n${JSON.stringify(res.headers)}\n`;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      setTimeout(() => {
        req.destroy();
        resolve(text);
      }, ms);
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end();
  });
}

describe('secrets', () => {
  let upstream: TestUpstream;
  let echo: ScriptedUpstream;
  let sut: RunningRelay;
  let passwordHash: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    // An upstream that repeats the Authorization it got, in a header and (split across two writes)
    // in the body, as some debug gateways and careless error messages do.
    echo = await startScriptedUpstream(async (req, res) => {
      const echoed = JSON.stringify({ error: { message: `Invalid key: ${req.headers.authorization ?? ''}` } });
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(echoed)), 'x-echo-authorization': req.headers.authorization ?? '' });
      const cut = echoed.indexOf('sk-') + 6;
      res.write(echoed.slice(0, cut));
      await sleep(20);
      res.end(echoed.slice(cut));
    });
    passwordHash = await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 });
    sut = await startRelay(
      testConfig({
        auth: { passwordHash },
        providers: [
          { id: 'openai', dialect: 'openai-images', baseUrl: `${upstream.url}/v1`, apiKey: OPENAI_KEY, allowPrivateNetwork: true },
          { id: 'gemini', dialect: 'gemini', baseUrl: `${upstream.url}/gemini`, apiKey: GEMINI_KEY, allowPrivateNetwork: true },
          { id: 'echo', dialect: 'openai-chat', baseUrl: echo.url, apiKey: ECHO_KEY, allowPrivateNetwork: true },
          { id: 'guarded', dialect: 'openai-images', baseUrl: `http://localhost:${upstream.port}/v1`, apiKey: OPENAI_KEY }
        ]
      })
    );
  });
  afterAll(async () => {
    await sut.close();
    await upstream.close();
    await echo.close();
  });

  it('appear in no response header, body or log line of any endpoint', async () => {
    const seen: string[] = [];
    const call = async (path: string, options: Parameters<typeof send>[2] = {}) => {
      const exchange = await send(sut.url, path, options);
      seen.push(record(exchange));
      return exchange;
    };
    const jsonPost = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    await call('/api/health');
    await call('/api/session');
    await call('/api/providers');
    await call('/api/login', jsonPost({ password: 'wrong guess' }));
    await call('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"password":"${PASSWORD}` });
    const { token } = json(await call('/api/login', jsonPost({ password: PASSWORD }))) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const live = readStream(sut.url, '/api/logs/events', auth, 1500);
    await sleep(100);

    expect((json(await call('/api/providers', { headers: auth })).providers as unknown[]).length).toBe(4);
    await call('/api/session', { headers: auth });
    await call('/api/upstream/openai/images/generations', jsonPost({ model: 'gpt-image-1', prompt: 'a cat' }, auth));
    await call('/api/upstream/openai/images/generations?stream=true', jsonPost({ model: 'gpt-image-1', prompt: 'a cat', stream: true, partial_images: 1 }, auth));
    for (const fault of ['401', '429', '500', 'html-502', 'truncated-json']) {
      await call('/api/upstream/openai/images/generations', jsonPost({ model: 'gpt-image-1', prompt: 'x' }, { ...auth, 'x-upstream-fault': fault }));
    }
    await call('/api/upstream/gemini/v1beta/models/gemini-2.5-flash-image:generateContent?key=AIza-client', jsonPost({ contents: [{ parts: [{ text: 'a fox' }] }] }, auth));
    await call('/api/upstream/gemini/v1beta/models/x:generateContent', jsonPost({ contents: [] }, { ...auth, 'x-upstream-fault': '401' }));
    const echoed = await call('/api/upstream/echo/anything', { headers: auth });
    expect(echoed.status).toBe(401);
    expect(echoed.headers['x-echo-authorization']).toBeUndefined();
    expect(json(echoed)).toEqual({ error: { message: `Invalid key: Bearer ${'*'.repeat(ECHO_KEY.length)}` } });
    expect((await call('/api/upstream/guarded/models', { headers: auth })).status).toBe(502);
    await call('/api/upstream/openai/../x', { headers: auth });
    await call('/api/upstream/openai/images/generations', { method: 'POST', headers: { ...auth, 'content-length': String(65 * 1024 * 1024) }, body: '{}' });
    await call('/api/upstream/nobody/x', { headers: auth });
    await call('/api/logs?limit=1000', { headers: auth });
    await call('/api/logout', { method: 'POST', headers: auth });
    seen.push(await live);

    const everything = [...seen, ...sut.logs];
    expect(sut.logs.length).toBeGreaterThan(15);
    for (const secret of [OPENAI_KEY, GEMINI_KEY, ECHO_KEY, PASSWORD, passwordHash]) {
      const leaks = everything.filter((text) => text.includes(secret));
      expect(leaks, secret).toEqual([]);
    }
  });
});
