import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startUpstream } from './server.ts';
import { fromBase64, parseSse, postJson, sseJson, useUpstream } from './test-support.ts';

type Json = Record<string, any>;

const upstream = useUpstream();
const generate = (prompt: string, extra: Json = {}) => ({ model: 'gpt-image-1', prompt, size: '64x64', ...extra });

describe('recording and control endpoints', () => {
  it('records method, path, query, lower-case headers, raw body and parsed JSON, in order', async () => {
    upstream().reset();
    await postJson(`${upstream().url}/v1/images/generations?trace=1`, generate('first'), { 'X-Custom-Header': 'Yes' });
    await fetch(`${upstream().url}/v1/models`, { headers: { authorization: 'Bearer k' } });
    const [first, second] = upstream().requests;

    expect(upstream().requests).toHaveLength(2);
    expect(first).toMatchObject({ method: 'POST', path: '/v1/images/generations', query: { trace: '1' }, json: generate('first') });
    expect(first!.headers).toMatchObject({ 'x-custom-header': 'Yes', authorization: 'Bearer sk-test-upstream-key', 'content-type': 'application/json' });
    expect(JSON.parse(first!.body.toString())).toEqual(generate('first'));
    expect(first!.time).toEqual(expect.any(Number));
    expect(second).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('serves a summary at /__upstream/requests, resets, and configures server-wide knobs', async () => {
    await postJson(`${upstream().url}/v1/images/generations`, generate('summarise me'));
    const summary = (await (await fetch(`${upstream().url}/__upstream/requests`)).json()) as Json;
    const configured = await postJson(`${upstream().url}/__upstream/config`, { fault: '500' });
    const failing = await postJson(`${upstream().url}/v1/images/generations`, generate('x'));
    const badConfig = await postJson(`${upstream().url}/__upstream/config`, { fault: 'teapot' });
    await fetch(`${upstream().url}/__upstream/reset`, { method: 'POST' });
    const healthy = await postJson(`${upstream().url}/v1/images/generations`, generate('x'));

    expect(summary.requests.at(-1)).toMatchObject({ path: '/v1/images/generations', bodyBytes: expect.any(Number), json: { prompt: 'summarise me' } });
    expect(configured.status).toBe(200);
    expect(failing.status).toBe(500);
    expect(badConfig.status).toBe(400);
    expect(healthy.status).toBe(200);
    expect(upstream().requests).toHaveLength(1);
  });

  it('answers CORS preflight and exposes retry-after', async () => {
    const preflight = await fetch(`${upstream().url}/gemini/v1beta/models/x:generateContent`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-goog-api-key' }
    });
    const limited = await postJson(`${upstream().url}/v1/images/generations`, generate('x'), { 'x-upstream-fault': '429' });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization.*x-goog-api-key.*x-upstream-fault/);
    expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('listens on loopback only', async () => {
    await expect(startUpstream({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});

describe('faults', () => {
  it('html-502 answers an nginx HTML page', async () => {
    const response = await postJson(`${upstream().url}/openrouter/api/v1/chat/completions`, {}, { 'x-upstream-fault': 'html-502' });

    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toContain('<center>nginx</center>');
  });

  it('504 answers after the latency, in the flavor shape', async () => {
    const started = Date.now();
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x [fault:504] [latency:150]'));

    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(504);
    expect(((await response.json()) as Json).error.type).toBe('server_error');
  });

  it('reset destroys the socket after part of the body', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x'), { 'x-upstream-fault': 'reset' });

    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('reset in a stream cuts the first image event in half', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x [fault:reset]', { stream: true }));

    await expect(response.text()).rejects.toThrow();
  });

  it('truncated-json ends cleanly with half a JSON body', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x'), { 'x-upstream-fault': 'truncated-json' });
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(text.startsWith('{"created":')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('no-completion ends a stream before its completion event', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x [fault:no-completion]', { stream: true, partial_images: 1 }));
    const events = sseJson<Json>(parseSse(await response.text()));

    expect(events.map((event) => event.type)).toEqual(['image_generation.partial_image']);
  });

  it('drip sends the body one byte at a time (pace sets the interval)', async () => {
    const started = Date.now();
    const response = await postJson(`${upstream().url}/v1/models`, {}, { 'x-upstream-fault': 'drip', 'x-upstream-pace': '40' });
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 4) received += (await reader.read()).value?.length ?? 0;
    await reader.cancel();

    expect(received).toBeLessThanOrEqual(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('pace spaces stream events', async () => {
    const started = Date.now();
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x [pace:60]', { stream: true, partial_images: 2 }));
    await response.text();

    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('rejects an unknown fault name loudly', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, generate('x [fault:teapot]'));

    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).upstream_error).toContain('teapot');
  });
});

describe('backpressure and big images', () => {
  it('streams a [big] image of tens of MB to a client that pauses', { timeout: 30_000 }, async () => {
    const { url } = upstream();
    const body = JSON.stringify(generate('benchmark [big]', { stream: true }));
    // A raw request so the test controls reading speed: pause, then resume.
    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(`${url}/v1/images/generations`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' } }, (response) => {
        const chunks: Buffer[] = [];
        response.pause();
        setTimeout(() => response.resume(), 200);
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
    const [completed] = sseJson<Json>(parseSse(text));
    const image = fromBase64(completed!.b64_json);

    expect(image.length).toBeGreaterThan(20_000_000);
    expect(completed!.size).toBe('3072x3072');
    // The PNG header says the size; a full decode of 28 MB would only slow the suite down.
    expect(image.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([image.readUInt32BE(16), image.readUInt32BE(20)]).toEqual([3072, 3072]);
  });
});
