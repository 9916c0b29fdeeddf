import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send, sleep, startRelay, testConfig, type RunningRelay } from './test-helpers.ts';

/** Opens the live log stream and collects its text until `stop()` is called. */
function openStream(base: string, headers: Record<string, string> = {}) {
  const url = new URL(base);
  let text = '';
  let status = 0;
  let contentType = '';
  const req = httpRequest({ hostname: url.hostname, port: url.port, path: '/api/logs/events', headers, agent: false }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
  });
  req.on('error', () => {});
  req.end();
  return {
    get text() {
      return text;
    },
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    stop: () => req.destroy()
  };
}

describe('relay logs', () => {
  let sut: RunningRelay;

  beforeAll(async () => {
    sut = await startRelay(testConfig({ logs: { ringSize: 50, heartbeatMs: 200 } }));
  });
  afterAll(() => sut.close());

  it('lists recent request lines, with secret query values replaced', async () => {
    await send(sut.url, '/api/upstream/nobody/models?key=AIza-in-the-query&alt=sse');
    const { entries, next } = json(await send(sut.url, '/api/logs')) as { entries: Record<string, unknown>[]; next: number };
    const line = entries.find((entry) => String(entry.url).startsWith('/api/upstream/nobody'));
    expect(line).toMatchObject({ msg: 'request', method: 'GET', url: '/api/upstream/nobody/models?key=[redacted]&alt=sse', status: 404 });
    expect(next).toBe(entries.at(-1)?.seq);
    const later = json(await send(sut.url, `/api/logs?since=${next}`)) as { entries: Record<string, unknown>[] };
    expect(later.entries.every((entry) => (entry.seq as number) > next)).toBe(true);
  });

  it('keeps only the newest lines of its ring', async () => {
    for (let i = 0; i < 60; i++) await send(sut.url, '/api/health');
    const { entries } = json(await send(sut.url, '/api/logs?limit=1000')) as { entries: { seq: number }[] };
    expect(entries.length).toBe(50);
    expect(entries.map((entry) => entry.seq)).toEqual([...entries.map((entry) => entry.seq)].sort((a, b) => a - b));
  });

  it('streams new lines live as SSE with ids, and heartbeats while idle', async () => {
    const stream = openStream(sut.url);
    await sleep(100);
    await send(sut.url, '/api/session');
    await sleep(700);
    stream.stop();
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
    expect(stream.text).toMatch(/^retry: 3000\n\n/);
    expect(stream.text).toMatch(/id: \d+\ndata: \{[^\n]*"url":"\/api\/session"/);
    expect(stream.text.match(/^: heartbeat \d+$/gm)?.length).toBeGreaterThanOrEqual(2);
  });

  it('resumes after Last-Event-ID, so a reconnecting app misses nothing', async () => {
    const { next } = json(await send(sut.url, '/api/logs')) as { next: number };
    await send(sut.url, '/api/providers');
    await send(sut.url, '/api/health');
    const stream = openStream(sut.url, { 'last-event-id': String(next) });
    await sleep(150);
    stream.stop();
    const ids = [...stream.text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids[0]).toBe(next + 1);
    expect(stream.text).toContain('"url":"/api/providers"');
  });

  it('does not keep the relay from shutting down while streams are open', async () => {
    const other = await startRelay(testConfig({}));
    const streams = [openStream(other.url), openStream(other.url)];
    await sleep(100);
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(1000);
    for (const stream of streams) expect(stream.status).toBe(200);
  });
});
