import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../errors';
import { b64, pngBytes } from '../testing/images';
import { generate, runGeneration } from './index';

let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
const server = createServer((req, res) => route(req, res));
let base = '';
const png = pngBytes(10, 8, 3);
const KEY = 'sk-live-SECRET-abcdef';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('runGeneration', () => {
  it('detects the dialect, downloads URL results and checks they are images', async () => {
    route = (req, res) => {
      if (req.url === '/v1/images/generations') return json(res, 200, { created: 1, data: [{ url: `${base}/files/a.png` }, { url: `${base}/files/not-an-image` }] });
      if (req.url === '/files/a.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      res.writeHead(200, { 'content-type': 'image/png' }).end('<html>expired</html>');
    };
    const result = await generate({ prompt: 'p', model: 'dall-e-3' }, { dialect: 'auto', baseUrl: `${base}/v1`, apiKey: KEY });
    expect(result.dialect).toBe('openai-images');
    expect(result.images.map((i) => [i.mime, i.width, i.height])).toEqual([['image/png', 10, 8]]);
    expect(result.failures).toMatchObject([{ kind: 'parse' }]);
  });

  it('never shows the API key: not in errors, even when the upstream echoes it, and not in the URL', async () => {
    let seenUrl = '';
    route = (req, res) => {
      seenUrl = req.url ?? '';
      json(res, 401, { error: { code: 401, message: `API key ${KEY} is not valid`, status: 'UNAUTHENTICATED' } });
    };
    for (const dialect of ['gemini', 'openai-chat'] as const) {
      const error = await generate({ prompt: 'p', model: 'gemini-2.5-flash-image' }, { dialect, baseUrl: `${base}/x`, apiKey: KEY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      const shown = JSON.stringify((error as ProviderError).toJSON()) + String(error) + (error as Error).stack;
      expect(shown).not.toContain(KEY);
      expect(shown).toContain('[redacted]');
      expect(seenUrl).not.toContain(KEY);
    }
  });

  it('reports a network failure and a timeout as typed, retryable errors', async () => {
    route = (req) => req.socket.destroy();
    await expect(generate({ prompt: 'p', model: 'm' }, { dialect: 'openai-chat', baseUrl: `${base}/v1` })).rejects.toMatchObject({ kind: 'network', retryable: true });
    route = () => undefined; // never answers
    await expect(generate({ prompt: 'p', model: 'm' }, { dialect: 'openai-chat', baseUrl: `${base}/v1` }, { timeoutMs: 200 })).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('hands back the caller abort as it is, not as an error', async () => {
    route = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await generate({ prompt: 'p', model: 'm' }, { dialect: 'openai-chat', baseUrl: `${base}/v1` }, { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });

  it('reports a connection reset in the middle of a stream as a network error', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"${b64(png)}"}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const events: string[] = [];
    const error = await (async () => {
      for await (const event of runGeneration({ prompt: 'p', model: 'gpt-image-1', stream: true }, { dialect: 'openai-images', baseUrl: `${base}/v1` })) events.push(event.type);
    })().catch((e: unknown) => e);
    expect(events).toContain('partial');
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });
});
