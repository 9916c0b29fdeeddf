// What the grid's visible window needs: the rows (for alt text and badges) and thumbnail object
// URLs of the tiles on screen. Profiled in Chromium with 10,000 images, a thumbnail costs the main
// thread far more than its row: the IndexedDB reply carrying a Blob, URL.createObjectURL and the
// image request are each around a millisecond on a busy machine. So:
//
// - nothing is read for a tile that only flashes past: while the page scrolls, a tile is loaded
//   once it has stayed in the window for DWELL_MS (a fling through thousands of images reads
//   none of them); when the window changes for another reason (first view, a new filter) it loads
//   at once;
// - reads happen in small batches, one after the other, so no single task handles dozens of
//   Blob replies, and tiles on screen go before the overscan;
// - rows and URLs are kept in small LRU caches, so scrolling back is free; a URL is revoked when
//   it falls out of its cache, which bounds memory however far one scrolls;
// - rows are cached by id and refreshed after writes to the images table (onTableChanged)
//   instead of a liveQuery per window, which cost a transaction and a subscription every frame;
// - the first screen of a cold visit comes already read (adopt()), so it costs no read at all,
//   and its thumbnails come as data: URLs (headTiles()): no URL.createObjectURL (a synchronous
//   call to the browser process, about half a millisecond each on a busy machine) and no
//   blob: request per image, which completed only once the main thread was free again; an <img>
//   with a data: URL has its bytes at once and only decodes.

import { encodeBase64 } from '$lib/core/extract/base64';
import { database } from '$lib/db/database';
import type { GalleryHead } from '$lib/db/gallery-head';
import { getImages, getThumbs } from '$lib/db/images.repo';
import { onTableChanged } from '$lib/db/live-read';
import type { ImageRecord } from '$lib/db/records';

/** A first screen ready to draw: its rows, and its thumbnails as data: URLs by id. */
export interface FirstTiles {
  ids: string[];
  rows: ImageRecord[];
  urls: Map<string, string>;
}

/** A first screen read ahead (gallery-head.ts) ready to draw: its thumbnail bytes as data: URLs. */
export function headTiles(head: GalleryHead): FirstTiles {
  return { ids: head.ids, rows: head.rows, urls: new Map(head.thumbs.map((thumb) => [thumb.id, dataUrl(thumb.type, thumb.bytes)])) };
}

function dataUrl(type: string, bytes: ArrayBuffer): string {
  return `data:${type || 'application/octet-stream'};base64,${encodeBase64(new Uint8Array(bytes))}`;
}

/** How long a tile must stay in the window during a scroll before it is read. */
const DWELL_MS = 120;
/** Thumbnails per read during and after scrolls; each Blob reply and object URL costs main-thread time. */
const THUMB_BATCH = 12;
/** A window that was not scrolled to (first view, new filter) reads its screen in one go. */
const FIRST_BATCH = 48;
/** Rows are small (no image bytes): one read for the whole window. */
const ROW_BATCH = 120;
/** Cache sizes: a few windows' worth, so scrolling back and forth reads nothing. */
const MAX_ROWS = 1_000;
const MAX_URLS = 300;

export class TileWindow {
  rows = $state.raw(new Map<string, ImageRecord>());
  urls = $state.raw(new Map<string, string>());
  /** Ids in the window, those on screen first. */
  #ids: string[] = [];
  #inWindow = new Set<string>();
  /** When each id entered the window (0: not during a scroll, so load at once). */
  #since = new Map<string, number>();
  #lastScroll = -Infinity;
  /** The window changed without a scroll: the next thumbnail read may be a large one. */
  #burst = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #frame = 0;
  #reading = false;
  #stale = false;
  /** Thumbnail URLs read ahead (adopt()), used instead of a read until the rows change. */
  #adopted = new Map<string, string>();
  #adoptedFrom: FirstTiles | null = null;
  /** Read-ahead thumbnails on screen not yet loaded by their <img>, and who waits for them. */
  #adoptedPending = new Set<string>();
  #visible = 0;
  #onAdoptedShown: (() => void) | null = null;
  #stopWatching: () => void;

