// Reference images are shrunk here, off the main thread: decoding and re-encoding a 12-megapixel
// photo takes long enough to freeze a phone's UI. Plain postMessage (Comlink belongs to the engine).
// Inside a worker the library must not start its own worker (STACK.md trap 15).

import imageCompression from 'browser-image-compression';
import type { CompressRequest, CompressResponse } from './compress';

/** The worker's own scope; the DOM lib types `self` as a window. */
const scope = self as unknown as Worker;

scope.onmessage = async (event: MessageEvent<CompressRequest>) => {
  const { id, blob, name, limits } = event.data;
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
    const size = await dimensions(out);
    const reply: CompressResponse = { id, ok: true, blob: out, ...size };
    scope.postMessage(reply);
  } catch (error) {
    const reply: CompressResponse = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
    scope.postMessage(reply);
  }
};

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
