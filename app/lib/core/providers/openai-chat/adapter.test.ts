import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { b64, chunkedResponse, collect, dataUrlOf, pngBytes, sse } from '../../testing/images';
import type { ImageResult, ProviderConfig, ProviderEvent } from '../../types';
import { openAiChat as sut } from './adapter';

const config: ProviderConfig = { dialect: 'openai-chat', baseUrl: 'https://openrouter.ai/api/v1', apiKey: 'sk-or-v1-secret' };
const png = pngBytes(8, 6, 1);
const png2 = pngBytes(4, 4, 2);
const jpg = new Uint8Array(jpeg.encode({ data: Buffer.alloc(6 * 3 * 4, 90), width: 6, height: 3 }, 90).data);

function finals(events: ProviderEvent[]): Array<ImageResult | string> {
  return events.flatMap((e): Array<ImageResult | string> => (e.type === 'image' ? [e.image] : e.type === 'image-url' ? [e.url] : []));
}

async function read(body: string, contentType = 'text/event-stream', chunkSize = 13) {
  return collect(sut.readResponse(chunkedResponse(body, contentType, { chunkSize })));
}

function chunk(delta: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { id: 'gen-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, ...extra }] };
}

describe('openai-chat requests', () => {
  it('asks for images with modalities and image_config, and sends history with earlier images as assistant images', async () => {
    const req = sut.buildRequest(
      {
        prompt: 'make it blue',
        model: 'google/gemini-2.5-flash-image',
        aspectRatio: '16:9',
        imageSize: '2K',
        stream: true,
        images: [{ bytes: jpg }],
        history: [
          { role: 'user', parts: [{ text: 'a red car' }] },
          { role: 'model', parts: [{ text: 'Here it is' }, { image: { bytes: png } }] }
        ]
      },
      config
    );
    expect(req.url).toBe('https://openrouter.ai/api/v1/chat/completions');
    const body = await req.json();
    expect(body).toMatchObject({ modalities: ['image', 'text'], image_config: { aspect_ratio: '16:9', image_size: '2K' }, stream: true });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a red car' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Here it is' }, { type: 'image_url', image_url: { url: dataUrlOf(png) } }] },
      { role: 'user', content: [{ type: 'text', text: 'make it blue' }, { type: 'image_url', image_url: { url: dataUrlOf(jpg, 'image/jpeg') } }] }
    ]);
  });
});

