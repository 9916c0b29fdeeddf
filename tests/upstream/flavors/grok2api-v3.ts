// chenyme/grok2api v3.x (Go, HEAD), FORMATS.md §5.3: every body is a Go map (sorted keys,
// `\u003c`-style escaping), chat ids are `chatcmpl_<32 hex>`, all images of a chat answer share one
// content delta, and a failed images stream is simply closed with no `*.completed` event.
import { dimensionsForRatio, formatSize, MIME_TYPES, parseAspectRatio, parseSize, type Dimensions } from '../images.ts';
import { goJson } from '../go-json.ts';
import type { RecordedRequest } from '../recording.ts';
import { SseStream } from '../sse.ts';
import {
  asCount,
  asString,
  bearerKey,
  generateImage,
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

const PREFIX = '/grok2api-v3/v1';
const MEDIA_ROUTE = '/media/images/';
const MODELS = ['grok-imagine-image-lite', 'grok-imagine-image', 'grok-imagine-image-2.0', 'grok-4.20-fast'];

function goError(status: number, code: string, message: string, type: string, headers?: Record<string, string | number>): FlavorError {
  return { status, body: goJson({ error: { code, message, param: null, type } }), headers };
}

function grok2apiV3Error(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return goError(401, 'missing_api_key', '缺少 API Key', 'authentication_error');
    case 'invalid-key':
      return goError(401, 'invalid_api_key', '无效的 API Key', 'authentication_error');
    case 'rate-limited':
      return goError(429, 'rate_limit_exceeded', '请求过于频繁，请稍后再试', 'rate_limit_error', { 'retry-after': RETRY_AFTER_SECONDS });
    case 'server-error':
      return goError(500, 'internal_error', '服务器内部错误', 'server_error');
    case 'timeout':
      return goError(504, 'upstream_timeout', '上游请求超时', 'server_error');
    case 'not-found':
      return goError(404, 'not_found', `未找到路由 ${detail ?? ''}`, 'invalid_request_error');
    case 'bad-request':
      return goError(400, 'invalid_request', detail ?? '请求参数错误', 'invalid_request_error');
  }
}

const MODERATED = () => goError(400, 'content_moderated', '图片生成被内容审核拦截', 'image_generation_user_error');

function dimensionsOf(params: Json): Dimensions {
  const size = parseSize(params.size);
  if (size) return size;
  const ratio = parseAspectRatio(params.aspect_ratio) ?? 1;
  return dimensionsForRatio(ratio, String(params.resolution).toLowerCase() === '2k' ? 2048 : 1024);
}

function mediaUrl(exchange: Exchange, name: string): string {
  return `${exchange.origin}${PREFIX}${MEDIA_ROUTE}${name}`;
}

function promptOf(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  return (messages as Json[])
    .filter((message) => message?.role === 'user')
    .map((message) => (typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? (message.content as Json[]).map((part) => String(part?.text ?? '')).join(' ') : ''))
    .join('\n');
}

async function chatCompletions(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return fail(grok2apiV3Error('bad-request', '无法解析请求体'));
  const model = asString(body.model) ?? '';
  if (!MODELS.includes(model)) return fail(goError(404, 'model_not_found', `模型 ${model} 不存在`, 'invalid_request_error'));
  if (exchange.knobs.fault === 'safety') return fail(MODERATED());
  const imageConfig = (body.image_config as Json | undefined) ?? {};
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(imageConfig.n, 1, 10);
  const request: ImageRequest = { prompt: promptOf(body.messages), count, dimensions: dimensionsOf(imageConfig), format: 'jpeg' };
  const base64 = imageConfig.response_format === 'b64_json';
  const content = Array.from({ length: count }, (_, index) => {
    const image = generateImage(exchange, request, index);
    const target = base64 ? `data:${MIME_TYPES[image.format]};base64,${image.bytes.toString('base64')}` : mediaUrl(exchange, exchange.files.put(image.bytes, image.format, ''));
    return `![image](${target})`;
  }).join('\n\n');
  const usage = { completion_tokens: 0, prompt_tokens: 0, total_tokens: 0 };
  const base = { created: unixSeconds(), id: `chatcmpl_${randomHex(16)}`, model };

  if (body.stream !== true) {
    await reply.jsonText(
      200,
      goJson({
        ...base,
        object: 'chat.completion',
        choices: [{ finish_reason: 'stop', index: 0, message: { content, reasoning_content: '', role: 'assistant' } }],
        usage
      })
    );
    return;
  }
  const sse = new SseStream(reply);
  const chunk = (choice: Json, extra: Json = {}) => goJson({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, ...choice }], ...extra });
  await sse.send({ data: chunk({ delta: { role: 'assistant' } }) });
  if (content) await sse.send({ data: chunk({ delta: { content } }), role: 'image' });
  await sse.send({ data: chunk({ delta: {}, finish_reason: 'stop' }, { usage }), role: 'completion' });
  await sse.done();
  sse.end();
}

