// xAI (api.x.ai/v1) image API: JSON generations and JSON edits, JPEG output, and its two error
// shapes: OpenAI-like `{error:{message,type,code}}` and `{code:"<gRPC text>", error:"<string>"}`.
import { dimensionsForRatio, parseAspectRatio } from '../images.ts';
import {
  asCount,
  asString,
  bearerKey,
  fileUrl,
  generateImages,
  jsonError,
  jsonObject,
  RETRY_AFTER_SECONDS,
  type ErrorKind,
  type Exchange,
  type Flavor,
  type FlavorError
} from './flavor.ts';

const INVALID_ARGUMENT = 'Client specified an invalid argument';

/** The gRPC-gateway shape, where `error` is a string. */
function stringError(status: number, code: string, message: string): FlavorError {
  return jsonError(status, { code, error: message });
}

function openAiStyleError(status: number, message: string, type: string, code: string): FlavorError {
  return jsonError(status, { error: { message, type, code } });
}

function xaiError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return stringError(400, INVALID_ARGUMENT, 'Incorrect API key provided: . You can obtain an API key from https://console.x.ai.');
    case 'invalid-key':
      return stringError(400, INVALID_ARGUMENT, `Incorrect API key provided: ${detail ?? ''}. You can obtain an API key from https://console.x.ai.`);
    case 'rate-limited': {
      const error = openAiStyleError(429, 'Too many requests: you have exceeded the rate limit for this model.', 'rate_limit_error', 'rate_limit_exceeded');
      return { ...error, headers: { 'retry-after': RETRY_AFTER_SECONDS } };
    }
    case 'server-error':
      return openAiStyleError(500, 'Internal server error', 'server_error', 'internal_error');
    case 'timeout':
      return openAiStyleError(504, 'Deadline exceeded', 'server_error', 'deadline_exceeded');
    case 'not-found':
      return stringError(404, 'Some requested entity was not found', `No route for ${detail ?? ''}`);
    case 'bad-request':
      return stringError(400, INVALID_ARGUMENT, detail ?? 'Bad request');
  }
}

const MODELS = ['grok-2-image-1212', 'grok-imagine-image', 'grok-imagine-image-pro'];

async function images(exchange: Exchange, edit: boolean): Promise<void> {
  const { reply } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const body = jsonObject(exchange.record);
  if (!body) return fail(xaiError('bad-request', 'Failed to deserialize the JSON body into the target type'));
  const prompt = asString(body.prompt);
  if (!prompt) return fail(xaiError('bad-request', 'prompt: field is required'));
  const model = asString(body.model) ?? 'grok-2-image-1212';
  if (!MODELS.some((name) => model.startsWith(name.replace(/-\d{4}$/, '')))) {
    return fail(stringError(404, 'Some requested entity was not found', `The model ${model} does not exist or your team does not have access to it.`));
  }
  if (body.size !== undefined) return fail(xaiError('bad-request', 'Argument not supported: size'));
  if (edit) {
    const single = body.image as { url?: unknown } | undefined;
    const many = Array.isArray(body.images) ? body.images : [];
    if (typeof single?.url !== 'string' && many.length === 0) return fail(xaiError('bad-request', 'image: field is required for edits'));
  }
  if (exchange.knobs.fault === 'safety') return fail(stringError(400, INVALID_ARGUMENT, 'Generated image rejected by content moderation.'));

  // grok-2-image draws 1024x768; an aspect_ratio reshapes that area.
  const ratio = parseAspectRatio(body.aspect_ratio);
  const side = asString(body.resolution)?.toLowerCase() === '2k' ? 2048 : 1024;
  const dimensions = ratio ? dimensionsForRatio(ratio, side) : { width: 1024, height: 768 };
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(body.n, 1, 10);
  const generated = generateImages(exchange, { prompt, count, dimensions, format: 'jpeg', salt: edit ? 'edit:' : '' });
  const asBase64 = asString(body.response_format) === 'b64_json';
  const data = generated.map((image) =>
    asBase64
      ? { b64_json: image.bytes.toString('base64'), revised_prompt: '' }
      : { url: fileUrl(exchange, exchange.files.put(image.bytes, 'jpeg', 'xai-tmp-imgen-')), revised_prompt: '' }
  );
  await reply.json(200, { data });
}

export const xaiFlavor: Flavor = {
  name: 'xai',
  prefix: '/xai/v1',
  apiKey: bearerKey,
  error: xaiError,
  async handle(exchange) {
    switch (`${exchange.record.method} ${exchange.route}`) {
      case 'POST /images/generations':
        await images(exchange, false);
        return true;
      case 'POST /images/edits':
        await images(exchange, true);
        return true;
      case 'GET /models':
        await exchange.reply.json(200, {
          data: MODELS.map((id) => ({ id, created: 1733961600, object: 'model', owned_by: 'xai' })),
          object: 'list'
        });
        return true;
    }
    return false;
  }
};
