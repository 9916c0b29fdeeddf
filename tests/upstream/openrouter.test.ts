import { describe, expect, it } from 'vitest';
import { decodeImage, fromBase64, parseSse, postJson, sseJson, useUpstream } from './test-support.ts';

type Json = Record<string, any>;

const upstream = useUpstream();
const base = () => `${upstream().url}/openrouter/api/v1`;

const imageChat = (extra: Json = {}) => ({
  model: 'google/gemini-2.5-flash-image',
  modalities: ['image', 'text'],
  image_config: { aspect_ratio: '16:9' },
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'make it night' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(400)}` } }
      ]
    }
  ],
  ...extra
});

describe('OpenRouter chat completions', () => {
  it('returns message.images as data URLs with empty content, provider, native_finish_reason and cost', async () => {
    const response = await postJson(`${base()}/chat/completions`, imageChat());
    const text = await response.text();
    const sut = JSON.parse(text) as Json;
    const choice = sut.choices[0];

    expect(text).toMatch(/^\s+\{/);
    expect(sut).toMatchObject({ id: expect.stringMatching(/^gen-/), provider: 'Google AI Studio', object: 'chat.completion' });
    expect(choice).toMatchObject({ finish_reason: 'stop', native_finish_reason: 'STOP', message: { role: 'assistant', content: '' } });
    expect(choice.message.images[0]).toMatchObject({ type: 'image_url', index: 0, image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } });
    expect(decodeImage(fromBase64(choice.message.images[0].image_url.url))).toMatchObject({ width: 1344, height: 768 });
    expect(sut.usage).toMatchObject({ cost: expect.any(Number), is_byok: false, completion_tokens_details: { image_tokens: expect.any(Number) } });
  });

  it('records input images sent as image_url parts, summarised on the control endpoint', async () => {
    await postJson(`${base()}/chat/completions`, imageChat({ modalities: ['text'] }));
    const recorded = upstream().requests.at(-1)!;
    const summary = (await (await fetch(`${upstream().url}/__upstream/requests`)).json()) as Json;

    expect((recorded.json as Json).messages[0].content[1].image_url.url).toHaveLength(422);
    expect(summary.requests.at(-1).json.messages[0].content[1].image_url.url).toBe('data:image/png;base64,<400 chars>');
  });

  it('streams keep-alive comments, delta.images, a finish chunk, usage in the last chunk, then [DONE]', async () => {
    const response = await postJson(`${base()}/chat/completions`, imageChat({ stream: true }));
    const frames = parseSse(await response.text());
    const chunks = sseJson<Json>(frames);

    expect(frames[0]!.comments).toEqual(['OPENROUTER PROCESSING']);
    expect(frames.at(-1)!.data).toBe('[DONE]');
    expect(frames.some((frame) => frame.event !== undefined)).toBe(false);
    expect(chunks[0]!.choices[0].delta.images[0].image_url.url).toMatch(/^data:image\/png;base64,/);
    expect(chunks[1]!.choices[0]).toMatchObject({ finish_reason: 'stop', native_finish_reason: 'STOP' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { cost: expect.any(Number) } });
  });

  it('reports a provider failure inside a 200 stream when the 500 fault hits a streamed request', async () => {
    const response = await postJson(`${base()}/chat/completions`, imageChat({ stream: true }), { 'x-upstream-fault': '500' });
    const chunks = sseJson<Json>(parseSse(await response.text()));

    expect(response.status).toBe(200);
    expect(chunks.at(-1)).toMatchObject({ error: { code: 'server_error' }, choices: [{ finish_reason: 'error' }] });
  });

  it('answers errors with a numeric code equal to the HTTP status', async () => {
    const textOnly = await postJson(`${base()}/chat/completions`, imageChat({ model: 'openai/gpt-4.1-mini' }));
    const noKey = await fetch(`${base()}/chat/completions`, { method: 'POST', body: '{}' });
    const limited = await postJson(`${base()}/chat/completions`, imageChat(), { 'x-upstream-fault': '429' });

    expect(textOnly.status).toBe(404);
    expect(((await textOnly.json()) as Json).error).toEqual({ code: 404, message: 'No endpoints found that support the requested output modalities: image, text' });
    expect(((await noKey.json()) as Json).error).toEqual({ code: 401, message: 'No auth credentials found' });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as Json).error.code).toBe(429);
  });

  it('answers no-image with text only and safety with a 403 moderation error', async () => {
    const textOnly = (await (await postJson(`${base()}/chat/completions`, imageChat(), { 'x-upstream-fault': 'no-image' })).json()) as Json;
    const blocked = await postJson(`${base()}/chat/completions`, imageChat(), { 'x-upstream-fault': 'safety' });

    expect(textOnly.choices[0].message.images).toBeUndefined();
    expect(textOnly.choices[0].message.content).not.toBe('');
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as Json).error.metadata).toMatchObject({ reasons: expect.any(Array), model_slug: 'google/gemini-2.5-flash-image' });
  });
});

describe('OpenRouter images API and models', () => {
  it('returns data[].b64_json with media_type and usage with cost', async () => {
    const sut = (await (await postJson(`${base()}/images`, { model: 'openai/gpt-5-image-mini', prompt: 'a kite', size: '48x32', n: 2, output_format: 'jpeg' })).json()) as Json;

    expect(sut.data).toHaveLength(2);
    expect(sut.data[0].media_type).toBe('image/jpeg');
    expect(decodeImage(fromBase64(sut.data[1].b64_json))).toMatchObject({ format: 'jpeg', width: 48, height: 32 });
    expect(sut.usage).toMatchObject({ cost: expect.any(Number), total_tokens: expect.any(Number) });
  });

  it('lists models in OpenRouter shape: output_modalities, string pricing, no object or owned_by', async () => {
    const all = (await (await fetch(`${base()}/models`, { headers: { authorization: 'Bearer k' } })).json()) as Json;
    const imageOnly = (await (await fetch(`${base()}/models?output_modalities=image`, { headers: { authorization: 'Bearer k' } })).json()) as Json;

    expect(all.object).toBeUndefined();
    expect(all.data[0].owned_by).toBeUndefined();
    expect(all.data.some((model: Json) => !model.architecture.output_modalities.includes('image'))).toBe(true);
    expect(typeof all.data[0].pricing.prompt).toBe('string');
    expect(imageOnly.data.every((model: Json) => model.architecture.output_modalities.includes('image'))).toBe(true);
  });
});
