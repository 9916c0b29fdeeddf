// Decoding a result in the worker: the browser's own decoder, off the main thread. A result that
// does not decode is reported, never saved.

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Decodes the bytes fully (so a truncated or corrupt file is caught here) and returns the bitmap. */
export async function decodeImage(bytes: Uint8Array, mime: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
  } catch (error) {
    throw new DecodeError(`the browser cannot decode this ${mime} file (${error instanceof Error ? error.message : String(error)})`);
  }
}
