// The gallery's state: the filter, the ordered ids it matches, the selection and the scroll
// position. One instance lives for the whole visit (the `gallery` singleton), so leaving the page
// and coming back finds the same filter, selection and place in the grid.

import { SvelteSet } from 'svelte/reactivity';
import { database } from '$lib/db/database';
import { applyMatches, defaultFilter, narrows, watchGalleryMatches, watchGalleryOrder, type GalleryFilter } from '$lib/db/images.repo';
import type { LiveRead } from '$lib/db/live-read';
import { GALLERY_HEAD_COUNT, readGalleryHead, takeGalleryHead } from '$lib/db/gallery-head';
import { headTiles, type FirstTiles } from './gallery-tiles.svelte';

/** One followed query: which filter it answers, its latest answer, and how to stop it. */
interface Follow<T> {
  key: string;
  value: T | undefined;
  stop: () => void;
}

export type Density = 'compact' | 'comfortable' | 'large';

/** Longest the full order waits for the first screen to be drawn. */
const SHOWN_WAIT_MS = 1_000;

/** Smallest tile edge per density; columns fill the width. */
export const densityTile: Record<Density, number> = { compact: 112, comfortable: 168, large: 260 };

export class GalleryState {
  filter = $state<GalleryFilter>({ ...defaultFilter });
  density = $state<Density>('comfortable');
  /** Ids in display order for the current filter. */
  keys = $state.raw<string[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  selected = new SvelteSet<string>();
  /**
   * The first screen's rows and thumbnails, read before the full order (prefetch()); the grid
   * takes them instead of reading them again. Dropped once the full order has answered.
   */
  firstScreen = $state.raw<FirstTiles | null>(null);
  /** Where the last plain or shift click landed, for shift-range selection. */
  anchor: string | null = null;
  /** Window scroll position when the grid was left, restored on return. */
  scrollY = 0;
  /**
   * The display order (changes with sort, trash and favorites) and the set the other filters allow
   * are followed apart: typing a search re-reads only the token ranges, never the 10,000-id order.
   * `value` is undefined until the current subscription's first answer.
   */
  #order: Follow<string[]> | null = null;
  #matches: Follow<Set<string> | null> | null = null;
  /** Views following the keys; the grid and the detail view overlap while navigating. */
  #watchers = 0;
  /** The first-screen read while it runs: the full order waits for it (see prefetch()). */
  #head: Promise<unknown> | null = null;
  #shown: (() => void) | null = null;

  get filtering(): boolean {
    const f = this.filter;
    return f.text.trim() !== '' || f.favorites || f.from !== null || f.to !== null || f.model !== null || f.kind !== null || f.sessionId !== null || f.batchId !== null;
  }

  /**
   * Starts reading what a cold visit shows first, as soon as the gallery's code loads (before the
   * page mounts), unless index.html has already started it: the newest images with their rows and
   * thumbnails (gallery-head.ts). Measured on a 10,000-image library in Chromium, the full order
   * (every id) takes 120-180 ms to read and was what the first thumbnails waited for; the head
   * read takes a fraction of that, so it goes first and the full order is read after it. Only for
   * the default view of a fresh visit: a return visit already has its keys, and any other filter
   * or sort has another head.
   */
  prefetch(): void {
    if (this.#head || this.loaded || this.keys.length > 0 || !isDefaultView(this.filter)) return;
    // A large desktop screen's worth at the default density, read by index.html's inline script
    // when it ran, else here on the app's connection. Null (an older schema, an error): the grid
    // waits for the full order, which reports errors.
    const early = takeGalleryHead();
    const head = (early ?? database().open().then((db) => readGalleryHead(GALLERY_HEAD_COUNT, db.backendDB())))
      .then((screen) => (screen ? headTiles(screen) : null))
      .then(async (screen) => {
        // The full order may have answered first (a tiny library), or the filter changed.
        if (!screen || this.loaded || this.keys.length > 0 || !isDefaultView(this.filter) || screen.ids.length === 0) return;
        const shown = new Promise<void>((resolve) => {
          this.#shown = resolve;
          // However the grid fares (hidden tab, broken thumbnails), the order is not held longer.
          setTimeout(resolve, SHOWN_WAIT_MS);
        });
        this.firstScreen = screen;
        this.keys = screen.ids;
        // The full order waits until these thumbnails have loaded: reading every id at the same
        // time delayed them by the length of that read.
        await shown;
      })
      .catch(() => {
        // The full order's read reports database errors; the grid simply waits for it.
      })
      .finally(() => {
        this.#shown = null;
        if (this.#head === head) this.#head = null;
      });
    this.#head = head;
  }

  /** The grid has drawn the first screen's thumbnails: the full order may be read now. */
  firstScreenShown(): void {
    this.#shown?.();
  }

  /**
   * Follows the ids matching the current filter. Call from an effect: it reads the filter, so the
   * effect reruns (and resubscribes where needed) when the filter changes; the returned function
   * unsubscribes.
   */
  watch(): () => void {
    const filter = $state.snapshot(this.filter);
    const order = { trash: filter.trash, sort: filter.sort, favorites: filter.favorites };
    const orderKey = JSON.stringify(order);
    if (this.#order?.key !== orderKey) {
      this.#order?.stop();
      this.#order = this.#follow(orderKey, watchGalleryOrder(database(), order), this.#head);
    }
    const matchKey = JSON.stringify(filter);
    if (this.#matches?.key !== matchKey) {
      this.#matches?.stop();
      // Nothing narrows the order: no query, so the grid waits only for the order.
      this.#matches = narrows(filter) ? this.#follow(matchKey, watchGalleryMatches(database(), filter)) : { key: matchKey, value: null, stop: () => {} };
      this.#combine();
    }
    this.#watchers++;
    return () => {
      // Only the last view to stop watching ends the subscriptions, and not when an effect tears
      // down only to run again with a new filter (synchronously): the order read for the old
      // filter is still the right one when only the search changed.
      if (--this.#watchers > 0) return;
      queueMicrotask(() => {
        if (this.#watchers > 0) return;
        this.#order?.stop();
        this.#matches?.stop();
        this.#order = this.#matches = null;
      });
    };
  }

  /** Subscribes to a source, after `after` settles when given (the first-screen read). */
  #follow<T>(key: string, source: LiveRead<T>, after: Promise<unknown> | null = null): Follow<T> {
    const follow: Follow<T> = { key, value: undefined, stop: () => {} };
    if (after) {
      let stopped = false;
      follow.stop = () => (stopped = true);
      void after.then(() => {
        if (!stopped) this.#subscribe(follow, source);
      });
      return follow;
    }
    this.#subscribe(follow, source);
    return follow;
  }

  #subscribe<T>(follow: Follow<T>, source: LiveRead<T>): void {
    const subscription = source.subscribe({
      next: (value) => {
        follow.value = value;
        this.#combine();
      },
      error: (error: unknown) => {
        this.error = error instanceof Error ? error.message : String(error);
        this.loaded = true;
      }
    });
    follow.stop = () => subscription.unsubscribe();
  }

  /** Publishes the keys once the order and the allowed set both answer for the current filter. */
  #combine(): void {
    const order = this.#order?.value;
    const matches = this.#matches?.value;
    if (order === undefined || matches === undefined) return;
    const keys = applyMatches(order, matches);
    this.keys = keys;
    this.loaded = true;
    this.firstScreen = null;
    this.error = null;
    if (this.selected.size === 0) return;
    // Drop selected ids that left the view (deleted, filtered out).
    const visible = new Set(keys);
    for (const id of this.selected) if (!visible.has(id)) this.selected.delete(id);
  }

  resetFilters(): void {
    this.filter = { ...defaultFilter, sort: this.filter.sort, trash: this.filter.trash };
  }

  showTrash(trash: boolean): void {
    this.filter.trash = trash;
    this.selected.clear();
    this.anchor = null;
    this.scrollY = 0;
  }

  /** A click on a tile's checkbox; with shift, selects everything between it and the anchor. */
  toggle(id: string, range: boolean): void {
    const anchorIndex = this.anchor === null ? -1 : this.keys.indexOf(this.anchor);
    if (range && anchorIndex >= 0) {
      const index = this.keys.indexOf(id);
      const [from, to] = index < anchorIndex ? [index, anchorIndex] : [anchorIndex, index];
      for (const key of this.keys.slice(from, to + 1)) this.selected.add(key);
    } else if (this.selected.has(id)) {
      this.selected.delete(id);
    } else {
      this.selected.add(id);
    }
    this.anchor = id;
  }

  selectAll(): void {
    for (const key of this.keys) this.selected.add(key);
  }

  clearSelection(): void {
    this.selected.clear();
    this.anchor = null;
  }

  /** The ids before and after one, in the current order (for the detail view's arrows and swipes). */
  neighbours(id: string): { previous: string | null; next: string | null; index: number } {
    const index = this.keys.indexOf(id);
    if (index < 0) return { previous: null, next: null, index };
    return { previous: this.keys[index - 1] ?? null, next: this.keys[index + 1] ?? null, index };
  }
}

/** The newest-first library without filters: what a fresh visit shows. */
function isDefaultView(filter: GalleryFilter): boolean {
  return !filter.trash && filter.sort === 'newest' && !filter.favorites && !narrows(filter);
}

/** The app's gallery state. */
export const gallery = new GalleryState();
