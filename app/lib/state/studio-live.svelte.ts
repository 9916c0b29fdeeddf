import { createSubscriber } from 'svelte/reactivity';
import type { LiveRead } from '$lib/db/live-read';

/**
 * A live database read for runes code: subscribes while something renders `current` and stops when
 * nothing does (STYLE.md §5). `loaded` tells "no rows" from "not read yet", so pages can avoid
 * flashing an empty state before the first answer.
 */
export class Live<T> {
  #value: T = $state() as T;
  #loaded = $state(false);
  #subscribe: () => void;

  constructor(source: () => LiveRead<T>, initial: T) {
    this.#value = initial;
    this.#subscribe = createSubscriber(() => {
      const subscription = source().subscribe({
        next: (value) => {
          this.#value = value;
          this.#loaded = true;
        },
        // A failed read leaves the last value in place (an empty list at first) rather than breaking the page.
        error: () => {
          this.#loaded = true;
        }
      });
      return () => subscription.unsubscribe();
    });
  }

  get current(): T {
    this.#subscribe();
    return this.#value;
  }

  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }
}
