// chenyme/grok2api v1.x (Python, tag v1.6.0), FORMATS.md §5.1. Quirks kept on purpose:
// image chunks of the chat stream carry `event: chat.completion.chunk`; base64 images are labelled
// `data:image/png` although the bytes are JPEG; when fewer images than `n` come back (prompt marker
// `[short]`), /images/generations pads `data` with the literal string "error".
import { DEFAULT_DIMENSIONS, formatSize, parseSize } from '../images.ts';
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

const IMAGE_MODELS = ['grok-imagine-1.0', 'grok-imagine-1.0-fast', 'grok-imagine-1.0-edit'];
const CHAT_MODELS = ['grok-4', 'grok-4-fast', 'grok-4.1-thinking'];

function grokError(status: number, message: string, type: string, code: string | null, headers?: Record<string, string | number>): FlavorError {
  return jsonError(status, { error: { message, type, param: null, code } }, headers);
}

function grok2apiV1Error(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return grokError(401, 'Missing authentication token', 'authentication_error', 'missing_token');
    case 'invalid-key':
      return grokError(401, 'Invalid authentication token', 'authentication_error', 'invalid_token');
    case 'rate-limited':
      return grokError(429, 'No available tokens. Please try again later.', 'rate_limit_error', 'rate_limit_exceeded', { 'retry-after': RETRY_AFTER_SECONDS });
    case 'server-error':
      return grokError(500, 'Internal server error', 'server_error', 'internal_error');
    case 'timeout':
      return grokError(504, 'Upstream request timed out', 'server_error', 'upstream_timeout');
    case 'not-found':
      return grokError(404, `Not Found: ${detail ?? ''}`, 'invalid_request_error', 'not_found');
    case 'bad-request':
      return grokError(400, detail ?? 'Bad request', 'invalid_request_error', 'invalid_request');
  }
}

const ZERO_USAGE = { total_tokens: 0, input_tokens: 0, output_tokens: 0, input_tokens_details: { text_tokens: 0, image_tokens: 0 } };

function userText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  return (messages as Json[])
    .filter((message) => message?.role === 'user')
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : Array.isArray(message.content)
          ? (message.content as Json[]).map((part) => (part?.type === 'text' ? String(part.text ?? '') : '')).join(' ')
          : ''
    )
    .join('\n');
}

/** `[short]` delivers one image fewer than asked (at least one is always asked). */
function deliveredCount(exchange: Exchange, asked: number): number {
  if (exchange.knobs.fault === 'no-image') return 0;
  return exchange.markers.short ? Math.max(0, asked - 1) : asked;
}

/** The markdown target: a served URL, or a base64 data URI labelled PNG whatever the bytes are. */
function imageReference(exchange: Exchange, request: ImageRequest, index: number, base64: boolean): string {
  const image = generateImage(exchange, request, index);
  if (base64) return `data:image/png;base64,${image.bytes.toString('base64')}`;
  return fileUrl(exchange, exchange.files.put(image.bytes, image.format));
}

function wantsBase64(format: unknown): boolean {
  return format === 'b64_json' || format === 'base64';
}

async function chatCompletions(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return fail(grok2apiV1Error('bad-request', 'Invalid JSON'));
  const model = asString(body.model) ?? '';
  if (![...IMAGE_MODELS, ...CHAT_MODELS].includes(model)) return fail(grokError(404, `The model \`${model}\` does not exist`, 'invalid_request_error', 'model_not_found'));
  const imageConfig = (body.image_config as Json | undefined) ?? {};
  const prompt = userText(body.messages);
  const imageModel = IMAGE_MODELS.includes(model);
  const asked = imageModel ? asCount(imageConfig.n, 1, 10) : 1;
  const count = deliveredCount(exchange, asked);
  const request: ImageRequest = { prompt, count, dimensions: parseSize(imageConfig.size) ?? DEFAULT_DIMENSIONS, format: 'jpeg' };
  const base64 = wantsBase64(imageConfig.response_format);
  const id = `chatcmpl-${randomHex(16)}`;
  const created = unixSeconds();
  const chunkBase = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: null };

  // Chat models that draw think aloud first, then link the picture under its image id.
  const markdown = (index: number): string => {
    const reference = imageReference(exchange, request, index, base64);
    return imageModel ? `![image](${reference})` : `![${randomHex(8)}](${reference})`;
  };
  const thinking = Array.from({ length: count }, (_, index) => `正在生成第${index + 1}张图片中，当前进度50%\n正在生成第${index + 1}张图片中，当前进度100%\n`).join('');

  if (body.stream !== true) {
    const images = Array.from({ length: count }, (_, index) => markdown(index)).join('\n');
    const content = imageModel ? images : `<think>\n${thinking}</think>\n${images}\n`;
    await reply.json(200, {
      ...chunkBase,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage: ZERO_USAGE
    });
    return;
  }
  const sse = new SseStream(reply);
  if (imageModel) {
    for (let index = 0; index < count && sse.open; index++) {
      await sse.json(
        { ...chunkBase, choices: [{ index, delta: { role: 'assistant', content: markdown(index) }, logprobs: null, finish_reason: 'stop' }], usage: ZERO_USAGE },
        { event: 'chat.completion.chunk', role: 'image' }
      );
    }
  } else {
    const delta = (content: string, finish: string | null = null) => ({ ...chunkBase, choices: [{ index: 0, delta: { role: 'assistant', content }, logprobs: null, finish_reason: finish }] });
    await sse.json(delta('<think>\n'));
    for (const line of thinking.split(/(?<=\n)/)) if (line) await sse.json(delta(line));
    await sse.json(delta('</think>\n'));
    for (let index = 0; index < count && sse.open; index++) await sse.json(delta(`${markdown(index)}\n`), { role: 'image' });
    await sse.json(delta('', 'stop'));
  }
  await sse.done();
  sse.end();
}