  constructor() {
    this.#stopWatching = onTableChanged(database(), 'images', () => {
      // A favorite, a tag or a deletion: drop the cached rows; the window re-reads its own.
      this.#stale = true;
      this.#schedule(0);
    });
  }

  /**
   * Takes rows and thumbnails read ahead of the grid, once per first screen; `onShown` runs when
   * the first batch of them has loaded in its <img>s (see loaded()).
   */
  adopt(screen: FirstTiles, onShown?: () => void): void {
    if (this.#adoptedFrom === screen) return;
    this.#adoptedFrom = screen;
    this.#onAdoptedShown = onShown ?? null;
    this.rows = this.#keepRows(screen.rows, false);
    for (const [id, url] of screen.urls) if (!this.urls.has(id)) this.#adopted.set(id, url);
  }

  /** The page scrolled: tiles entering the window from now on wait for DWELL_MS. */
  scrolled(): void {
    this.#lastScroll = performance.now();
  }

  /** Shows exactly these ids: the first `visible` on screen, then the overscan. */
  show(ids: readonly string[], visible = ids.length): void {
    const now = performance.now();
    const scrolling = now - this.#lastScroll < DWELL_MS;
    this.#burst = !scrolling;
    const since = new Map<string, number>();
    for (const id of ids) since.set(id, this.#since.get(id) ?? (scrolling ? now : 0));
    this.#since = since;
    this.#ids = [...ids];
    this.#inWindow = new Set(ids);
    this.#visible = visible;
    // A tile scrolled away before its first image loaded will not report it.
    for (const id of this.#adoptedPending) if (!this.#inWindow.has(id)) this.loaded(id);
    // Thumbnails already read need no wait: the first screen shows in this very frame.
    this.#useAdopted(this.#ids.filter((id) => (since.get(id) ?? 0) === 0));
    // The rest is read once the window's new state (a search's count and tiles) has painted: its
    // Blob replies and object URLs would otherwise hold that frame back.
    this.#scheduleAfterPaint();
  }

  #schedule(delay: number): void {
    clearTimeout(this.#timer);
    cancelFrame(this.#frame);
    this.#timer = setTimeout(() => void this.#read(), delay);
  }

  #scheduleAfterPaint(): void {
    clearTimeout(this.#timer);
    cancelFrame(this.#frame);
    // The frame callback runs before that frame paints; the read goes in a task after it.
    this.#frame = nextFrame(() => this.#schedule(0));
  }

  /** Reads one batch of what is due, then schedules the next (or a wake-up for pending tiles). */
  async #read(): Promise<void> {
    if (this.#reading) return;
    const now = performance.now();
    const due: string[] = [];
    let wake = Infinity;
    for (const id of this.#ids) {
      const since = this.#since.get(id) ?? 0;
      const ready = since === 0 ? 0 : since + DWELL_MS;
      if (ready <= now) due.push(id);
      else wake = Math.min(wake, ready - now);
    }
    if (this.#useAdopted(due)) return;
    const stale = this.#stale;
    if (stale) this.#adopted.clear();
    const rowIds = due.filter((id) => stale || !this.rows.has(id)).slice(0, ROW_BATCH);
    const thumbIds = due.filter((id) => !this.urls.has(id) && !this.#adopted.has(id)).slice(0, this.#burst ? FIRST_BATCH : THUMB_BATCH);
    if (rowIds.length === 0 && thumbIds.length === 0) {
      if (wake < Infinity) this.#schedule(wake);
      return;
    }
    this.#reading = true;
    this.#stale = false;
    this.#burst = false;
    try {
      const db = database();
      const [rows, thumbs] = await Promise.all([rowIds.length > 0 ? getImages(db, rowIds) : [], thumbIds.length > 0 ? getThumbs(db, thumbIds) : []]);
      if (rowIds.length > 0) this.rows = this.#keepRows(rows, stale);
      if (thumbIds.length > 0) {
        const made: [string, string][] = [];
        thumbs.forEach((thumb, i) => {
          const id = thumbIds[i]!;
          // Scrolled past while reading: no URL is made for a tile that is gone.
          if (thumb && this.#inWindow.has(id) && !this.urls.has(id)) made.push([id, URL.createObjectURL(thumb.blob)]);
        });
        if (made.length > 0) this.urls = this.#keepUrls(made);
      }
    } catch {
      // The tiles keep their placeholders; the grid's own query reports database errors.
    } finally {
      this.#reading = false;
    }
    // The next batch in a later task, so the main thread can paint (and take input) in between.
    this.#schedule(0);
  }

  /**
   * Shows thumbnails read ahead, without a read: those on screen first, the overscan's once the
   * first have loaded (their decoding would otherwise compete). True when it showed some.
   */
  #useAdopted(due: readonly string[]): boolean {
    if (this.#adopted.size === 0 || this.#stale || this.#adoptedPending.size > 0) return false;
    const adopted = due.filter((id) => this.#adopted.has(id) && !this.urls.has(id)).slice(0, Math.max(1, this.#visible));
    if (adopted.length === 0) return false;
    this.urls = this.#keepUrls(adopted.map((id) => [id, this.#adopted.get(id)!]));
    for (const id of adopted) {
      this.#adopted.delete(id);
      this.#adoptedPending.add(id);
    }
    return true;
  }

  /** A tile's <img> loaded (or failed): after the first screen's, the rest may go. */
  loaded(id: string): void {
    if (!this.#adoptedPending.delete(id) || this.#adoptedPending.size > 0) return;
    this.#onAdoptedShown?.();
    this.#onAdoptedShown = null;
    this.#schedule(0);
  }

  #keepRows(fresh: ImageRecord[], stale: boolean): Map<string, ImageRecord> {
    const rows = new Map(stale ? [] : this.rows);
    for (const row of fresh) {
      rows.delete(row.id);
      rows.set(row.id, row);
    }
    for (const id of rows.keys()) {
      if (rows.size <= MAX_ROWS) break;
      if (!this.#inWindow.has(id)) rows.delete(id);
    }
    return rows;
  }

  /** Adds new URLs as most recent and revokes the least recently added beyond MAX_URLS. */
  #keepUrls(made: [string, string][]): Map<string, string> {
    const urls = new Map(this.urls);
    // Tiles still in the window are kept fresh in the LRU order.
    for (const id of this.#ids) {
      const url = urls.get(id);
      if (url === undefined) continue;
      urls.delete(id);
      urls.set(id, url);
    }
    for (const [id, url] of made) urls.set(id, url);
    for (const [id, url] of urls) {
      if (urls.size <= MAX_URLS) break;
      if (this.#inWindow.has(id)) continue;
      revoke(url);
      urls.delete(id);
    }
    return urls;
  }

  destroy(): void {
    clearTimeout(this.#timer);
    cancelFrame(this.#frame);
    this.#stopWatching();
    for (const url of this.urls.values()) revoke(url);
    this.urls = new Map();
    this.rows = new Map();
    this.#ids = [];
    this.#adopted.clear();
    this.#adoptedPending.clear();
    this.#inWindow.clear();
    this.#since.clear();
  }
}

/** Object URLs hold their Blob until revoked; data: URLs (the first screen's) are plain strings. */
function revoke(url: string): void {
  if (url.startsWith('blob:')) URL.revokeObjectURL(url);
}

// Frames where there are any (pages); a plain timer elsewhere (Node tests).
const nextFrame = (callback: () => void): number => (typeof requestAnimationFrame === 'function' ? requestAnimationFrame(callback) : (setTimeout(callback, 0) as unknown as number));
const cancelFrame = (frame: number): void => (typeof cancelAnimationFrame === 'function' ? cancelAnimationFrame(frame) : clearTimeout(frame));
