import { describe, expect, it } from 'vitest';
import { sniffFormat } from './images.ts';
import { decodeImage, fromBase64, parseSse, postJson, sseJson, useUpstream } from './test-support.ts';

type Json = Record<string, any>;

const upstream = useUpstream();

describe('OpenAI Images API', () => {
  it('returns b64_json PNGs of the requested size for gpt-image models, with usage and output_format', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'a red fox', size: '256x128', n: 2 });
    const sut = (await response.json()) as Json;

    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(sut).toMatchObject({ output_format: 'png', size: '256x128', background: 'opaque', usage: { input_tokens: expect.any(Number) } });
    expect(sut.data).toHaveLength(2);
    const [first, second] = sut.data.map((item: Json) => decodeImage(fromBase64(item.b64_json)));
    expect(first).toMatchObject({ width: 256, height: 128 });
    expect(first!.data).not.toEqual(second!.data);
  });

  it('answers dall-e with URLs served by the upstream itself, and a revised_prompt for dall-e-3', async () => {
    const response = await postJson(`${upstream().url}/openai/v1/images/generations`, { model: 'dall-e-3', prompt: 'a lighthouse', size: '64x64' });
    const sut = (await response.json()) as Json;

    expect(sut.data[0].revised_prompt).toContain('a lighthouse');
    expect(sut.data[0].url).toMatch(new RegExp(`^${upstream().url}/files/.+\\.png$`));
    const file = await fetch(sut.data[0].url);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(decodeImage(Buffer.from(await file.arrayBuffer()))).toMatchObject({ width: 64, height: 64 });
  });

  it('honours output_format jpeg and webp', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const response = await postJson(`${upstream().url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'x', size: '32x32', output_format: format });
      const sut = (await response.json()) as Json;
      expect(sut.output_format).toBe(format);
      expect(sniffFormat(fromBase64(sut.data[0].b64_json))).toBe(format);
    }
  });

  it('streams partial images then completed, with event lines equal to data.type and no [DONE]', async () => {
    const response = await postJson(`${upstream().url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'a fox', size: '96x64', stream: true, partial_images: 2 });
    const text = await response.text();
    const frames = parseSse(text);
    const events = sseJson<Json>(frames);

    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text).not.toContain('[DONE]');
    expect(frames.map((frame) => frame.event)).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    expect(events.map((event) => event.type)).toEqual(frames.map((frame) => frame.event));
    expect(events.slice(0, 2).map((event) => event.partial_image_index)).toEqual([0, 1]);
    expect(events[2]!.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(decodeImage(fromBase64(events[2]!.b64_json))).toMatchObject({ width: 96, height: 64 });
  });

  it('parses multipart edits with two image[] parts and a mask, and streams image_edit events', async () => {
    const form = new FormData();
    form.append('model', 'gpt-image-1');
    form.append('prompt', 'add a hat');
    form.append('size', '64x64');
    form.append('stream', 'true');
    form.append('partial_images', '1');
    form.append('image[]', new Blob([Buffer.from('first')], { type: 'image/png' }), 'a.png');
    form.append('image[]', new Blob([Buffer.from('second')], { type: 'image/png' }), 'b.png');
    form.append('mask', new Blob([Buffer.from('mask')], { type: 'image/png' }), 'mask.png');
    const response = await fetch(`${upstream().url}/v1/images/edits`, { method: 'POST', headers: { authorization: 'Bearer sk-test' }, body: form });
    const events = sseJson<Json>(parseSse(await response.text()));
    const recorded = upstream().requests.at(-1)!;

    expect(events.map((event) => event.type)).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    expect(recorded.form?.fields.prompt).toEqual(['add a hat']);
    expect(recorded.form?.files.map((file) => [file.field, file.filename, file.bytes.toString()])).toEqual([
      ['image[]', 'a.png', 'first'],
      ['image[]', 'b.png', 'second'],
      ['mask', 'mask.png', 'mask']
    ]);
  });

  it('accepts JSON edits with images[].image_url and rejects edits without images', async () => {
    const dataUrl = 'data:image/png;base64,iVBORw0KGgo=';
    const ok = await postJson(`${upstream().url}/v1/images/edits`, { model: 'gpt-image-1', prompt: 'p', size: '16x16', images: [{ image_url: dataUrl }] });
    const missing = await postJson(`${upstream().url}/v1/images/edits`, { model: 'gpt-image-1', prompt: 'p' });

    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Json).data[0].b64_json).toEqual(expect.any(String));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Json).error).toEqual({ message: "Missing required parameter: 'image'.", type: 'invalid_request_error', param: 'image', code: 'missing_required_parameter' });
  });

  it('answers the safety fault with a 400 moderation_blocked body and no-image with empty data', async () => {
    const blocked = await postJson(`${upstream().url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'x [fault:safety]' });
    const empty = await postJson(`${upstream().url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'x', size: '16x16' }, { 'x-upstream-fault': 'no-image' });

    expect(blocked.status).toBe(400);
    expect(((await blocked.json()) as Json).error).toMatchObject({ type: 'image_generation_user_error', code: 'moderation_blocked', param: null });
    expect(empty.status).toBe(200);
    expect(((await empty.json()) as Json).data).toEqual([]);
  });

  it('answers a missing or wrong key with 401 in OpenAI error shape', async () => {
    const missing = await fetch(`${upstream().url}/v1/models`);
    const wrong = await fetch(`${upstream().url}/v1/models`, { headers: { authorization: 'Bearer sk-wrong-key-1234', 'x-upstream-fault': '401' } });

    expect(missing.status).toBe(401);
    expect(((await missing.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as Json).error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('sk-wro***1234') });
  });

  it('lists models and answers unknown routes with Invalid URL', async () => {
    const models = (await (await fetch(`${upstream().url}/v1/models`, { headers: { authorization: 'Bearer k' } })).json()) as Json;
    const unknown = await postJson(`${upstream().url}/v1/nope`, {});

    expect(models.object).toBe('list');
    expect(models.data.map((model: Json) => model.id)).toContain('gpt-image-1');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).error.message).toBe('Invalid URL (POST /v1/nope)');
  });

  it('streams chat completions as text ending with [DONE]', async () => {
    const response = await postJson(`${upstream().url}/v1/chat/completions`, {
      model: 'gpt-4.1-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello' }]
    });
    const frames = parseSse(await response.text());
    const chunks = sseJson<Json>(frames);

    expect(frames.at(-1)!.data).toBe('[DONE]');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toContain('hello');
    expect(chunks.at(-1)!.usage).toMatchObject({ total_tokens: expect.any(Number) });
  });
});