async function images(exchange: Exchange, edit: boolean): Promise<void> {
  const { reply, record } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const params: Json | undefined = record.form
    ? Object.fromEntries(Object.entries(record.form.fields).map(([name, values]) => [name, values[0]]))
    : jsonObject(record);
  if (!params) return fail(grok2apiV1Error('bad-request', 'Invalid JSON'));
  const prompt = asString(params.prompt);
  if (!prompt) return fail(grok2apiV1Error('bad-request', 'Prompt cannot be empty'));
  if (edit && !record.form?.files.some((file) => file.field === 'image' || file.field === 'image[]')) {
    return fail(grok2apiV1Error('bad-request', 'Image is required'));
  }
  if (exchange.knobs.fault === 'safety') return fail(grokError(400, 'Content moderated by upstream', 'image_generation_user_error', 'content_moderated'));
  const asked = asCount(params.n, 1, 10);
  const dimensions = parseSize(params.size) ?? DEFAULT_DIMENSIONS;
  const request: ImageRequest = { prompt, count: deliveredCount(exchange, asked), dimensions, format: 'jpeg', salt: edit ? 'edit:' : '' };
  // The server's default image_format is url; "base64" is accepted as an alias of b64_json.
  const base64 = wantsBase64(params.response_format);
  const key = base64 ? 'b64_json' : 'url';
  const value = (index: number) => {
    const image = generateImage(exchange, request, index);
    return base64 ? image.bytes.toString('base64') : fileUrl(exchange, exchange.files.put(image.bytes, image.format));
  };
  const created = unixSeconds();

  if (params.stream === true || params.stream === 'true') {
    const sse = new SseStream(reply);
    const prefix = 'image_generation';
    for (let index = 0; index < request.count && sse.open; index++) {
      const imageId = randomHex(16);
      const common = { created_at: created, size: formatSize(dimensions), index, image_id: imageId };
      for (const [stage, name] of ['preview', 'medium'].entries()) {
        // The app-chat and edit paths report progress with an empty image instead of a preview.
        const preview = edit ? { b64_json: '', progress: (stage + 1) * 40 } : { [key]: base64 ? generateImage(exchange, request, index, stage).bytes.toString('base64') : value(index) };
        await sse.json({ type: `${prefix}.partial_image`, ...preview, ...common, partial_image_index: stage, stage: name }, { event: `${prefix}.partial_image`, role: 'image' });
      }
      const role = index === request.count - 1 ? 'completion' : 'image';
      await sse.json({ type: `${prefix}.completed`, [key]: value(index), ...common, stage: 'final', usage: ZERO_USAGE }, { event: `${prefix}.completed`, role });
    }
    sse.end();
    return;
  }
  const values: string[] = Array.from({ length: request.count }, (_, index) => value(index));
  while (values.length < asked) values.push('error');
  await reply.json(200, { created, data: values.map((item) => ({ [key]: item })), usage: ZERO_USAGE });
}

/** A failure once the stream began: `event: error`, the error, then [DONE]. */
async function streamedServerError(exchange: Exchange): Promise<boolean> {
  if (jsonObject(exchange.record)?.stream !== true) return false;
  const sse = new SseStream(exchange.reply);
  await sse.json({ error: { message: 'Upstream server error', type: 'server_error', code: 'upstream_error' } }, { event: 'error' });
  await sse.done();
  sse.end();
  return true;
}

export const grok2apiV1Flavor: Flavor = {
  name: 'grok2api-v1',
  prefix: '/grok2api-v1/v1',
  apiKey: bearerKey,
  error: grok2apiV1Error,
  serverErrorInStream: streamedServerError,
  async handle(exchange) {
    switch (`${exchange.record.method} ${exchange.route}`) {
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
        await exchange.reply.json(200, {
          object: 'list',
          data: [...CHAT_MODELS, ...IMAGE_MODELS].map((id) => ({ id, object: 'model', created: 0, owned_by: 'grok2api@chenyme' }))
        });
        return true;
    }
    return false;
  }
};