describe('openai-chat responses', () => {
  it('reads OpenRouter message.images (non-stream)', async () => {
    const body = {
      id: 'gen-1',
      provider: 'Google',
      choices: [{ index: 0, finish_reason: 'stop', native_finish_reason: 'STOP', message: { role: 'assistant', content: '', refusal: null, reasoning: null, images: [{ type: 'image_url', image_url: { url: dataUrlOf(png) }, index: 0 }] } }],
      usage: { prompt_tokens: 10, completion_tokens: 1290, total_tokens: 1300, cost: 0.039 }
    };
    const { events, error } = await read(JSON.stringify(body), 'application/json');
    expect(error).toBeUndefined();
    expect(finals(events)).toMatchObject([{ mime: 'image/png', width: 8, height: 6 }]);
    expect(events).toContainEqual({ type: 'usage', usage: { inputTokens: 10, outputTokens: 1290, totalTokens: 1300, cost: 0.039 } });
  });

  it('reads OpenRouter delta.images through keep-alive comments and CRLF framing', async () => {
    const body =
      ': OPENROUTER PROCESSING\r\n\r\n' +
      sse([chunk({ role: 'assistant', content: 'Here is your image.' }), chunk({ images: [{ type: 'image_url', image_url: { url: dataUrlOf(png) } }] }), chunk({}, { finish_reason: 'stop' })], '\r\n') +
      'data: [DONE]\r\n\r\n';
    const { events, error } = await read(body);
    expect(error).toBeUndefined();
    expect(finals(events)).toHaveLength(1);
    expect(events).toContainEqual({ type: 'text', text: 'Here is your image.' });
    expect(events.at(-1)).toEqual({ type: 'done', complete: true, finishReason: 'stop' });
  });

  it('fails on an OpenRouter mid-stream error chunk (HTTP 200)', async () => {
    const body = sse([
      chunk({ content: 'Working' }),
      { id: 'gen-1', object: 'chat.completion.chunk', error: { code: 'server_error', message: 'Provider disconnected unexpectedly' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] }
    ]);
    const { error } = await read(body);
    expect(error).toMatchObject({ kind: 'upstream', retryable: true, message: 'Provider disconnected unexpectedly' });
  });

  it('reads grok2api v1 image chunks sent as `event: chat.completion.chunk`, trusting bytes over the image/png label', async () => {
    const image = (i: number, url: string) => ['chat.completion.chunk', { id: 'c', object: 'chat.completion.chunk', choices: [{ index: i, delta: { role: 'assistant', content: `![image](${url})` }, finish_reason: 'stop' }], usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } }];
    const body = sse([image(0, `data:image/png;base64,${b64(jpg)}`), image(1, dataUrlOf(png))]) + 'data: [DONE]\n\n';
    const { events, error } = await read(body);
    expect(error).toBeUndefined();
    expect(finals(events)).toMatchObject([{ mime: 'image/jpeg' }, { mime: 'image/png' }]);
  });

  it('turns grok2api <think> progress into progress events and finds the markdown image after it', async () => {
    const body =
      sse([
        chunk({ role: 'assistant', content: '<think>\n正在生成第1张图片中，当前进度20%\n' }),
        chunk({ content: '正在生成第1张图片中，当前进度' }),
        chunk({ content: '80%\n</think>\n' }),
        chunk({ content: '![f1a2](https://assets.grok.com/users/u/generated/f1a2/image.jpg)\n' }),
        chunk({}, { finish_reason: 'stop' })
      ]) + 'data: [DONE]\n\n';
    const { events } = await read(body, 'text/event-stream', 5);
    expect(events.filter((e) => e.type === 'progress')).toEqual([
      { type: 'progress', text: '正在生成第1张图片中，当前进度20%', percent: 20 },
      { type: 'progress', text: '正在生成第1张图片中，当前进度80%', percent: 80 }
    ]);
    expect(finals(events)).toEqual(['https://assets.grok.com/users/u/generated/f1a2/image.jpg']);
    expect(events.some((e) => e.type === 'text')).toBe(false);
  });

  it('reads grok2api v2 reasoning_content progress and a chunk without finish_reason', async () => {
    const body =
      sse([chunk({ role: 'assistant', reasoning_content: '图片正在生成 50% (1/1)\n' }), chunk({ content: `![image](${dataUrlOf(png)})` }), chunk({}, { finish_reason: 'stop' })]) + 'data: [DONE]\n\n';
    const { events } = await read(body);
    expect(events[0]).toEqual({ type: 'progress', text: '图片正在生成 50% (1/1)', percent: 50 });
    expect(finals(events)).toHaveLength(1);
  });

  it('reads grok2api v3: several images in one delta, Go-escaped markup, and a nested [![t](thumb)](link)', async () => {
    const content = `![image](${dataUrlOf(png)})\n\n![image](${dataUrlOf(png2)})\n\n[![result](https://img.example.com/t.jpg)](https://img.example.com/full.jpg)`;
    const raw = JSON.stringify(chunk({ content })).replaceAll('<', '\\u003c').replaceAll('&', '\\u0026');
    const body = `data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }))}\n\ndata: ${raw}\n\ndata: ${JSON.stringify(chunk({}, { finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))}\n\ndata: [DONE]\n\n`;
    const { events } = await read(body);
    const found = finals(events);
    expect(found).toHaveLength(3);
    expect(found[2]).toBe('https://img.example.com/t.jpg');
  });

  it('fails with no-image and the model words when it only talks', async () => {
    const body = sse([chunk({ content: "I can't draw that." }), chunk({}, { finish_reason: 'stop' })]) + 'data: [DONE]\n\n';
    const { error } = await read(body);
    expect(error).toMatchObject({ kind: 'no-image', message: "The model answered without an image: I can't draw that." });
  });

  it('fails when the stream stops before it finished and nothing arrived', async () => {
    const { error } = await read(sse([chunk({ content: 'Drawing' })]));
    expect(error).toMatchObject({ kind: 'upstream', message: 'The stream ended before the upstream reported completion' });
  });
});
