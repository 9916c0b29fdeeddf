// OpenAI Images API: /v1/images/generations (JSON) and /v1/images/edits (multipart or JSON),
// plain and streamed (FORMATS.md §1).
import { DEFAULT_DIMENSIONS, formatSize, parseSize, type ImageFormat } from '../images.ts';
import type { RecordedRequest } from '../recording.ts';
import { SseStream } from '../sse.ts';
import {
  asCount,
  asString,
  fileUrl,
  generateImages,
  jsonObject,
  generateImage,
  outputDimensions,
  unixSeconds,
  type Exchange,
  type ImageRequest
} from './flavor.ts';
import { NOT_JSON_MESSAGE, openaiErrorBody, openaiHeaders } from './openai.ts';

export type ImagesOperation = 'generation' | 'edit';

export const MODERATION_MESSAGE =
  'Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID.';

/** The 400 body OpenAI sends when its safety system blocks an image request. */
function moderationBlockedBody(): unknown {
  return {
    error: {
      message: MODERATION_MESSAGE,
      type: 'image_generation_user_error',
      param: null,
      code: 'moderation_blocked',
      moderation_details: { moderation_stage: 'input', categories: ['test-upstream'] }
    }
  };
}

interface ImagesParams {
  params: Record<string, unknown>;
  /** Input images (edits): multipart files or JSON `images[]` entries. */
  inputCount: number;
}

/** Edits come as multipart (fields are strings) or as JSON with `images: [{image_url}]`. */
function readParams(record: RecordedRequest, operation: ImagesOperation): ImagesParams | undefined {
  if (record.form && operation === 'edit') {
    const params: Record<string, unknown> = {};
    for (const [name, values] of Object.entries(record.form.fields)) params[name] = values[0];
    const inputCount = record.form.files.filter((file) => file.field === 'image' || file.field === 'image[]').length;
    return { params, inputCount };
  }
  const params = jsonObject(record);
  if (!params) return undefined;
  const images = Array.isArray(params.images) ? params.images.length : 0;
  return { params, inputCount: images };
}

function isGptImageModel(model: string): boolean {
  return /^(gpt-image|chatgpt-image)/.test(model);
}

function outputTokens(quality: string, pixels: number): number {
  const perMegapixel = quality === 'low' ? 272 : quality === 'medium' ? 1056 : 4160;
  return Math.max(16, Math.round((perMegapixel * pixels) / (1024 * 1024)));
}

export async function handleImages(exchange: Exchange, operation: ImagesOperation): Promise<void> {
  const { reply } = exchange;
  const headers = openaiHeaders();
  const fail = (status: number, message: string, param: string | null = null, code: string | null = null) =>
    reply.json(status, openaiErrorBody(message, 'invalid_request_error', param, code), { headers });

  const parsed = readParams(exchange.record, operation);
  if (!parsed) return fail(400, NOT_JSON_MESSAGE);
  const { params, inputCount } = parsed;
  const prompt = asString(params.prompt);
  if (!prompt) return fail(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (operation === 'edit' && inputCount === 0) return fail(400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');

  const model = asString(params.model) ?? 'dall-e-2';
  const gptImage = isGptImageModel(model);
  const requestedSize = asString(params.size);
  const dimensions = requestedSize === undefined || requestedSize === 'auto' ? DEFAULT_DIMENSIONS : parseSize(requestedSize);
  if (!dimensions) return fail(400, `Invalid value: '${requestedSize}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.`, 'size', 'invalid_value');
  const requestedFormat = asString(params.output_format) ?? 'png';
  if (!['png', 'jpeg', 'webp'].includes(requestedFormat)) {
    return fail(400, `Invalid value: '${requestedFormat}'. Supported values are: 'png', 'jpeg', and 'webp'.`, 'output_format', 'invalid_value');
  }
  const format: ImageFormat = gptImage ? (requestedFormat as ImageFormat) : 'png';
  const background = asString(params.background) === 'transparent' && format !== 'jpeg' ? 'transparent' : 'opaque';
  const requestedQuality = asString(params.quality) ?? 'auto';
  const quality = requestedQuality === 'auto' || requestedQuality === 'standard' || requestedQuality === 'hd' ? 'high' : requestedQuality;
  const asUrl = asString(params.response_format) === 'url' || (!gptImage && asString(params.response_format) !== 'b64_json');
  const stream = gptImage && (params.stream === true || params.stream === 'true');
  const partialCount = Math.min(3, Math.max(0, Number(params.partial_images ?? 0) || 0));

  if (exchange.knobs.fault === 'safety') return void (await reply.json(400, moderationBlockedBody(), { headers }));

  const request: ImageRequest = {
    prompt,
    count: asCount(params.n, 1, 10),
    dimensions,
    format,
    transparent: background === 'transparent',
    salt: operation === 'edit' ? 'edit:' : ''
  };
  const noImage = exchange.knobs.fault === 'no-image';
  const inputTokens = 20 + (operation === 'edit' ? 323 * inputCount : 0);
  const imageTokens = outputTokens(quality, dimensions.width * dimensions.height) * request.count;
  const created = unixSeconds();
  const meta = { background, output_format: format, quality, size: formatSize(outputDimensions(exchange, dimensions)) };
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { image_tokens: inputTokens - 20, text_tokens: 20 },
    output_tokens: noImage ? 0 : imageTokens,
    total_tokens: inputTokens + (noImage ? 0 : imageTokens)
  };

  if (stream) {
    const sse = new SseStream(reply, { headers });
    const eventPrefix = operation === 'edit' ? 'image_edit' : 'image_generation';
    // A stream that has no image to give simply ends without events.
    if (noImage) return sse.end();
    for (let index = 0; index < request.count && sse.open; index++) {
      for (let stage = 0; stage < partialCount && sse.open; stage++) {
        const type = `${eventPrefix}.partial_image`;
        const b64_json = generateImage(exchange, request, index, stage).bytes.toString('base64');
        await sse.json({ type, b64_json, created_at: created, ...meta, partial_image_index: stage }, { event: type, role: 'image' });
      }
      if (!sse.open) break;
      const final = generateImage(exchange, request, index);
      const type = `${eventPrefix}.completed`;
      await sse.json(
        { type, b64_json: final.bytes.toString('base64'), created_at: created, ...meta, usage },
        { event: type, role: index === request.count - 1 ? 'completion' : 'image' }
      );
    }
    sse.end();
    return;
  }

  const images = noImage ? [] : generateImages(exchange, request);
  const data = images.map((image) => {
    const item: Record<string, unknown> = asUrl
      ? { url: fileUrl(exchange, exchange.files.put(image.bytes, image.format)) }
      : { b64_json: image.bytes.toString('base64') };
    if (model === 'dall-e-3') item.revised_prompt = `A detailed rendering of: ${prompt}`;
    return item;
  });
  const body = gptImage
    ? { created, ...meta, data, usage: { ...usage, output_tokens_details: { image_tokens: usage.output_tokens, text_tokens: 0 } } }
    : { created, data };
  await reply.json(200, body, { headers });
}
