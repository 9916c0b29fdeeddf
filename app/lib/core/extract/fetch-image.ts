// Downloading URL results promptly (they expire) and safely: timeout, size cap, and the bytes must be an image.

import { ProviderError, isAbortError, networkError } from '../errors';
import { concatBytes } from './base64';
import { imageInfo } from './sniff';

export interface FetchImageOptions {
  timeoutMs?: number;
  /** Default 64 MB. */
  maxBytes?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Downloads an image URL. Throws ProviderError (network, timeout, upstream, parse) or the caller's AbortError. */
export async function fetchImage(url: string, options: FetchImageOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const shownUrl = url.replace(/\?.*$/, '');
  try {
    let res: Response;
    try {
      res = await (options.fetch ?? fetch)(url, { signal, headers: options.headers, redirect: 'follow' });
    } catch (error) {
      throw failure(error, timeout.signal, options.signal, shownUrl);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new ProviderError(res.status === 404 || res.status === 403 ? 'not-found' : 'upstream', `Image download failed: HTTP ${res.status} for ${shownUrl}`, { status: res.status });
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new ProviderError('parse', `Image at ${shownUrl} is larger than ${maxBytes} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.length;
          if (total > maxBytes) {
            await reader.cancel().catch(() => undefined);
            throw new ProviderError('parse', `Image at ${shownUrl} is larger than ${maxBytes} bytes`);
          }
          chunks.push(value);
        }
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        throw failure(error, timeout.signal, options.signal, shownUrl);
      }
    }
    const bytes = concatBytes(chunks, total);
    if (!imageInfo(bytes)) {
      throw new ProviderError('parse', `Download from ${shownUrl} is not an image (${res.headers.get('content-type') ?? 'no content type'})`);
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

function failure(error: unknown, timeoutSignal: AbortSignal, callerSignal: AbortSignal | undefined, shownUrl: string): unknown {
  if (callerSignal?.aborted) return callerSignal.reason ?? error;
  if (timeoutSignal.aborted) return new ProviderError('timeout', `Image download timed out: ${shownUrl}`);
  if (isAbortError(error)) return error;
  return networkError(error);
}
