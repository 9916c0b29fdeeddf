import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors';
import { b64, chunkedResponse, collect, pngBytes, sse } from '../../testing/images';
import type { GenerationRequest, ProviderConfig, ProviderEvent } from '../../types';
import { openAiImages as sut } from './adapter';

const config: ProviderConfig = { dialect: 'openai-images', baseUrl: 'https://api.example.com/v1/', apiKey: 'sk-test-123456' };
const png = pngBytes(8, 6, 1);
const png2 = pngBytes(8, 6, 2);
const jpg = new Uint8Array(jpeg.encode({ data: Buffer.alloc(5 * 4 * 4, 200), width: 5, height: 4 }, 90).data);

function request(extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { prompt: 'a lighthouse', model: 'gpt-image-1', ...extra };
}

function images(events: ProviderEvent[]) {
  return events.flatMap((e) => (e.type === 'image' ? [e.image] : []));
}

async function read(body: string, contentType = 'application/json', status = 200) {
  return collect(sut.readResponse(chunkedResponse(body, contentType, { status, chunkSize: 9 }), { secrets: [config.apiKey] }));
}

describe('openai-images requests', () => {
  it('posts generations as JSON to the base URL path with only the chosen options', async () => {
    const req = sut.buildRequest(request({ n: 2, size: '1024x1024', stream: true, partialImages: 2 }), config);
    expect(req.url).toBe('https://api.example.com/v1/images/generations');
    expect(req.headers.get('authorization')).toBe('Bearer sk-test-123456');
    expect(await req.json()).toEqual({ model: 'gpt-image-1', prompt: 'a lighthouse', n: 2, size: '1024x1024', stream: true, partial_images: 2 });
  });

  it('asks dall-e for base64 (it defaults to expiring URLs)', async () => {
    const body = await sut.buildRequest(request({ model: 'dall-e-3' }), config).json();
    expect(body.response_format).toBe('b64_json');
  });

  it('sends edits as multipart with image[] parts and a mask', async () => {
    const req = sut.buildRequest(request({ images: [{ bytes: png }, { bytes: jpg }], mask: { bytes: png2 } }), config);
    expect(req.url).toBe('https://api.example.com/v1/images/edits');
    const form = await req.formData();
    const files = form.getAll('image[]') as File[];
    expect(files.map((f) => f.type)).toEqual(['image/png', 'image/jpeg']);
    expect(new Uint8Array(await files[1]!.arrayBuffer())).toEqual(jpg);
    expect((form.get('mask') as File).size).toBe(png2.length);
    expect(form.get('prompt')).toBe('a lighthouse');
  });

  it('sends one input image as `image`, and JSON edits for gateways that take only JSON', async () => {
    const single = await sut.buildRequest(request({ images: [{ bytes: png }] }), config).formData();
    expect(single.get('image')).toBeInstanceOf(File);
    const json = await sut.buildRequest(request({ images: [{ bytes: png }], mask: { bytes: png2 } }), { ...config, editsAsJson: true }).json();
    expect(json.images[0].image_url).toBe(`data:image/png;base64,${b64(png)}`);
    expect(json.mask.image_url.startsWith('data:image/png;base64,')).toBe(true);
  });

  it('speaks xAI: JSON edits with an image URL object, aspect_ratio, no size', async () => {
    const req = sut.buildRequest(request({ model: 'grok-2-image', aspectRatio: '16:9', images: [{ bytes: jpg }] }), { ...config, baseUrl: 'https://api.x.ai/v1' });
    expect(req.url).toBe('https://api.x.ai/v1/images/edits');
    expect(req.headers.get('content-type')).toBe('application/json');
    const body = await req.json();
    expect(body).toMatchObject({ model: 'grok-2-image', response_format: 'b64_json', aspect_ratio: '16:9', image: { type: 'image_url' } });
    expect(body.image.url.startsWith('data:image/jpeg;base64,')).toBe(true);
  });

  it('speaks Seedream, SiliconFlow and OpenRouter /images', async () => {
    const seedream = await sut.buildRequest(request({ model: 'doubao-seedream-4-0-250828', n: 3, size: '2K' }), { ...config, baseUrl: 'https://ark.cn-beijing.volces.com/api/v3' }).json();
    expect(seedream).toMatchObject({ size: '2K', sequential_image_generation: 'auto', sequential_image_generation_options: { max_images: 3 } });
    const silicon = await sut.buildRequest(request({ model: 'Kwai-Kolors/Kolors', n: 2, size: '1024x1024' }), { ...config, baseUrl: 'https://api.siliconflow.cn/v1' }).json();
    expect(silicon).toEqual({ model: 'Kwai-Kolors/Kolors', prompt: 'a lighthouse', image_size: '1024x1024', batch_size: 2 });
    const router = sut.buildRequest(request({ model: 'openai/gpt-image-1', aspectRatio: '1:1', imageSize: '2K' }), { ...config, baseUrl: 'https://openrouter.ai/api/v1' });
    expect(router.url).toBe('https://openrouter.ai/api/v1/images');
    expect(await router.json()).toMatchObject({ aspect_ratio: '1:1', resolution: '2K' });
  });
});

