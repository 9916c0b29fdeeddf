// Reference images are shrunk here, off the main thread: decoding and re-encoding a 12-megapixel
// photo takes long enough to freeze a phone's UI. The page calls it through Comlink (compress.ts).
// Inside a worker the library must not start its own worker (STACK.md trap 15).

import imageCompression from 'browser-image-compression';
import * as Comlink from 'comlink';
import type { CompressedImage, CompressionLimits } from './compress';

async function compress(blob: Blob, name: string, limits: CompressionLimits): Promise<CompressedImage> {
  try {
    const file = new File([blob], name, { type: blob.type });
    const fits = blob.size <= limits.maxBytes && (await longSide(blob)) <= limits.maxSide;
    const out = fits
      ? blob
      : await imageCompression(file, {
          maxSizeMB: limits.maxBytes / (1024 * 1024),
          maxWidthOrHeight: limits.maxSide,
          useWebWorker: false,
          // WebP keeps a PNG's transparency at a fraction of its size (re-encoding a large PNG as PNG
          // barely shrinks it); photos become JPEG, which every upstream takes.
          fileType: blob.type === 'image/png' || blob.type === 'image/webp' ? 'image/webp' : 'image/jpeg',
          initialQuality: 0.9
        });
    return { blob: out, ...(await dimensions(out)) };
  } catch (error) {
    // Comlink carries an Error's message; anything else thrown is made one, so the page can show it.
    throw error instanceof Error ? error : new Error(String(error));
  }
}

async function dimensions(blob: Blob): Promise<{ width: number; height: number }> {
  const bitmap = await createImageBitmap(blob);
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}

async function longSide(blob: Blob): Promise<number> {
  const { width, height } = await dimensions(blob);
  return Math.max(width, height);
}

const api = { compress };

export type CompressWorkerApi = typeof api;

Comlink.expose(api);
