// Turning image sources found in a response into events, once each, and only when they are images.

import { resolveImageSource, toImageResult, type ImageMeta } from '../extract/images';
import type { BlobTable } from '../extract/spill';
import type { ProviderEvent } from '../types';

export class ImageCollector {
  readonly #seen = new Set<string>();
  /** Final images announced so far (bytes or URLs). */
  finals = 0;
  /** Sources that were present but turned out not to be images (wrong bytes, `"error"` padding is not counted). */
  rejected = 0;

  /** An `image` or `image-url` event, or null for duplicates and non-images. Deduplicates by id, else by URL. */
  final(source: unknown, blobs: BlobTable | undefined, meta: ImageMeta): ProviderEvent | null {
    const resolved = resolveImageSource(source, blobs);
    if (!resolved) return null;
    const key = meta.id ?? (resolved.kind === 'url' ? resolved.url : undefined);
    if (key !== undefined && this.#seen.has(key)) return null;
    let event: ProviderEvent;
    if (resolved.kind === 'url') {
      event = { type: 'image-url', url: resolved.url, index: meta.index };
      if (meta.id) event.id = meta.id;
      if (meta.revisedPrompt) event.revisedPrompt = meta.revisedPrompt;
    } else {
      const image = toImageResult(resolved.bytes, meta);
      if (!image) {
        this.rejected++;
        return null;
      }
      event = { type: 'image', image };
    }
    if (key !== undefined) this.#seen.add(key);
    this.finals++;
    return event;
  }

  /** A preview; URLs are not fetched for previews. */
  partial(source: unknown, blobs: BlobTable | undefined, meta: ImageMeta): ProviderEvent | null {
    const resolved = resolveImageSource(source, blobs);
    if (!resolved || resolved.kind !== 'bytes') return null;
    const image = toImageResult(resolved.bytes, meta);
    return image ? { type: 'partial', image } : null;
  }
}
