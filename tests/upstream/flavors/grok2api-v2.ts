// chenyme/grok2api v2.0.x (Python rewrite, tag v2.0.4.rc4), FORMATS.md §5.2: the chat stream
// reports progress in `delta.reasoning_content` and puts each image in `delta.content` as markdown;
// only the last chunk has a `finish_reason` key. /images/generations is non-streamed, no usage.
import { DEFAULT_DIMENSIONS, MIME_TYPES, parseSize } from '../images.ts';
import { SseStream } from '../sse.ts';
import {
  asCount,
  asString,
  bearerKey,
  fileUrl,
  generateImage,
  jsonError,
  jsonObject,
  randomHex,
  RETRY_AFTER_SECONDS,
  unixSeconds,
  type ErrorKind,
  type Exchange,
  type Flavor,
  type FlavorError,
  type ImageRequest
} from './flavor.ts';

type Json = Record<string, unknown>;

const MODELS = ['grok-imagine-image', 'grok-imagine-image-pro', 'grok-imagine-edit', 'grok-4.20-beta'];

function v2Error(status: number, message: string, type: string, code: string, headers?: Record<string, string | number>): FlavorError {
  return jsonError(status, { error: { message, type, param: null, code } }, headers);
}

function grok2apiV2Error(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return v2Error(401, 'Missing API key', 'authentication_error', 'missing_api_key');
    case 'invalid-key':
      return v2Error(401, 'Invalid API key', 'authentication_error', 'invalid_api_key');
    case 'rate-limited':
      return v2Error(429, 'No available accounts, please retry later', 'rate_limit_error', 'rate_limit_exceeded', { 'retry-after': RETRY_AFTER_SECONDS });
    case 'server-error':
      return v2Error(500, 'Internal server error', 'server_error', 'internal_error');
    case 'timeout':
      return v2Error(504, 'Upstream timeout', 'server_error', 'upstream_timeout');
    case 'not-found':
      return v2Error(404, `Not Found: ${detail ?? ''}`, 'invalid_request_error', 'not_found');
    case 'bad-request':
      return v2Error(400, detail ?? 'Bad request', 'invalid_request_error', 'invalid_request');
  }
}

function promptOf(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  return (messages as Json[])
    .filter((message) => message?.role === 'user')
    .map((message) => (typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? (message.content as Json[]).map((part) => String(part?.text ?? '')).join(' ') : ''))
    .join('\n');
}

/** A served URL, or a data URI with the real mime type (v2 fixed v1's hard-coded PNG label). */
function reference(exchange: Exchange, request: ImageRequest, index: number, base64: boolean): string {
  const image = generateImage(exchange, request, index);
  if (base64) return `data:${MIME_TYPES[image.format]};base64,${image.bytes.toString('base64')}`;
  return fileUrl(exchange, exchange.files.put(image.bytes, image.format));
}

async function chatCompletions(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return fail(grok2apiV2Error('bad-request', 'Invalid JSON'));
  const model = asString(body.model) ?? '';
  if (!MODELS.includes(model)) return fail(v2Error(404, `Model ${model} not found`, 'invalid_request_error', 'model_not_found'));
  if (exchange.knobs.fault === 'safety') return fail(v2Error(400, 'Image generation was blocked by moderation', 'image_generation_user_error', 'content_moderated'));
  const imageConfig = (body.image_config as Json | undefined) ?? {};
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(imageConfig.n, 1, 10);
  const request: ImageRequest = { prompt: promptOf(body.messages), count, dimensions: parseSize(imageConfig.size) ?? DEFAULT_DIMENSIONS, format: 'jpeg' };
  const base64 = imageConfig.response_format === 'b64_json' || imageConfig.response_format === 'base64';
  const base = { id: `chatcmpl-${randomHex(12)}`, object: 'chat.completion.chunk', created: unixSeconds(), model };

  if (body.stream !== true) {
    const content = Array.from({ length: count }, (_, index) => `![image](${reference(exchange, request, index, base64)})`).join('\n\n');
    await reply.json(200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: content || 'No image was generated.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    });
    return;
  }
  const sse = new SseStream(reply);
  const chunk = (delta: Json) => ({ ...base, choices: [{ index: 0, delta }] });
  await sse.json(chunk({ role: 'assistant', content: '' }));
  for (let index = 0; index < count && sse.open; index++) {
    for (const percent of [30, 70, 100]) await sse.json(chunk({ reasoning_content: `图片正在生成 ${percent}% (${index + 1}/${count})\n` }));
    await sse.json(chunk({ content: `![image](${reference(exchange, request, index, base64)})` }), { role: 'image' });
  }
  if (count === 0) await sse.json(chunk({ content: 'No image was generated.' }));
  await sse.json({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, { role: 'completion' });
  await sse.done();
  sse.end();
}

async function images(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return fail(grok2apiV2Error('bad-request', 'Invalid JSON'));
  const prompt = asString(body.prompt);
  if (!prompt) return fail(grok2apiV2Error('bad-request', 'prompt is required'));
  if (body.stream === true) return fail(grok2apiV2Error('bad-request', 'stream is not supported for images'));
  if (exchange.knobs.fault === 'safety') return fail(v2Error(400, 'Image generation was blocked by moderation', 'image_generation_user_error', 'content_moderated'));
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(body.n, 1, 10);
  const request: ImageRequest = { prompt, count, dimensions: parseSize(body.size) ?? DEFAULT_DIMENSIONS, format: 'jpeg' };
  const base64 = body.response_format === 'b64_json';
  const data = Array.from({ length: count }, (_, index) => {
    const image = generateImage(exchange, request, index);
    return base64 ? { b64_json: image.bytes.toString('base64') } : { url: fileUrl(exchange, exchange.files.put(image.bytes, image.format)) };
  });
  await reply.json(200, { created: unixSeconds(), data });
}

export const grok2apiV2Flavor: Flavor = {
  name: 'grok2api-v2',
  prefix: '/grok2api-v2/v1',
  apiKey: bearerKey,
  error: grok2apiV2Error,
  async handle(exchange) {
    switch (`${exchange.record.method} ${exchange.route}`) {
      case 'POST /chat/completions':
        await chatCompletions(exchange);
        return true;
      case 'POST /images/generations':
        await images(exchange);
        return true;
      case 'GET /models':
        await exchange.reply.json(200, { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'grok2api' })) });
        return true;
    }
    return false;
  }
};
