import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModels, testConnection } from './models';

type Handler = (path: string, headers: Record<string, string | string[] | undefined>) => { status: number; body: unknown };
let handler: Handler = () => ({ status: 404, body: {} });
const server = createServer((req, res) => {
  const { status, body } = handler(req.url ?? '', req.headers);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('listModels', () => {
  it('lists an OpenAI-style list, stripping the models/ prefix of Gemini compat ids', async () => {
    handler = (path, headers) => {
      expect(path).toBe('/v1/models');
      expect(headers.authorization).toBe('Bearer k-123');
      return { status: 200, body: { object: 'list', data: [{ id: 'gpt-image-1', object: 'model', created: 1, owned_by: 'openai' }, { id: 'models/gemini-2.5-flash', object: 'model', owned_by: 'google' }] } };
    };
    const models = await listModels({ dialect: 'openai-images', baseUrl: `${base}/v1`, apiKey: 'k-123' });
    expect(models.map((m) => m.id)).toEqual(['gpt-image-1', 'gemini-2.5-flash']);
  });

  it('marks OpenRouter image models from architecture.output_modalities', async () => {
    handler = () => ({
      status: 200,
      body: {
        data: [
          { id: 'google/gemini-2.5-flash-image', name: 'Google: Nano Banana', architecture: { input_modalities: ['text', 'image'], output_modalities: ['image', 'text'] } },
          { id: 'openai/gpt-4o', name: 'OpenAI: GPT-4o', architecture: { output_modalities: ['text'] } }
        ]
      }
    });
    const models = await listModels({ dialect: 'openai-chat', baseUrl: `${base}/api/v1` });
    expect(models).toEqual([
      { id: 'google/gemini-2.5-flash-image', label: 'Google: Nano Banana', imageOutput: true },
      { id: 'openai/gpt-4o', label: 'OpenAI: GPT-4o', imageOutput: false }
    ]);
  });

  it('follows Gemini pages with the key in a header', async () => {
    const seen: string[] = [];
    handler = (path, headers) => {
      seen.push(path);
      expect(headers['x-goog-api-key']).toBe('AIza-key');
      return path.includes('pageToken=p2')
        ? { status: 200, body: { models: [{ name: 'models/gemini-2.5-flash-image', displayName: 'Nano Banana', supportedGenerationMethods: ['generateContent'] }] } }
        : { status: 200, body: { models: [{ name: 'models/text-embedding-004', supportedGenerationMethods: ['embedContent'] }, { name: 'models/gemini-2.5-pro', supportedGenerationMethods: ['generateContent'] }], nextPageToken: 'p2' } };
    };
    const models = await listModels({ dialect: 'gemini', baseUrl: base, apiKey: 'AIza-key' });
    expect(models.map((m) => m.id)).toEqual(['gemini-2.5-pro', 'gemini-2.5-flash-image']);
    expect(seen.every((p) => p.startsWith('/v1beta/models?') && !p.includes('key='))).toBe(true);
  });
});

describe('testConnection', () => {
  it('tells a refused key from an unreachable host', async () => {
    handler = () => ({ status: 401, body: { error: { message: 'Incorrect API key provided: bad-key-999.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } } });
    const refused = await testConnection({ dialect: 'openai-images', baseUrl: `${base}/v1`, apiKey: 'bad-key-999' });
    expect(refused).toMatchObject({ ok: false, reason: 'bad-key', message: 'Incorrect API key provided: [redacted].' });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await testConnection({ dialect: 'openai-images', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' });
    expect(unreachable).toMatchObject({ ok: false, reason: 'unreachable' });

    handler = () => ({ status: 200, body: { data: [{ id: 'm' }] } });
    expect(await testConnection({ dialect: 'openai-chat', baseUrl: `${base}/v1` })).toMatchObject({ ok: true, models: [{ id: 'm' }] });
  });
});
