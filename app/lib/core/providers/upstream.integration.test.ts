// Every dialect against the test upstream (tests/upstream), which speaks each service's wire format over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../../../../tests/upstream/server';
import { ProviderError } from '../errors';
import { pngBytes } from '../testing/images';
import type { DialectChoice, GenerationRequest } from '../types';
import { listModels, testConnection } from '../models';
import { generate } from './index';

let upstream: TestUpstream;
const KEY = 'sk-integration.KEY.000111';

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

function run(dialect: DialectChoice, path: string, req: Partial<GenerationRequest> & { model: string }) {
  return generate({ prompt: 'a red fox', ...req }, { dialect, baseUrl: `${upstream.url}${path}`, apiKey: KEY }, { timeoutMs: 20_000 });
}

describe('every dialect and service against the test upstream', () => {
  it.each([
    ['openai-images', '/v1', { model: 'gpt-image-1' }, 'image/png'],
    ['openai-images', '/v1', { model: 'gpt-image-1', stream: true, partialImages: 2 }, 'image/png'],
    ['openai-images', '/v1', { model: 'dall-e-3' }, 'image/png'],
    ['openai-chat', '/openrouter/api/v1', { model: 'google/gemini-2.5-flash-image' }, 'image/png'],
    ['openai-chat', '/openrouter/api/v1', { model: 'google/gemini-2.5-flash-image', stream: true }, 'image/png'],
    ['openai-responses', '/v1', { model: 'gpt-5' }, 'image/png'],
    ['openai-responses', '/v1', { model: 'gpt-5', stream: true, partialImages: 1 }, 'image/png'],
    ['gemini', '/gemini', { model: 'gemini-2.5-flash-image' }, 'image/png'],
    ['gemini', '/gemini', { model: 'gemini-2.5-flash-image', stream: true }, 'image/png'],
    ['openai-images', '/xai/v1', { model: 'grok-2-image' }, 'image/jpeg'],
    ['openai-images', '/grok2api-v1/v1', { model: 'grok-imagine-1.0', stream: true }, 'image/jpeg'],
    ['openai-chat', '/grok2api-v1/v1', { model: 'grok-imagine-1.0', stream: true }, 'image/jpeg'],
    ['openai-chat', '/grok2api-v1/v1', { model: 'grok-4', stream: true }, 'image/jpeg'],
    ['openai-images', '/grok2api-v2/v1', { model: 'grok-imagine-image' }, 'image/jpeg'],
    ['openai-chat', '/grok2api-v2/v1', { model: 'grok-imagine-image', stream: true }, 'image/jpeg'],
    ['openai-chat', '/grok2api-v3/v1', { model: 'grok-imagine-image', stream: true }, 'image/jpeg'],
    ['openai-images', '/grok2api-v3/v1', { model: 'grok-imagine-image', stream: true }, 'image/jpeg'],
    ['openai-images', '/seedream/api/v3', { model: 'doubao-seedream-4-0-250828' }, 'image/jpeg'],
    ['openai-images', '/siliconflow/v1', { model: 'Kwai-Kolors/Kolors' }, 'image/png'],
    ['auto', '/gemini', { model: 'gemini-2.5-flash-image' }, 'image/png']
  ] as const)('%s at %s with %o gives a real image', async (dialect, path, req, mime) => {
    const result = await run(dialect, path, req);
    expect(result.images.length).toBeGreaterThan(0);
    expect(result.images[0]).toMatchObject({ mime });
    expect(result.images[0]!.width).toBeGreaterThan(0);
  });

  it('sends edits as the service expects: OpenAI multipart with image[] and mask', async () => {
    upstream.reset();
    const result = await run('openai-images', '/v1', { model: 'gpt-image-1', images: [{ bytes: pngBytes(16, 16, 1) }, { bytes: pngBytes(16, 16, 2) }], mask: { bytes: pngBytes(16, 16, 3) } });
    expect(result.images).toHaveLength(1);
    const files = upstream.requests.at(-1)!.form!.files;
    expect(files.map((f) => f.field)).toEqual(['image[]', 'image[]', 'mask']);
  });

  it('keeps the images of a short group and counts the rest as failed (grok2api padding, Seedream partial_failed)', async () => {
    const grok = await run('openai-images', '/grok2api-v1/v1', { model: 'grok-imagine-1.0', n: 3, prompt: 'foxes [short]' });
    expect(grok.images.length).toBeGreaterThan(0);
    expect(grok.images.length).toBeLessThan(3);
    const seedream = await run('openai-images', '/seedream/api/v3', { model: 'doubao-seedream-4-0-250828', n: 3, stream: true, prompt: 'foxes [short] [pace:0]' });
    expect(seedream.images.length).toBeGreaterThan(0);
    expect(seedream.failures.length).toBeGreaterThan(0);
  });

  it.each([
    ['401', 'auth'],
    ['429', 'rate-limit'],
    ['500', 'upstream'],
    ['html-502', 'upstream'],
    ['504', 'timeout'],
    ['reset', 'network'],
    ['truncated-json', 'parse'],
    ['no-image', 'no-image'],
    ['safety', 'safety']
  ])('turns fault %s into a %s error, never showing the key', async (fault, kind) => {
    for (const [dialect, path, model] of [
      ['openai-images', '/v1', 'gpt-image-1'],
      ['openai-chat', '/openrouter/api/v1', 'google/gemini-2.5-flash-image'],
      ['gemini', '/gemini', 'gemini-2.5-flash-image'],
      ['openai-images', '/xai/v1', 'grok-2-image']
    ] as const) {
      const error = await run(dialect, path, { model, prompt: `a fox [fault:${fault}]` }).catch((e: unknown) => e);
      expect(error, `${dialect} ${path}`).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind, `${dialect} ${path}: ${(error as Error).message}`).toBe(kind);
      expect((error as Error).message).not.toContain(KEY);
    }
  });

  it('treats streams that end without their completion event as failures', async () => {
    for (const [dialect, path, model] of [
      ['openai-images', '/v1', 'gpt-image-1'],
      ['openai-images', '/grok2api-v3/v1', 'grok-imagine-image'],
      ['openai-responses', '/v1', 'gpt-5'],
      ['openai-chat', '/openrouter/api/v1', 'google/gemini-2.5-flash-image'],
      ['gemini', '/gemini', 'gemini-2.5-flash-image']
    ] as const) {
      const outcome = await run(dialect, path, { model, stream: true, prompt: 'a fox [fault:no-completion]' }).catch((e: unknown) => e);
      // Either a typed failure, or whole images with the stream marked incomplete.
      if (outcome instanceof ProviderError) expect(outcome.retryable || outcome.kind === 'no-image').toBe(true);
      else expect(outcome).toMatchObject({ complete: false });
    }
  });

  it('lists models per service and tells a bad key from an unreachable host', async () => {
    const router = await listModels({ dialect: 'openai-chat', baseUrl: `${upstream.url}/openrouter/api/v1`, apiKey: KEY });
    expect(router.some((m) => m.imageOutput === true)).toBe(true);
    expect(router.some((m) => m.imageOutput === false)).toBe(true);
    const gemini = await listModels({ dialect: 'gemini', baseUrl: `${upstream.url}/gemini`, apiKey: KEY });
    expect(gemini.every((m) => !m.id.startsWith('models/'))).toBe(true);
    expect(gemini.length).toBeGreaterThan(0);
    const missingKey = await testConnection({ dialect: 'openai-images', baseUrl: `${upstream.url}/v1` });
    expect(missingKey).toMatchObject({ ok: false, reason: 'bad-key' });
  });
});
