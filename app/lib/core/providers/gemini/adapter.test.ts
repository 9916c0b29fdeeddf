import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { b64, chunkedResponse, collect, pngBytes, sse } from '../../testing/images';
import type { ProviderConfig, ProviderEvent } from '../../types';
import { gemini as sut } from './adapter';

const config: ProviderConfig = { dialect: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', apiKey: 'AIzaSy-secret-key' };
const png = pngBytes(8, 6, 1);
const thought = pngBytes(2, 2, 5);
const jpg = new Uint8Array(jpeg.encode({ data: Buffer.alloc(7 * 5 * 4, 30), width: 7, height: 5 }, 90).data);

function finals(events: ProviderEvent[]) {
  return events.flatMap((e) => (e.type === 'image' ? [e.image] : []));
}

async function read(body: string, contentType = 'application/json', status = 200) {
  return collect(sut.readResponse(chunkedResponse(body, contentType, { status, chunkSize: 11 }), { secrets: [config.apiKey] }));
}

const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 1290, totalTokenCount: 1300, candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1290 }] };

describe('gemini requests', () => {
  it('posts to /v1beta/models/{model}:generateContent with the key in a header, never the URL', async () => {
    const req = sut.buildRequest({ prompt: 'a fox', model: 'models/gemini-2.5-flash-image', aspectRatio: '16:9', imageSize: '2K' }, config);
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent');
    expect(req.url).not.toContain('AIza');
    expect(req.headers.get('x-goog-api-key')).toBe('AIzaSy-secret-key');
    expect(req.headers.get('authorization')).toBeNull();
    expect(await req.json()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'a fox' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9', imageSize: '2K' } }
    });
  });

  it('keeps a version already in the base URL and streams with alt=sse', () => {
    const req = sut.buildRequest({ prompt: 'x', model: 'gemini-3-pro-image-preview', stream: true }, { ...config, baseUrl: 'https://proxy.example.com/gemini/v1beta/' });
    expect(req.url).toBe('https://proxy.example.com/gemini/v1beta/models/gemini-3-pro-image-preview:streamGenerateContent?alt=sse');
  });

  it('sends earlier model parts back with their thoughtSignature and inputs as inlineData', async () => {
    const req = sut.buildRequest(
      {
        prompt: 'now at night',
        model: 'gemini-3-pro-image-preview',
        images: [{ bytes: jpg }],
        history: [
          { role: 'user', parts: [{ text: 'a fox' }] },
          { role: 'model', parts: [{ text: 'Here', thoughtSignature: 'sig-text' }, { image: { bytes: png }, thoughtSignature: 'sig-image' }] }
        ]
      },
      config
    );
    const body = await req.json();
    expect(body.contents[1]).toEqual({ role: 'model', parts: [{ text: 'Here', thoughtSignature: 'sig-text' }, { inlineData: { mimeType: 'image/png', data: b64(png) }, thoughtSignature: 'sig-image' }] });
    expect(body.contents[2].parts[1]).toEqual({ inlineData: { mimeType: 'image/jpeg', data: b64(jpg) } });
  });
});

describe('gemini responses', () => {
  it('reads inlineData, skips thought images as previews, and keeps signatures and words', async () => {
    const body = {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Thinking about foxes', thought: true },
              { inlineData: { mimeType: 'image/png', data: b64(thought) }, thought: true },
              { text: 'Here is the fox.' },
              { inlineData: { mimeType: 'image/png', data: b64(jpg) }, thoughtSignature: 'sig-1' }
            ]
          },
          finishReason: 'STOP',
          index: 0
        }
      ],
      usageMetadata,
      modelVersion: 'gemini-3-pro-image-preview'
    };
    const { events, error } = await read(JSON.stringify(body));
    expect(error).toBeUndefined();
    expect(finals(events)).toMatchObject([{ mime: 'image/jpeg', width: 7, height: 5, thoughtSignature: 'sig-1' }]);
    expect(events.filter((e) => e.type === 'partial')).toHaveLength(1);
    expect(events).toContainEqual({ type: 'text', text: 'Here is the fox.' });
    expect(events).toContainEqual({ type: 'usage', usage: { inputTokens: 10, outputTokens: 1290, totalTokens: 1300 } });
  });

  it('accepts snake_case from re-serialising proxies', async () => {
    const body = { candidates: [{ content: { parts: [{ inline_data: { mime_type: 'image/png', data: b64(png) } }] }, finish_reason: 'STOP' }] };
    expect(finals((await read(JSON.stringify(body))).events)).toHaveLength(1);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n']
  ])('reads the alt=sse stream with %s framing', async (_name, eol) => {
    const body = sse(
      [
        { candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: b64(png) } }] }, index: 0 }], usageMetadata },
        { candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }], usageMetadata }
      ],
      eol
    );
    const { events, error } = await read(body, 'text/event-stream');
    expect(error).toBeUndefined();
    expect(finals(events)).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'done', complete: true, finishReason: 'STOP' });
  });

  it.each([
    ['NO_IMAGE', 'no-image'],
    ['IMAGE_SAFETY', 'safety'],
    ['IMAGE_PROHIBITED_CONTENT', 'safety'],
    ['IMAGE_OTHER', 'no-image']
  ])('treats a 200 with finishReason %s as %s', async (reason, kind) => {
    const body = { candidates: [{ content: {}, finishReason: reason, index: 0 }], usageMetadata };
    expect((await read(JSON.stringify(body))).error).toMatchObject({ kind, code: reason });
  });

  it('treats a blocked prompt (promptFeedback, no candidates) as a safety error', async () => {
    const body = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } };
    expect((await read(JSON.stringify(body))).error).toMatchObject({ kind: 'safety', code: 'PROHIBITED_CONTENT' });
  });

  it('reads errors with status, RetryInfo and a bad key reported as 400', async () => {
    const quota = { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }] } };
    expect((await read(JSON.stringify(quota), 'application/json', 429)).error).toMatchObject({ kind: 'rate-limit', retryAfterMs: 30000, code: 'RESOURCE_EXHAUSTED' });
    const badKey = { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } };
    expect((await read(JSON.stringify(badKey), 'application/json', 400)).error).toMatchObject({ kind: 'auth', status: 400 });
  });

  it('fails when the stream ends with no finishReason and no image', async () => {
    const body = sse([{ candidates: [{ content: { parts: [{ text: 'Let me' }] } }] }]);
    expect((await read(body, 'text/event-stream')).error).toMatchObject({ kind: 'upstream' });
  });
});