describe('OpenAI Responses API with the image_generation tool', () => {
  const request = (extra: Json) => ({ model: 'gpt-5', input: 'an echidna swimming', tools: [{ type: 'image_generation', size: '64x48', ...extra }] });

  it('returns an image_generation_call item whose result is bare base64', async () => {
    const sut = (await (await postJson(`${upstream().url}/v1/responses`, request({}))).json()) as Json;
    const call = sut.output.find((item: Json) => item.type === 'image_generation_call');

    expect(sut).toMatchObject({ object: 'response', status: 'completed', usage: { total_tokens: expect.any(Number) } });
    expect(call).toMatchObject({ id: expect.stringMatching(/^ig_/), status: 'completed', output_format: 'png', size: '64x48' });
    expect(call.result).not.toMatch(/^data:/);
    expect(decodeImage(fromBase64(call.result))).toMatchObject({ width: 64, height: 48 });
  });

  it('streams the full event sequence, with the image in output_item.done and again in response.completed', async () => {
    const response = await postJson(`${upstream().url}/v1/responses`, { ...request({ partial_images: 2 }), stream: true });
    const frames = parseSse(await response.text());
    const events = sseJson<Json>(frames);
    const types = events.map((event) => event.type);

    expect(frames.every((frame) => frame.event === JSON.parse(frame.data!).type)).toBe(true);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.output_item.done',
      'response.output_item.added',
      'response.image_generation_call.in_progress',
      'response.image_generation_call.generating',
      'response.image_generation_call.partial_image',
      'response.image_generation_call.partial_image',
      'response.image_generation_call.completed',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed'
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events[7]).toMatchObject({ partial_image_index: 0, partial_image_b64: expect.any(String) });
    expect(events[9]).not.toHaveProperty('result');
    const done = events[10]!.item;
    const completed = events.at(-1)!.response.output.find((item: Json) => item.type === 'image_generation_call');
    expect(done.id).toBe(completed.id);
    expect(done.result).toBe(completed.result);
    expect(decodeImage(fromBase64(done.result))).toMatchObject({ width: 64, height: 48 });
  });

  it('fails a moderated stream with response.failed and code moderation_blocked', async () => {
    const response = await postJson(`${upstream().url}/v1/responses`, { ...request({}), input: 'x [fault:safety]', stream: true });
    const events = sseJson<Json>(parseSse(await response.text()));

    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'moderation_blocked' } } });
    expect(events.some((event) => event.type === 'response.completed')).toBe(false);
  });
});
