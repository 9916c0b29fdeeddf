// The page's side of the compression worker: one worker, started on first use and reached through
// Comlink, like the engine's (engine/bridge.ts).

import * as Comlink from 'comlink';
import type { DialectId } from '$lib/core/types';
import type { CompressWorkerApi } from './compress.worker';

export interface CompressionLimits {
  /** Longest side in pixels. */
  maxSide: number;
  maxBytes: number;
}

/**
 * What each dialect's upstreams accept comfortably. Inline images travel as base64 in JSON for the
 * chat, Responses and Gemini dialects (a third larger, and Gemini caps a request at 20 MB), so they
 * get a smaller budget than multipart uploads to the Images API.
 */
export function compressionLimits(dialect: DialectId): CompressionLimits {
  switch (dialect) {
    case 'openai-images':
      return { maxSide: 2048, maxBytes: 4 * 1024 * 1024 };
    case 'openai-responses':
      return { maxSide: 2048, maxBytes: 3 * 1024 * 1024 };
    case 'openai-chat':
    case 'gemini':
      return { maxSide: 2048, maxBytes: 2 * 1024 * 1024 };
  }
}

export interface CompressedImage {
  blob: Blob;
  width: number;
  height: number;
}

let remote: Comlink.Remote<CompressWorkerApi> | undefined;

/** Shrinks an image to fit the limits (an image that already fits comes back as is). */
export function compressImage(blob: Blob, name: string, limits: CompressionLimits): Promise<CompressedImage> {
  remote ??= Comlink.wrap<CompressWorkerApi>(new Worker(new URL('./compress.worker.ts', import.meta.url), { type: 'module', name: 'atelier-compress' }));
  return remote.compress(blob, name, limits);
}
