import { describe, expect, it } from 'vitest';
import { sniffFormat } from './images.ts';
import { decodeImage, fromBase64, parseSse, postJson, sseJson, useUpstream } from './test-support.ts';

type Json = Record<string, any>;

const upstream = useUpstream();
const chat = (model: string, extra: Json = {}) => ({ model, messages: [{ role: 'user', content: 'a lighthouse' }], ...extra });

describe('xAI', () => {
  it('returns JPEG images as b64_json or as URLs, and takes JSON edits', async () => {
    const b64 = (await (await postJson(`${upstream().url}/xai/v1/images/generations`, { model: 'grok-2-image', prompt: 'p', response_format: 'b64_json', aspect_ratio: '1:1' })).json()) as Json;
    const url = (await (await postJson(`${upstream().url}/xai/v1/images/edits`, { model: 'grok-imagine-image', prompt: 'p', image: { url: 'data:image/png;base64,AA==', type: 'image_url' } })).json()) as Json;

    expect(decodeImage(fromBase64(b64.data[0].b64_json))).toMatchObject({ format: 'jpeg', width: 1024, height: 1024 });
    expect(url.data[0].url).toMatch(/\/files\/xai-tmp-imgen-.+\.jpeg$/);
  });

  it('uses both error shapes: a string `error` for a bad key, an object for a rate limit', async () => {
    const wrongKey = await postJson(`${upstream().url}/xai/v1/images/generations`, { prompt: 'p' }, { 'x-upstream-fault': '401' });
    const limited = await postJson(`${upstream().url}/xai/v1/images/generations`, { prompt: 'p' }, { 'x-upstream-fault': '429' });

    expect(wrongKey.status).toBe(400);
    expect((await wrongKey.json()) as Json).toEqual({ code: 'Client specified an invalid argument', error: expect.stringContaining('Incorrect API key provided') });
    expect(((await limited.json()) as Json).error).toMatchObject({ message: expect.any(String), type: 'rate_limit_error', code: expect.any(String) });
  });
});

describe('grok2api v1', () => {
  it('streams image chunks with `event: chat.completion.chunk`, PNG-labelled data URIs holding JPEG bytes, then [DONE]', async () => {
    const response = await postJson(`${upstream().url}/grok2api-v1/v1/chat/completions`, chat('grok-imagine-1.0', { stream: true, image_config: { n: 2, size: '32x32', response_format: 'b64_json' } }));
    const frames = parseSse(await response.text());
    const chunks = sseJson<Json>(frames);

    expect(frames.slice(0, 2).map((frame) => frame.event)).toEqual(['chat.completion.chunk', 'chat.completion.chunk']);
    expect(frames.at(-1)!.data).toBe('[DONE]');
    expect(chunks.map((chunk) => chunk.choices[0].index)).toEqual([0, 1]);
    expect(chunks[0]!.choices[0].finish_reason).toBe('stop');
    expect(chunks[0]!.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    const dataUri = /^!\[image\]\((data:image\/png;base64,[^)]+)\)$/.exec(chunks[0]!.choices[0].delta.content)![1]!;
    expect(sniffFormat(fromBase64(dataUri))).toBe('jpeg');
  });

  it('pads /images/generations with the string "error" when [short] delivers fewer than n', async () => {
    const sut = (await (await postJson(`${upstream().url}/grok2api-v1/v1/images/generations`, { prompt: 'p [short]', n: 3, size: '16x16', response_format: 'base64' })).json()) as Json;

    expect(sut.data).toHaveLength(3);
    expect(sut.data[2]).toEqual({ b64_json: 'error' });
    expect(sniffFormat(fromBase64(sut.data[0].b64_json))).toBe('jpeg');
  });

  it('reports a streamed failure as `event: error`, the error, then [DONE]', async () => {
    const frames = parseSse(await (await postJson(`${upstream().url}/grok2api-v1/v1/chat/completions`, chat('grok-imagine-1.0', { stream: true }), { 'x-upstream-fault': '500' })).text());

    expect(frames.map((frame) => frame.event)).toEqual(['error', undefined]);
    expect(JSON.parse(frames[0]!.data!).error).toMatchObject({ type: 'server_error' });
    expect(frames[1]!.data).toBe('[DONE]');
  });
});

