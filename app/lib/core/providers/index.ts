// The registry of dialects and the one way to run a generation: build the request, send it, read the events,
// download URL results, and turn every failure into a ProviderError.

import { ProviderError, isAbortError, networkError } from '../errors';
import { toImageResult } from '../extract/images';
import { fetchImage } from '../extract/fetch-image';
import type { DialectAdapter, DialectChoice, DialectId, GenerationRequest, ImageResult, ProviderConfig, ProviderEvent, Usage } from '../types';
import { detectDialect, type Detection } from './detect';
import { gemini } from './gemini/adapter';
import { openAiChat } from './openai-chat/adapter';
import { openAiImages } from './openai-images/adapter';
import { openAiResponses } from './openai-responses/adapter';

export const adapters: Readonly<Record<DialectId, DialectAdapter>> = {
  'openai-images': openAiImages,
  'openai-chat': openAiChat,
  'openai-responses': openAiResponses,
  gemini
};

export const dialectIds = Object.keys(adapters) as DialectId[];

export function isDialectChoice(value: string): value is DialectChoice {
  return value === 'auto' || value in adapters;
}

/** The dialect to speak: the configured one, or what `auto` detects (with its reason). */
export function resolveDialect(config: Pick<ProviderConfig, 'dialect' | 'baseUrl'>, model: string): Detection {
  if (config.dialect !== 'auto') return { dialect: config.dialect, reason: 'chosen in the configuration' };
  return detectDialect(config.baseUrl, model);
}

export interface RunOptions {
  signal?: AbortSignal;
  /** For the whole generation, including downloads. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Download `image-url` results and report them as `image` events (default true). */
  resolveUrls?: boolean;
  /** Size cap for downloaded images (default 64 MB). */
  maxImageBytes?: number;
}

export type RunEvent = ProviderEvent | { type: 'dialect'; dialect: DialectId; reason: string } | { type: 'fetching'; url: string; index: number };

/**
 * Runs one generation and yields its events. Throws a ProviderError when it fails (including HTTP-200 failures and
 * streams that end early), or the caller's AbortError when cancelled.
 */
export async function* runGeneration(req: GenerationRequest, config: ProviderConfig, options: RunOptions = {}): AsyncGenerator<RunEvent> {
  const detection = resolveDialect(config, req.model);
  yield { type: 'dialect', dialect: detection.dialect, reason: detection.reason };
  const adapter = adapters[detection.dialect];
  const secrets = [config.apiKey];
  const timeout = new AbortController();
  const timer = options.timeoutMs ? setTimeout(() => timeout.abort(), options.timeoutMs) : undefined;
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const fail = (error: unknown): unknown => {
    if (options.signal?.aborted) return options.signal.reason ?? error;
    if (timeout.signal.aborted) return new ProviderError('timeout', `No answer within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
    if (error instanceof ProviderError || isAbortError(error)) return error;
    return networkError(error, secrets);
  };
  let finals = 0;
  const failures: ProviderError[] = [];
  try {
    const request = adapter.buildRequest(req, { ...config, dialect: detection.dialect });
    let res: Response;
    try {
      res = await (options.fetch ?? fetch)(new Request(request, { signal }));
    } catch (error) {
      throw fail(error);
    }
    try {
      for await (const event of adapter.readResponse(res, { signal, secrets })) {
        if (event.type === 'image-url' && options.resolveUrls !== false) {
          yield { type: 'fetching', url: event.url, index: event.index };
          const image = await download(event, options, signal).catch((error: unknown) => {
            const failed = fail(error);
            if (failed instanceof ProviderError) return failed;
            throw failed;
          });
          if (image instanceof ProviderError) {
            failures.push(image);
            yield { type: 'image-failed', index: event.index, error: image };
          } else {
            finals++;
            yield { type: 'image', image };
          }
          continue;
        }
        if (event.type === 'image' || event.type === 'image-url') finals++;
        if (event.type === 'image-failed') failures.push(event.error);
        yield event;
      }
    } catch (error) {
      throw fail(error);
    }
    if (finals === 0) throw failures[0] ?? new ProviderError('no-image', 'The upstream answered without an image');
  } finally {
    clearTimeout(timer);
  }
}

async function download(event: Extract<ProviderEvent, { type: 'image-url' }>, options: RunOptions, signal: AbortSignal): Promise<ImageResult> {
  const bytes = await fetchImage(event.url, { signal, fetch: options.fetch, maxBytes: options.maxImageBytes });
  const image = toImageResult(bytes, { index: event.index, ...(event.id ? { id: event.id } : {}), ...(event.revisedPrompt ? { revisedPrompt: event.revisedPrompt } : {}) });
  if (!image) throw new ProviderError('parse', 'The downloaded result is not an image');
  return image;
}

export interface GenerationResult {
  dialect: DialectId;
  images: ImageResult[];
  /** The model's words (Gemini and chat models often say something with the picture). */
  text: string;
  usage?: Usage;
  /** Images of a group that failed while others succeeded. */
  failures: ProviderError[];
  /** False when the stream ended without its completion event (the images that arrived are whole). */
  complete: boolean;
}

/** Runs a generation to the end and collects its final images. */
export async function generate(req: GenerationRequest, config: ProviderConfig, options: RunOptions = {}): Promise<GenerationResult> {
  const result: GenerationResult = { dialect: 'openai-images', images: [], text: '', failures: [], complete: false };
  for await (const event of runGeneration(req, config, options)) {
    switch (event.type) {
      case 'dialect':
        result.dialect = event.dialect;
        break;
      case 'image':
        result.images.push(event.image);
        break;
      case 'text':
        result.text += event.text;
        break;
      case 'usage':
        result.usage = event.usage;
        break;
      case 'image-failed':
        result.failures.push(event.error);
        break;
      case 'done':
        result.complete = event.complete;
        break;
    }
  }
  return result;
}

export { detectDialect, detectImagesFlavor, type Detection } from './detect';
