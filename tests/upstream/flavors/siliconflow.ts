// SiliconFlow (`/v1/images/generations`), FORMATS.md §6: the answer lists `images[].url`, not
// `data[]`, plus timings and the seed used. Errors are `{code:<number>, message, data:null}`.
import { DEFAULT_DIMENSIONS, parseSize } from '../images.ts';
import {
  asCount,
  asString,
  bearerKey,
  fileUrl,
  generateImages,
  jsonError,
  jsonObject,
  RETRY_AFTER_SECONDS,
  unixSeconds,
  type ErrorKind,
  type Exchange,
  type Flavor,
  type FlavorError
} from './flavor.ts';

function siliconError(status: number, code: number, message: string, headers?: Record<string, string | number>): FlavorError {
  return jsonError(status, { code, message, data: null }, headers);
}

function siliconFlowError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
    case 'invalid-key':
      return siliconError(401, 20012, 'Invalid token');
    case 'rate-limited':
      return siliconError(429, 50603, 'System is too busy now. Please try again later.', { 'retry-after': RETRY_AFTER_SECONDS });
    case 'server-error':
      return siliconError(500, 50500, 'Internal Server Error');
    case 'timeout':
      return siliconError(504, 50504, 'Gateway Timeout');
    case 'not-found':
      return siliconError(404, 20404, `Not Found: ${detail ?? ''}`);
    case 'bad-request':
      return siliconError(400, 20015, detail ?? 'Invalid parameter');
  }
}

const MODELS = ['Kwai-Kolors/Kolors', 'Qwen/Qwen-Image', 'black-forest-labs/FLUX.1-schnell'];

async function generations(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const body = jsonObject(exchange.record);
  if (!body) return fail(siliconFlowError('bad-request', 'Invalid JSON body'));
  const model = asString(body.model) ?? '';
  if (!MODELS.includes(model)) return fail(siliconError(400, 20012, 'Model does not exist. Please check it carefully.'));
  const prompt = asString(body.prompt);
  if (!prompt) return fail(siliconFlowError('bad-request', 'prompt is required'));
  if (exchange.knobs.fault === 'safety') return fail(siliconError(400, 20047, 'The prompt contains content that violates the content policy.'));
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(body.batch_size, 1, 4);
  const dimensions = parseSize(body.image_size) ?? DEFAULT_DIMENSIONS;
  const images = generateImages(exchange, { prompt, count, dimensions, format: 'png' }).map((image) => ({
    url: fileUrl(exchange, exchange.files.put(image.bytes, image.format))
  }));
  const seed = typeof body.seed === 'number' ? body.seed : 1234567890;
  await reply.json(200, { images, timings: { inference: 1.234 }, seed, shared_id: '0', created: unixSeconds() });
}

export const siliconFlowFlavor: Flavor = {
  name: 'siliconflow',
  prefix: '/siliconflow/v1',
  apiKey: bearerKey,
  error: siliconFlowError,
  async handle(exchange) {
    switch (`${exchange.record.method} ${exchange.route}`) {
      case 'POST /images/generations':
        await generations(exchange);
        return true;
      case 'GET /models':
        await exchange.reply.json(200, { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: '' })) });
        return true;
    }
    return false;
  }
};
