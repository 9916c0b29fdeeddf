// `/images/generations` and `/images/edits`, and the gateways that share those paths (FORMATS.md §1, §5, §6).

import { ProviderError, errorFromPayload } from '../../errors';
import type { BlobTable } from '../../extract/spill';
import type { DialectAdapter, GenerationRequest, ProviderConfig, ProviderEvent, ReadContext } from '../../types';
import { detectImagesFlavor } from '../detect';
import {
  asArray,
  asRecord,
  asString,
  bearerHeaders,
  dataUrl,
  jsonRequest,
  joinUrl,
  mimeOf,
  openBody,
  parseEvent,
  percentIn,
  streamEndedError,
  throwIfError,
  usageFrom,
  withDefined
} from '../http';
import { ImageCollector } from '../results';
import { meta } from './meta';

function buildRequest(req: GenerationRequest, config: ProviderConfig): Request {
  const flavor = config.imagesFlavor ?? detectImagesFlavor(config.baseUrl, req.model);
  const inputs = req.images ?? [];
  const headers = bearerHeaders(config);
  const stream = req.stream ? true : undefined;
  const partialImages = req.stream ? req.partialImages : undefined;
  switch (flavor) {
    case 'openrouter':
      return jsonRequest(
        joinUrl(config.baseUrl, 'images'),
        headers,
        withDefined(
          { model: req.model, prompt: req.prompt },
          {
            n: req.n,
            size: req.size,
            aspect_ratio: req.aspectRatio,
            resolution: req.imageSize,
            quality: req.quality,
            background: req.background,
            output_format: req.outputFormat,
            stream,
            input_references: inputs.length ? inputs.map((image) => ({ type: 'image_url', image_url: { url: dataUrl(image) } })) : undefined,
            ...req.extra
          }
        )
      );
    case 'seedream': {
      const n = req.n ?? 1;
      const images = inputs.map(dataUrl);
      return jsonRequest(
        joinUrl(config.baseUrl, 'images/generations'),
        headers,
        withDefined(
          { model: req.model, prompt: req.prompt, response_format: 'b64_json', watermark: false },
          {
            size: req.size ?? req.imageSize,
            image: images.length > 1 ? images : images[0],
            sequential_image_generation: n > 1 ? 'auto' : 'disabled',
            sequential_image_generation_options: n > 1 ? { max_images: n } : undefined,
            stream,
            ...req.extra
          }
        )
      );
    }
    case 'siliconflow':
      return jsonRequest(
        joinUrl(config.baseUrl, 'images/generations'),
        headers,
        withDefined(
          { model: req.model, prompt: req.prompt },
          { image_size: req.size, batch_size: req.n, image: inputs[0] ? dataUrl(inputs[0]) : undefined, ...req.extra }
        )
      );
    case 'xai': {
      // xAI takes no size and no mask; edits are JSON with the image as a URL object.
      const images = inputs.map((image) => ({ url: dataUrl(image), type: 'image_url' }));
      return jsonRequest(
        joinUrl(config.baseUrl, inputs.length ? 'images/edits' : 'images/generations'),
        headers,
        withDefined(
          { model: req.model, prompt: req.prompt, response_format: 'b64_json' },
          {
            n: req.n,
            aspect_ratio: req.aspectRatio,
            resolution: req.imageSize?.toLowerCase(),
            quality: req.quality,
            output_format: req.outputFormat,
            image: images.length === 1 ? images[0] : undefined,
            images: images.length > 1 ? images : undefined,
            ...req.extra
          }
        )
      );
    }
    case 'openai':
      return openAiRequest(req, config, headers);
  }
}

function openAiRequest(req: GenerationRequest, config: ProviderConfig, headers: Headers): Request {
  const inputs = req.images ?? [];
  const fields = withDefined(
    { model: req.model, prompt: req.prompt },
    {
      n: req.n,
      size: req.size,
      quality: req.quality,
      background: req.background,
      output_format: req.outputFormat,
      aspect_ratio: req.aspectRatio,
      resolution: req.imageSize,
      // dall-e answers with short-lived URLs unless asked; GPT image models always send base64 and reject the field.
      response_format: /^dall-e/i.test(req.model) ? 'b64_json' : undefined,
      stream: req.stream ? true : undefined,
      partial_images: req.stream ? req.partialImages : undefined
    }
  );
  Object.assign(fields, req.extra);
  if (inputs.length === 0) {
    if (req.mask) throw new ProviderError('bad-request', 'A mask needs an input image to edit');
    return jsonRequest(joinUrl(config.baseUrl, 'images/generations'), headers, fields);
  }
  const url = joinUrl(config.baseUrl, 'images/edits');
  if (config.editsAsJson) {
    return jsonRequest(
      url,
      headers,
      withDefined(
        { ...fields, images: inputs.map((image) => ({ image_url: dataUrl(image) })) },
        { mask: req.mask ? { image_url: dataUrl(req.mask) } : undefined }
      )
    );
  }
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  // One image goes as `image` (dall-e-2 takes only that); several as `image[]`, as the official SDK sends them.
  const field = inputs.length === 1 ? 'image' : 'image[]';
  inputs.forEach((image, i) => form.append(field, blobOf(image.bytes, mimeOf(image)), image.name ?? `image-${i + 1}.${extension(mimeOf(image))}`));
  if (req.mask) form.append('mask', blobOf(req.mask.bytes, 'image/png'), req.mask.name ?? 'mask.png');
  return new Request(url, { method: 'POST', headers, body: form });
}

