// The gallery's state: the filter, the ordered ids it matches, the selection and the scroll
// position. One instance lives for the whole visit (the `gallery` singleton), so leaving the page
// and coming back finds the same filter, selection and place in the grid.

import { SvelteSet } from 'svelte/reactivity';
import { database } from '$lib/db/database';
import { applyMatches, defaultFilter, narrows, watchGalleryMatches, watchGalleryOrder, type GalleryFilter, type ImagesQuery } from '$lib/db/images.repo';

/** One followed query: which filter it answers, its latest answer, and how to stop it. */
interface Follow<T> {
  key: string;
  value: T | undefined;
  stop: () => void;
}

export type Density = 'compact' | 'comfortable' | 'large';

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

  get filtering(): boolean {
    const f = this.filter;
    return f.text.trim() !== '' || f.favorites || f.from !== null || f.to !== null || f.model !== null || f.kind !== null || f.sessionId !== null || f.batchId !== null;
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
      this.#order = this.#follow(orderKey, watchGalleryOrder(database(), order));
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

  #follow<T>(key: string, source: ImagesQuery<T>): Follow<T> {
    const follow: Follow<T> = { key, value: undefined, stop: () => {} };
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
    return follow;
  }

  /** Publishes the keys once the order and the allowed set both answer for the current filter. */
  #combine(): void {
    const order = this.#order?.value;
    const matches = this.#matches?.value;
    if (order === undefined || matches === undefined) return;
    const keys = applyMatches(order, matches);
    this.keys = keys;
    this.loaded = true;
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

/** The app's gallery state. */
export const gallery = new GalleryState();
