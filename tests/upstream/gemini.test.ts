import { describe, expect, it } from 'vitest';
import { decodeImage, fromBase64, parseSse, postJson, sseJson, useUpstream } from './test-support.ts';

type Json = Record<string, any>;

const upstream = useUpstream();
const modelUrl = (model: string, action: string, query = '') => `${upstream().url}/gemini/v1beta/models/${model}:${action}${query}`;
const key = { 'x-goog-api-key': 'AIza-test', authorization: '' };

const request = (text: string, imageConfig: Json = {}) => ({
  contents: [{ role: 'user', parts: [{ text }] }],
  generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig }
});

describe('Gemini generateContent', () => {
  it('answers camelCase with inlineData, thoughtSignature on the image part, and pretty-printed JSON', async () => {
    const response = await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('a fox', { aspectRatio: '3:2' }), key);
    const text = await response.text();
    const sut = JSON.parse(text) as Json;
    const parts = sut.candidates[0].content.parts;
    const image = parts.find((part: Json) => part.inlineData);

    expect(text).toContain('\n  "candidates": [');
    expect(sut.candidates[0]).toMatchObject({ finishReason: 'STOP', index: 0, content: { role: 'model' } });
    expect(image).toMatchObject({ inlineData: { mimeType: 'image/png' }, thoughtSignature: expect.any(String) });
    expect(decodeImage(fromBase64(image.inlineData.data))).toMatchObject({ format: 'png', width: 1248, height: 832 });
    expect(sut).toMatchObject({ modelVersion: 'gemini-2.5-flash-image', responseId: expect.any(String), usageMetadata: { candidatesTokensDetails: [{ modality: 'IMAGE' }] } });
  });

  it('accepts snake_case requests and the key as ?key=, and draws JPEG for gemini-3.1-flash-image', async () => {
    const body = {
      contents: [{ parts: [{ text: 'a cat' }, { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      generation_config: { response_modalities: ['IMAGE'], image_config: { aspect_ratio: '16:9', image_size: '512' } }
    };
    const response = await fetch(modelUrl('gemini-3.1-flash-image-preview', 'generateContent', '?key=AIza-test'), { method: 'POST', body: JSON.stringify(body) });
    const sut = (await response.json()) as Json;
    const image = sut.candidates[0].content.parts.find((part: Json) => part.inlineData);

    expect(image.inlineData.mimeType).toBe('image/jpeg');
    expect(decodeImage(fromBase64(image.inlineData.data))).toMatchObject({ format: 'jpeg', width: 688, height: 384 });
    expect(upstream().requests.at(-1)!.query.key).toBe('AIza-test');
  });

  it('streams with CRLF framing, no event lines and no [DONE]: image whole in one chunk, then text "" with STOP', async () => {
    const response = await postJson(modelUrl('gemini-2.5-flash-image', 'streamGenerateContent', '?alt=sse'), request('a fox'), key);
    const text = await response.text();
    const frames = parseSse(text, '\r\n');
    const chunks = sseJson<Json>(frames);

    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    expect(text).not.toContain('[DONE]');
    expect(frames.every((frame) => frame.event === undefined)).toBe(true);
    expect(chunks.every((chunk) => chunk.usageMetadata !== undefined)).toBe(true);
    const imageChunks = chunks.filter((chunk) => chunk.candidates[0].content.parts.some((part: Json) => part.inlineData));
    expect(imageChunks).toHaveLength(1);
    expect(chunks.at(-1)!.candidates[0]).toMatchObject({ content: { parts: [{ text: '' }] }, finishReason: 'STOP' });
    expect(chunks.slice(0, -1).every((chunk) => chunk.candidates[0].finishReason === undefined)).toBe(true);
  });

  it('sends a thought image before the final one for gemini-3-pro-image', async () => {
    const response = await postJson(modelUrl('gemini-3-pro-image-preview', 'streamGenerateContent', '?alt=sse'), request('a fox', { aspectRatio: '21:9', imageSize: '1K' }), key);
    const parts = sseJson<Json>(parseSse(await response.text(), '\r\n')).flatMap((chunk) => chunk.candidates[0].content.parts);
    const images = parts.filter((part: Json) => part.inlineData);

    expect(images.map((part: Json) => part.thought === true)).toEqual([true, false]);
    expect(images[1].thoughtSignature).toEqual(expect.any(String));
    expect(decodeImage(fromBase64(images[1].inlineData.data))).toMatchObject({ width: 1584, height: 672 });
  });

  it('answers no-image with 200, finishReason NO_IMAGE and content {}; safety with promptFeedback and no candidates', async () => {
    const noImage = (await (await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('x [fault:no-image]'), key)).json()) as Json;
    const blocked = (await (await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('x [fault:safety]'), key)).json()) as Json;

    expect(noImage.candidates).toEqual([{ content: {}, finishReason: 'NO_IMAGE', index: 0 }]);
    expect(blocked.promptFeedback).toEqual({ blockReason: 'PROHIBITED_CONTENT' });
    expect(blocked.candidates).toBeUndefined();
  });

  it('answers errors in Google shape: 429 with RetryInfo, a wrong key as 400 API_KEY_INVALID, a missing key as 403', async () => {
    const limited = await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('x'), { ...key, 'x-upstream-fault': '429' });
    const wrongKey = await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('x'), { ...key, 'x-upstream-fault': '401' });
    const noKey = await fetch(modelUrl('gemini-2.5-flash-image', 'generateContent'), { method: 'POST', body: '{}' });
    const unknown = await postJson(modelUrl('gemini-9-image', 'generateContent'), request('x'), key);

    expect(limited.status).toBe(429);
    const limitedBody = (await limited.json()) as Json;
    expect(limitedBody.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(limitedBody.error.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' });
    expect(wrongKey.status).toBe(400);
    expect(((await wrongKey.json()) as Json).error.details[0]).toMatchObject({ reason: 'API_KEY_INVALID' });
    expect(noKey.status).toBe(403);
    expect(((await noKey.json()) as Json).error.status).toBe('PERMISSION_DENIED');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).error.message).toContain('models/gemini-9-image is not found');
  });

  it('rejects Vertex-only imageConfig fields like the real API', async () => {
    const response = await postJson(modelUrl('gemini-2.5-flash-image', 'generateContent'), request('x', { outputMimeType: 'image/jpeg' }), key);

    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('outputMimeType') });
  });
});

describe('Gemini model list', () => {
  it('pages with pageSize and nextPageToken', async () => {
    const list = async (query: string) => (await (await fetch(`${upstream().url}/gemini/v1beta/models?${query}`, { headers: key })).json()) as Json;
    const first = await list('pageSize=3');
    const second = await list(`pageSize=3&pageToken=${first.nextPageToken}`);
    const all = await list('');

    expect(first.models).toHaveLength(3);
    expect(first.models[0]).toMatchObject({ name: 'models/gemini-2.5-flash-image', supportedGenerationMethods: expect.arrayContaining(['generateContent']) });
    expect(second.models[0].name).toBe(all.models[3].name);
    expect(all.nextPageToken).toBeUndefined();
  });
});
