// The page's side of the compression worker: one worker, started on first use, answering by id.

import type { DialectId } from '$lib/core/types';

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

export interface CompressRequest {
  id: number;
  blob: Blob;
  name: string;
  limits: CompressionLimits;
}

export type CompressResponse =
  | { id: number; ok: true; blob: Blob; width: number; height: number }
  | { id: number; ok: false; message: string };

export interface CompressedImage {
  blob: Blob;
  width: number;
  height: number;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (image: CompressedImage) => void; reject: (error: Error) => void }>();

function start(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./compress.worker.ts', import.meta.url), { type: 'module', name: 'atelier-compress' });
  worker.onmessage = (event: MessageEvent<CompressResponse>) => {
    const reply = event.data;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiting) return;
    if (reply.ok) waiting.resolve({ blob: reply.blob, width: reply.width, height: reply.height });
    else waiting.reject(new Error(reply.message));
  };
  return worker;
}

/** Shrinks an image to fit the limits (an image that already fits comes back as is). */
export function compressImage(blob: Blob, name: string, limits: CompressionLimits): Promise<CompressedImage> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const request: CompressRequest = { id, blob, name, limits };
    start().postMessage(request);
  });
}