function inputImageCount(record: RecordedRequest): number {
  if (record.form) return record.form.files.filter((file) => file.field === 'image' || file.field === 'image[]').length;
  const body = jsonObject(record);
  return Array.isArray(body?.images) ? body.images.length : body?.image ? 1 : 0;
}

async function images(exchange: Exchange, edit: boolean): Promise<void> {
  const { reply, record } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const params: Json | undefined = record.form
    ? Object.fromEntries(Object.entries(record.form.fields).map(([name, values]) => [name, values[0]]))
    : jsonObject(record);
  if (!params) return fail(grok2apiV3Error('bad-request', '无法解析请求体'));
  const prompt = asString(params.prompt);
  if (!prompt) return fail(grok2apiV3Error('bad-request', 'prompt 不能为空'));
  if (edit && inputImageCount(record) === 0) return fail(grok2apiV3Error('bad-request', 'image 不能为空'));
  const dimensions = dimensionsOf(params);
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(params.n, 1, 10);
  const request: ImageRequest = { prompt, count, dimensions, format: 'jpeg', salt: edit ? 'edit:' : '' };
  const streamed = params.stream === true || params.stream === 'true';

  if (streamed) {
    const sse = new SseStream(reply);
    const prefix = edit ? 'image_edit' : 'image_generation';
    const partials = Math.min(3, Math.max(0, Number(params.partial_images ?? 1) || 0));
    const common = { background: 'auto', created_at: unixSeconds(), output_format: 'jpeg', quality: 'auto', size: formatSize(dimensions) };
    for (let index = 0; index < count && sse.open; index++) {
      for (let stage = 0; stage < partials && sse.open; stage++) {
        const b64_json = generateImage(exchange, request, index, stage).bytes.toString('base64');
        await sse.send({ event: `${prefix}.partial_image`, data: goJson({ ...common, b64_json, partial_image_index: stage, type: `${prefix}.partial_image` }), role: 'image' });
      }
      // A moderated or failed generation just closes the stream: no completed event, no error.
      if (exchange.knobs.fault === 'safety') break;
      const b64_json = generateImage(exchange, request, index).bytes.toString('base64');
      const usage = edit ? { usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } } : {};
      await sse.send({ event: `${prefix}.completed`, data: goJson({ ...common, b64_json, type: `${prefix}.completed`, ...usage }), role: 'completion' });
    }
    sse.end();
    return;
  }
  if (exchange.knobs.fault === 'safety') return fail(MODERATED());
  const base64 = params.response_format === 'b64_json';
  const data = Array.from({ length: count }, (_, index) => {
    const image = generateImage(exchange, request, index);
    const common = { mime_type: MIME_TYPES[image.format], revised_prompt: '' };
    return base64 ? { ...common, b64_json: image.bytes.toString('base64') } : { ...common, url: mediaUrl(exchange, exchange.files.put(image.bytes, image.format, '')) };
  });
  await reply.jsonText(200, goJson({ created: unixSeconds(), data }));
}

async function media(exchange: Exchange): Promise<void> {
  const file = exchange.files.get(decodeURIComponent(exchange.route.slice(MEDIA_ROUTE.length)));
  if (!file) return exchange.reply.jsonText(404, goJson({ error: { code: 'not_found', message: '图片不存在或已过期', param: null, type: 'invalid_request_error' } }));
  await exchange.reply.body(200, { 'content-type': file.contentType, 'cache-control': 'public, max-age=86400' }, file.bytes);
}

export const grok2apiV3Flavor: Flavor = {
  name: 'grok2api-v3',
  prefix: PREFIX,
  apiKey: bearerKey,
  isPublicRoute: (route) => route.startsWith(MEDIA_ROUTE),
  error: grok2apiV3Error,
  async handle(exchange) {
    const { method } = exchange.record;
    if (method === 'GET' && exchange.route.startsWith(MEDIA_ROUTE)) {
      await media(exchange);
      return true;
    }
    switch (`${method} ${exchange.route}`) {
      case 'POST /chat/completions':
        await chatCompletions(exchange);
        return true;
      case 'POST /images/generations':
        await images(exchange, false);
        return true;
      case 'POST /images/edits':
        await images(exchange, true);
        return true;
      case 'GET /models':
        await exchange.reply.jsonText(200, goJson({ data: MODELS.map((id) => ({ created: 1767225600, id, object: 'model', owned_by: 'grok2api' })), object: 'list' }));
        return true;
    }
    return false;
  }
};