describe('grok2api v2', () => {
  it('streams progress in reasoning_content and the image as markdown content; only the last chunk has finish_reason', async () => {
    const response = await postJson(`${upstream().url}/grok2api-v2/v1/chat/completions`, chat('grok-imagine-image', { stream: true, image_config: { n: 1, size: '16x16' } }));
    const chunks = sseJson<Json>(parseSse(await response.text()));
    const deltas = chunks.map((chunk) => chunk.choices[0].delta);

    expect(deltas.some((delta) => /图片正在生成 \d+% \(1\/1\)/.test(delta.reasoning_content ?? ''))).toBe(true);
    expect(deltas.some((delta) => /^!\[image\]\(http:\/\/127\.0\.0\.1:\d+\/files\/.+\.jpeg\)$/.test(delta.content ?? ''))).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => !('finish_reason' in chunk.choices[0]))).toBe(true);
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
  });
});

describe('grok2api v3', () => {
  it('writes Go-style JSON: sorted keys, chatcmpl_ ids, all images in one content delta', async () => {
    const response = await postJson(`${upstream().url}/grok2api-v3/v1/chat/completions`, chat('grok-imagine-image', { stream: true, image_config: { n: 2, aspect_ratio: '1:1' } }));
    const frames = parseSse(await response.text());
    const chunks = sseJson<Json>(frames);

    expect(frames[0]!.data!.startsWith('{"choices":[{"delta":{"role":"assistant"},"index":0}],"created":')).toBe(true);
    expect(chunks[0]!.id).toMatch(/^chatcmpl_[0-9a-f]{32}$/);
    const images = chunks[1]!.choices[0].delta.content.split('\n\n');
    expect(images).toHaveLength(2);
    const media = await fetch(/\((.+)\)/.exec(images[0])![1]!);
    expect(media.headers.get('content-type')).toBe('image/jpeg');
    expect(chunks[2]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }], usage: { total_tokens: 0 } });
    expect(frames.at(-1)!.data).toBe('[DONE]');
  });

  it('closes a failed images stream without any completed event', async () => {
    const response = await postJson(`${upstream().url}/grok2api-v3/v1/images/generations`, { prompt: 'p', size: '16x16', stream: true, partial_images: 1 }, { 'x-upstream-fault': 'safety' });
    const events = sseJson<Json>(parseSse(await response.text()));

    expect(events.map((event) => event.type)).toEqual(['image_generation.partial_image']);
    expect(Object.keys(events[0]!)).toEqual([...Object.keys(events[0]!)].sort());
  });

  it('answers errors with sorted keys and Chinese messages', async () => {
    const text = await (await postJson(`${upstream().url}/grok2api-v3/v1/images/generations`, {}, { 'x-upstream-fault': '401' })).text();

    expect(text).toBe('{"error":{"code":"invalid_api_key","message":"无效的 API Key","param":null,"type":"authentication_error"}}');
  });
});

describe('Seedream', () => {
  it('streams partial_succeeded and partial_failed per image, then completed and [DONE]', async () => {
    const body = { model: 'doubao-seedream-4-0-250828', prompt: 'p [short]', size: '32x32', sequential_image_generation: 'auto', sequential_image_generation_options: { max_images: 2 }, response_format: 'b64_json', stream: true };
    const frames = parseSse(await (await postJson(`${upstream().url}/seedream/api/v3/images/generations`, body)).text());
    const events = sseJson<Json>(frames);

    expect(frames.map((frame) => frame.event)).toEqual(['image_generation.partial_succeeded', 'image_generation.partial_failed', 'image_generation.completed', undefined]);
    expect(frames.at(-1)!.data).toBe('[DONE]');
    expect(decodeImage(fromBase64(events[0]!.b64_json))).toMatchObject({ format: 'jpeg', width: 32, height: 32 });
    expect(events[1]).toMatchObject({ image_index: 1, error: { code: expect.any(String) } });
    expect(events[2]!.usage).toMatchObject({ generated_images: 1 });
  });
});

describe('SiliconFlow', () => {
  it('answers images[].url (not data[]) with timings and seed', async () => {
    const sut = (await (await postJson(`${upstream().url}/siliconflow/v1/images/generations`, { model: 'Kwai-Kolors/Kolors', prompt: 'p', image_size: '48x32', batch_size: 2 })).json()) as Json;

    expect(sut.data).toBeUndefined();
    expect(sut).toMatchObject({ timings: { inference: expect.any(Number) }, seed: expect.any(Number) });
    expect(sut.images).toHaveLength(2);
    const file = await fetch(sut.images[0].url);
    expect(decodeImage(Buffer.from(await file.arrayBuffer()))).toMatchObject({ width: 48, height: 32 });
  });
});
