// What the grid's visible window needs: the rows (for alt text and badges) and thumbnail object
// URLs of the tiles on screen, and nothing else. Thumbnails are read by key when a tile comes
// into view and their URLs revoked when it leaves, so memory stays flat over 10,000+ images.

import { database } from '$lib/db/database';
import { getThumbs, watchImages } from '$lib/db/images.repo';
import type { ImageRecord } from '$lib/db/records';

export class TileWindow {
  rows = $state.raw(new Map<string, ImageRecord>());
  urls = $state.raw(new Map<string, string>());
  #ids = new Set<string>();
  #key = '';
  #subscription: { unsubscribe(): void } | null = null;
  #loading = new Set<string>();

  /** Shows exactly these ids (visible tiles plus overscan). */
  show(ids: readonly string[]): void {
    const key = ids.join();
    if (key === this.#key) return;
    this.#key = key;
    this.#ids = new Set(ids);

    this.#subscription?.unsubscribe();
    this.#subscription = watchImages(database(), ids).subscribe({
      next: (rows) => {
        this.rows = new Map(rows.map((row) => [row.id, row]));
      },
      error: () => {
        // The tiles keep their placeholders; the grid's own query reports database errors.
      }
    });

    const urls = new Map<string, string>();
    for (const [id, url] of this.urls) {
      if (this.#ids.has(id)) urls.set(id, url);
      else URL.revokeObjectURL(url);
    }
    this.urls = urls;
    const missing = ids.filter((id) => !urls.has(id) && !this.#loading.has(id));
    if (missing.length > 0) void this.#load(missing);
  }

  async #load(ids: string[]): Promise<void> {
    for (const id of ids) this.#loading.add(id);
    try {
      const thumbs = await getThumbs(database(), ids);
      const urls = new Map(this.urls);
      thumbs.forEach((thumb, i) => {
        const id = ids[i]!;
        // Scrolled past while reading: no URL is made for a tile that is gone.
        if (thumb && this.#ids.has(id) && !urls.has(id)) urls.set(id, URL.createObjectURL(thumb.blob));
      });
      this.urls = urls;
    } finally {
      for (const id of ids) this.#loading.delete(id);
    }
  }

  destroy(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls = new Map();
    this.#ids.clear();
    this.#key = '';
  }
}
