// Online/offline as the engine sees it. In the worker, the worker's own `online`/`offline` events
// and the page's (forwarded by the bridge) both feed one NetworkState, since either may be the
// first to notice.

import type { NetworkStatus } from './types';

export class NetworkState implements NetworkStatus {
  #online: boolean;
  readonly #listeners = new Set<(online: boolean) => void>();

  constructor(online = true) {
    this.#online = online;
  }

  get online(): boolean {
    return this.#online;
  }

  set(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    for (const listener of this.#listeners) listener(online);
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
