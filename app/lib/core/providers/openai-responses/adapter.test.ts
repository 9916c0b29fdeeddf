import { describe, expect, it } from 'vitest';
import { b64, chunkedResponse, collect, dataUrlOf, pngBytes, sse } from '../../testing/images';
import type { ProviderConfig, ProviderEvent } from '../../types';
import { openAiResponses as sut } from './adapter';

const config: ProviderConfig = { dialect: 'openai-responses', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-proj-secret' };
const png = pngBytes(8, 6, 1);
const partial = pngBytes(4, 3, 9);

function finals(events: ProviderEvent[]) {
  return events.flatMap((e) => (e.type === 'image' ? [e.image] : []));
}

async function read(body: string, contentType = 'text/event-stream') {
  return collect(sut.readResponse(chunkedResponse(body, contentType, { chunkSize: 17 })));
}

const item = { id: 'ig_123', type: 'image_generation_call', status: 'completed', background: 'opaque', output_format: 'png', quality: 'high', result: b64(png), revised_prompt: 'A lighthouse', size: '1024x1024' };

describe('openai-responses', () => {
  it('asks for the image_generation tool with input images and a mask', async () => {
    const req = sut.buildRequest({ prompt: 'add a boat', model: 'gpt-5', images: [{ bytes: png }], mask: { bytes: partial }, stream: true, partialImages: 2, size: '1024x1024' }, config);
    expect(req.url).toBe('https://api.openai.com/v1/responses');
    const body = await req.json();
    expect(body.tools).toEqual([{ type: 'image_generation', size: '1024x1024', partial_images: 2, input_image_mask: { image_url: dataUrlOf(partial) } }]);
    expect(body.input).toEqual([{ role: 'user', content: [{ type: 'input_text', text: 'add a boat' }, { type: 'input_image', image_url: dataUrlOf(png) }] }]);
    expect(body.stream).toBe(true);
  });

  it('reads output[].result as bare base64 (OpenAI) or a data URL (OpenRouter)', async () => {
    const openai = await read(JSON.stringify({ id: 'resp_1', status: 'completed', output: [item, { type: 'message', content: [{ type: 'output_text', text: 'Done.' }] }] }), 'application/json');
    expect(finals(openai.events)).toMatchObject([{ id: 'ig_123', revisedPrompt: 'A lighthouse', width: 8 }]);
    expect(openai.events).toContainEqual({ type: 'text', text: 'Done.' });
    const router = await read(JSON.stringify({ output: [{ type: 'image_generation_call', id: 'msg_tmp_1', status: 'completed', result: dataUrlOf(png) }] }), 'application/json');
    expect(finals(router.events)).toHaveLength(1);
  });

  it('streams partial previews and delivers the final image once although it arrives twice', async () => {
    const body = sse([
      ['response.created', { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', status: 'in_progress', output: [] } }],
      ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { id: 'ig_123', type: 'image_generation_call', status: 'in_progress' } }],
      ['response.image_generation_call.generating', { type: 'response.image_generation_call.generating', item_id: 'ig_123', output_index: 0 }],
      ['response.image_generation_call.partial_image', { type: 'response.image_generation_call.partial_image', item_id: 'ig_123', partial_image_index: 0, partial_image_b64: b64(partial) }],
      ['response.image_generation_call.completed', { type: 'response.image_generation_call.completed', item_id: 'ig_123' }],
      ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }],
      ['response.completed', { type: 'response.completed', response: { id: 'resp_1', status: 'completed', output: [item], usage: { input_tokens: 10, output_tokens: 20, total_tokens: 30 } } }]
    ]);
    const { events, error } = await read(body);
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'partial')).toHaveLength(1);
    expect(finals(events)).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'done', complete: true });
  });

  it('fails with the error event and response.failed, flat or nested', async () => {
    const nested = sse([
      { type: 'response.created', response: { id: 'r', status: 'in_progress' } },
      { type: 'error', sequence_number: 2, error: { type: 'invalid_request_error', code: 'moderation_blocked', message: 'Your request was rejected by the safety system.', param: null } },
      { type: 'response.failed', response: { status: 'failed', error: { code: 'moderation_blocked', message: 'rejected' } } }
    ]);
    expect((await read(nested)).error).toMatchObject({ kind: 'safety', message: 'Your request was rejected by the safety system.' });
    const flat = sse([{ type: 'error', code: 'server_error', message: 'The server had an error', param: null, sequence_number: 1 }]);
    expect((await read(flat)).error).toMatchObject({ kind: 'upstream', message: 'The server had an error' });
    const failedOnly = sse([{ type: 'response.failed', response: { status: 'failed', error: { code: 'moderation_blocked', message: 'Blocked by moderation' } } }]);
    expect((await read(failedOnly)).error).toMatchObject({ kind: 'safety', code: 'moderation_blocked' });
  });

  it('fails when the stream ends before response.completed without an image', async () => {
    const body = sse([{ type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: b64(partial) }]);
    expect((await read(body)).error).toMatchObject({ kind: 'upstream', retryable: true });
  });
});