function blobOf(bytes: Uint8Array, type: string): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
}

function extension(mime: string): string {
  return mime.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin';
}

async function* readResponse(res: Response, ctx: ReadContext = {}): AsyncGenerator<ProviderEvent> {
  const body = await openBody(res, ctx);
  let eventsSeen = 0;
  const collector = new ImageCollector();
  if (body.kind === 'json') {
    throwIfError(body.value, ctx);
    yield* imagesFromEnvelope(body.value, body.blobs, collector);
    const usage = usageFrom(asRecord(body.value)?.usage);
    if (usage) yield { type: 'usage', usage };
    if (collector.finals === 0) throw noImage(body.value, collector);
    yield { type: 'done', complete: true };
    return;
  }
  let completed = false;
  let failures = 0;
  let fallbackIndex = 0;
  for await (const event of body.events) {
    eventsSeen++;
    const parsed = parseEvent(event);
    if (parsed.kind === 'done') break;
    if (parsed.kind !== 'json') continue;
    const { value, type, blobs } = parsed;
    if (type === 'image_generation.partial_failed') {
      // Seedream: one image of a group failed; the others still count.
      failures++;
      const error = errorFromPayload(value, undefined, ctx.secrets) ?? new ProviderError('upstream', 'One image failed');
      yield { type: 'image-failed', index: indexOf(value, fallbackIndex++), error };
      continue;
    }
    throwIfError(value, ctx);
    if (type.endsWith('.partial_image')) {
      const progress = value.progress;
      if (typeof progress === 'number' || typeof progress === 'string') {
        const text = typeof progress === 'number' ? `${progress}%` : progress;
        yield withPercent(text);
      }
      const partial = collector.partial(value.b64_json, blobs, { index: indexOf(value, 0) });
      if (partial) yield partial;
    } else if (type === 'image_generation.partial_succeeded') {
      const final = collector.final(value.b64_json || value.url, blobs, { index: indexOf(value, fallbackIndex++) });
      if (final) yield final;
    } else if (type.endsWith('.completed')) {
      completed = true;
      const final = collector.final(value.b64_json || value.url, blobs, {
        index: indexOf(value, fallbackIndex++),
        revisedPrompt: asString(value.revised_prompt)
      });
      if (final) yield final;
      const usage = usageFrom(value.usage);
      if (usage) yield { type: 'usage', usage };
    } else if (Array.isArray(value.data) || Array.isArray(value.images)) {
      // A gateway that streams the whole JSON envelope as one event.
      completed = true;
      yield* imagesFromEnvelope(value, blobs, collector);
    }
  }
  if (collector.finals === 0) {
    if (failures > 0) return; // the image-failed events say why
    throw completed ? noImage(undefined, collector) : streamEndedError(eventsSeen);
  }
  yield { type: 'done', complete: completed };
}

function* imagesFromEnvelope(value: unknown, blobs: BlobTable, collector: ImageCollector): Generator<ProviderEvent> {
  const root = asRecord(value);
  const items = [...asArray(root?.data), ...asArray(root?.images)];
  for (const [index, item] of items.entries()) {
    const record = asRecord(item);
    // grok2api v1 pads short lists with the string "error"; ImageCollector drops it.
    const source = record ? record.b64_json || record.url || record.image_url : item;
    const event = collector.final(source, blobs, { index, revisedPrompt: asString(record?.revised_prompt) });
    if (event) yield event;
  }
}

function indexOf(value: Record<string, unknown>, fallback: number): number {
  for (const key of ['image_index', 'index', 'partial_image_index']) {
    const candidate = value[key];
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 0) return candidate;
  }
  return fallback;
}

function withPercent(text: string): ProviderEvent {
  const percent = percentIn(text);
  return percent === undefined ? { type: 'progress', text } : { type: 'progress', text, percent };
}

function noImage(value: unknown, collector: ImageCollector): ProviderError {
  const items = [...asArray(asRecord(value)?.data), ...asArray(asRecord(value)?.images)];
  const detail = collector.rejected > 0 ? `${collector.rejected} result(s) were not images` : items.length > 0 ? `${items.length} empty or failed result(s)` : 'no results';
  return new ProviderError('no-image', `The upstream answered without an image (${detail})`);
}

export const openAiImages: DialectAdapter = { meta, buildRequest, readResponse };
