// Thumbnails and previews with OffscreenCanvas, in the worker: a WebP of about 384 px on the long
// side per image, so listing the gallery never loads megabytes.

import { decodeImage } from './decode';

export const THUMBNAIL_SIDE = 384;
/** Partial-image previews on the progress line are smaller still. */
export const PREVIEW_SIDE = 256;

/** The size that fits within `maxSide` on the long side, keeping the aspect ratio; never enlarges. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export interface Thumbnail {
  blob: Blob;
  width: number;
  height: number;
}

/** Draws the bitmap scaled into a WebP. */
export async function thumbnailOf(bitmap: ImageBitmap, maxSide = THUMBNAIL_SIDE, quality = 0.82): Promise<Thumbnail> {
  const size = fitWithin(bitmap.width, bitmap.height, maxSide);
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas 2D is not available');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, size.width, size.height);
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality });
  return { blob, ...size };
}

/** Decodes, measures and thumbnails one final image. */
export async function processImage(bytes: Uint8Array, mime: string): Promise<{ width: number; height: number; thumbnail: Thumbnail }> {
  const bitmap = await decodeImage(bytes, mime);
  try {
    return { width: bitmap.width, height: bitmap.height, thumbnail: await thumbnailOf(bitmap) };
  } finally {
    bitmap.close();
  }
}

/** A small WebP of a partial image for the live progress line. */
export async function previewImage(bytes: Uint8Array, mime: string): Promise<Blob> {
  const bitmap = await decodeImage(bytes, mime);
  try {
    return (await thumbnailOf(bitmap, PREVIEW_SIDE, 0.7)).blob;
  } finally {
    bitmap.close();
  }
}
