// BytePlus / Volcengine Ark Seedream (`/api/v3/images/generations`), FORMATS.md §6: JPEG images,
// per-image `image_generation.partial_succeeded` / `partial_failed` stream events, then
// `image_generation.completed` and `data: [DONE]`. The prompt marker `[short]` makes the last image
// fail (partial_failed when streamed, an `error` item in `data` otherwise).
import { clampDimensions, formatSize, parseSize, type Dimensions } from '../images.ts';
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

function arkError(status: number, code: string, message: string, headers?: Record<string, string | number>): FlavorError {
  return jsonError(status, { error: { code, message: `${message} Request id: ${randomHex(16)}` } }, headers);
}

function seedreamError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
    case 'invalid-key':
      return arkError(401, 'AuthenticationError', 'The API key or AK/SK in the request is missing or invalid.');
    case 'rate-limited':
      return arkError(429, 'RateLimitExceeded.EndpointIPMExceeded', 'The request has exceeded the images per minute (IPM) limit of the endpoint.', {
        'retry-after': RETRY_AFTER_SECONDS
      });
    case 'server-error':
      return arkError(500, 'InternalServiceError', 'The service encountered an unexpected internal error.');
    case 'timeout':
      return arkError(504, 'ServiceTimeout', 'The request timed out.');
    case 'not-found':
      return arkError(404, 'NotFound', `The requested resource was not found: ${detail ?? ''}.`);
    case 'bad-request':
      return arkError(400, 'InvalidParameter', detail ?? 'A parameter specified in the request is not valid.');
  }
}

const SIZE_PRESETS: Record<string, number> = { '1K': 1024, '2K': 2048, '4K': 4096 };

function dimensionsOf(size: unknown): Dimensions | undefined {
  if (size === undefined) return clampDimensions({ width: 2048, height: 2048 });
  const preset = SIZE_PRESETS[String(size).toUpperCase()];
  return preset ? clampDimensions({ width: preset, height: preset }) : parseSize(size);
}

const SENSITIVE = { code: 'OutputImageSensitiveContentDetected', message: 'The request failed because the output image may contain sensitive information.' };

async function generations(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const body = jsonObject(exchange.record);
  if (!body) return fail(seedreamError('bad-request', 'The request body is not valid JSON.'));
  const model = asString(body.model) ?? '';
  if (!/seedream/.test(model)) return fail(arkError(404, 'InvalidEndpointOrModel.NotFound', `The model or endpoint ${model} does not exist or you do not have access to it.`));
  const prompt = asString(body.prompt);
  if (!prompt) return fail(seedreamError('bad-request', 'The parameter `prompt` specified in the request is not valid.'));
  const dimensions = dimensionsOf(body.size);
  if (!dimensions) return fail(seedreamError('bad-request', 'The parameter `size` specified in the request is not valid.'));
  if (exchange.knobs.fault === 'safety') return fail(arkError(400, 'InputTextSensitiveContentDetected', 'The request failed because the input text may contain sensitive information.'));

  const options = (body.sequential_image_generation_options as { max_images?: unknown } | undefined) ?? {};
  const asked = exchange.knobs.fault === 'no-image' ? 0 : body.sequential_image_generation === 'auto' ? asCount(options.max_images, 3, 15) : 1;
  const failedIndex = exchange.markers.short && asked > 0 ? asked - 1 : -1;
  const request: ImageRequest = { prompt, count: asked, dimensions, format: 'jpeg' };
  const base64 = body.response_format === 'b64_json';
  const created = unixSeconds();
  const size = formatSize(dimensions);
  const item = (index: number) => {
    const image = generateImage(exchange, request, index);
    return base64 ? { b64_json: image.bytes.toString('base64'), size } : { url: fileUrl(exchange, exchange.files.put(image.bytes, image.format)), size };
  };
  const generated = asked - (failedIndex >= 0 ? 1 : 0);
  const usage = { generated_images: generated, output_tokens: generated * 16384, total_tokens: generated * 16384 };

  if (body.stream !== true) {
    const data = Array.from({ length: asked }, (_, index) => (index === failedIndex ? { error: SENSITIVE } : item(index)));
    await reply.json(200, { model, created, data, usage });
    return;
  }
  const sse = new SseStream(reply);
  for (let index = 0; index < asked && sse.open; index++) {
    if (index === failedIndex) {
      const type = 'image_generation.partial_failed';
      await sse.json({ type, model, created, image_index: index, error: SENSITIVE }, { event: type });
    } else {
      const type = 'image_generation.partial_succeeded';
      await sse.json({ type, model, created, image_index: index, ...item(index) }, { event: type, role: 'image' });
    }
  }
  const type = 'image_generation.completed';
  await sse.json({ type, model, created, usage }, { event: type, role: 'completion' });
  await sse.done();
  sse.end();
}

export const seedreamFlavor: Flavor = {
  name: 'seedream',
  prefix: '/seedream/api/v3',
  apiKey: bearerKey,
  error: seedreamError,
  async handle(exchange) {
    if (`${exchange.record.method} ${exchange.route}` !== 'POST /images/generations') return false;
    await generations(exchange);
    return true;
  }
};