describe('openai-images responses', () => {
  it('reads b64_json and trusts the bytes over output_format', async () => {
    const { events, error } = await read(JSON.stringify({ created: 1, output_format: 'png', data: [{ b64_json: b64(jpg), revised_prompt: 'a tall lighthouse' }], usage: { input_tokens: 5, output_tokens: 100, total_tokens: 105 } }));
    expect(error).toBeUndefined();
    expect(images(events)).toMatchObject([{ mime: 'image/jpeg', width: 5, height: 4, revisedPrompt: 'a tall lighthouse' }]);
    expect(events).toContainEqual({ type: 'usage', usage: { inputTokens: 5, outputTokens: 100, totalTokens: 105 } });
  });

  it('reports URL results for download, and drops grok2api "error" padding', async () => {
    const { events } = await read(JSON.stringify({ created: 1, data: [{ url: 'https://cdn.example.com/a.png' }, 'error', { b64_json: b64(png) }] }));
    expect(events.filter((e) => e.type === 'image-url')).toEqual([{ type: 'image-url', url: 'https://cdn.example.com/a.png', index: 0 }]);
    expect(images(events)).toHaveLength(1);
  });

  it('reads SiliconFlow images[].url', async () => {
    const { events } = await read(JSON.stringify({ images: [{ url: 'https://sc.example.com/x.png' }], timings: { inference: 1.2 }, seed: 1 }));
    expect(events[0]).toEqual({ type: 'image-url', url: 'https://sc.example.com/x.png', index: 0 });
  });

  it('fails with no-image when only padding or non-image bytes come back', async () => {
    const padded = await read(JSON.stringify({ data: ['error', 'error'] }));
    expect(padded.error).toMatchObject({ kind: 'no-image' });
    const fake = await read(JSON.stringify({ data: [{ b64_json: b64(new TextEncoder().encode('this is not an image, only text bytes')) }] }));
    expect(fake.error).toMatchObject({ kind: 'no-image' });
  });

  it('streams partials as previews and the completed image as the result', async () => {
    const body = sse([
      ['image_generation.partial_image', { type: 'image_generation.partial_image', b64_json: b64(png2), partial_image_index: 0 }],
      ['image_generation.completed', { type: 'image_generation.completed', b64_json: b64(png), output_format: 'png', usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }]
    ]);
    const { events, error } = await read(body, 'text/event-stream');
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'partial')).toHaveLength(1);
    expect(images(events).map((i) => i.bytes)).toEqual([png]);
    expect(events.at(-1)).toEqual({ type: 'done', complete: true });
  });

  it('reads grok2api v1 progress partials with empty b64_json', async () => {
    const body = sse([
      { type: 'image_generation.partial_image', b64_json: '', progress: 40, index: 0 },
      { type: 'image_generation.completed', b64_json: b64(png), stage: 'final', index: 0 }
    ]);
    const { events } = await read(body, 'text/event-stream');
    expect(events[0]).toEqual({ type: 'progress', text: '40%', percent: 40 });
    expect(images(events)).toHaveLength(1);
  });

  it('treats a stream that closes without *.completed as a failure (grok2api v3)', async () => {
    const body = sse([['image_edit.partial_image', { type: 'image_edit.partial_image', b64_json: b64(png2), partial_image_index: 0 }]]);
    const { events, error } = await read(body, 'text/event-stream');
    expect(events.filter((e) => e.type === 'partial')).toHaveLength(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'upstream', retryable: true });
  });

  it('keeps Seedream partial_succeeded images and reports partial_failed ones', async () => {
    const body =
      sse([
        ['image_generation.partial_succeeded', { type: 'image_generation.partial_succeeded', image_index: 0, b64_json: b64(png), size: '8x6' }],
        ['image_generation.partial_failed', { type: 'image_generation.partial_failed', image_index: 1, error: { code: 'OutputImageSensitiveContentDetected', message: 'The output image may contain sensitive content.' } }],
        ['image_generation.partial_succeeded', { type: 'image_generation.partial_succeeded', image_index: 2, b64_json: b64(png2) }],
        ['image_generation.completed', { type: 'image_generation.completed', usage: { generated_images: 2, output_tokens: 10, total_tokens: 10 } }]
      ]) + 'data: [DONE]\n\n';
    const { events, error } = await read(body, 'text/event-stream');
    expect(error).toBeUndefined();
    expect(images(events).map((i) => i.index)).toEqual([0, 2]);
    const failed = events.find((e) => e.type === 'image-failed');
    expect(failed).toMatchObject({ index: 1, error: { kind: 'safety', message: 'The output image may contain sensitive content.' } });
  });

  it('raises the error of a stream error event (grok2api v1)', async () => {
    const body = 'event: error\ndata: {"error":{"message":"上游服务繁忙","type":"server_error","code":"upstream_error"}}\n\ndata: [DONE]\n\n';
    const { error } = await read(body, 'text/event-stream');
    expect(error).toMatchObject({ kind: 'upstream', message: '上游服务繁忙' });
  });

  it('parses by Content-Type: a JSON answer to a stream request is read as JSON', async () => {
    const { events } = await read(JSON.stringify({ data: [{ b64_json: b64(png) }] }), 'application/json; charset=utf-8');
    expect(images(events)).toHaveLength(1);
  });

  it('turns HTTP errors into typed errors with the upstream message', async () => {
    const invalid = await read(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-test-123456.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }), 'application/json', 401);
    expect(invalid.error).toMatchObject({ kind: 'auth', status: 401, message: 'Incorrect API key provided: [redacted].' });
    const moderated = await read(JSON.stringify({ error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } }), 'application/json', 400);
    expect(moderated.error).toMatchObject({ kind: 'safety', retryable: false, code: 'moderation_blocked' });
    const html = await read('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', 'text/html', 502);
    expect(html.error).toMatchObject({ kind: 'upstream', retryable: true, message: 'HTTP 502: 502 Bad Gateway' });
    const xai = await read(JSON.stringify({ code: 'Client specified an invalid argument', error: 'Argument not supported: size' }), 'application/json', 400);
    expect(xai.error).toMatchObject({ kind: 'bad-request', message: 'Argument not supported: size' });
  });

  it('reports Retry-After on rate limits', async () => {
    const res = chunkedResponse(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded', param: null } }), 'application/json', { status: 429, headers: { 'retry-after': '7' } });
    const { error } = await collect(sut.readResponse(res));
    expect(error).toMatchObject({ kind: 'rate-limit', retryable: true, retryAfterMs: 7000 });
  });

  it('reports a truncated JSON body as a parse error', async () => {
    const { error } = await read(JSON.stringify({ data: [{ b64_json: b64(png) }] }).slice(0, 60));
    expect(error).toMatchObject({ kind: 'parse' });
  });
});
