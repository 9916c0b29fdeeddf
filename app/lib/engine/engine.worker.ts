// The engine's worker: the composition root (real database, Web Locks, the browser's network
// events and image codecs) and the thin Comlink boundary. Logic lives in engine.ts.
/// <reference lib="webworker" />

import * as Comlink from 'comlink';
import { database } from '$lib/db/database';
import { Engine } from './engine';
import type { ImagingWorkerApi } from './imaging.worker';
import { webLocksLeader } from './locks';
import { NetworkState } from './network';
import { broadcastChannel, type ImageTools, type SubmitInput } from './types';

declare const self: DedicatedWorkerGlobalScope;

const network = new NetworkState(self.navigator.onLine);
self.addEventListener('online', () => network.set(true));
self.addEventListener('offline', () => network.set(false));

// Images are decoded and thumbnailed in a worker of their own (see imaging.worker.ts), started
// when the first result arrives.
let imaging: Comlink.Remote<ImagingWorkerApi> | undefined;
const imagingWorker = (): Comlink.Remote<ImagingWorkerApi> =>
  (imaging ??= Comlink.wrap<ImagingWorkerApi>(new Worker(new URL('./imaging.worker.ts', import.meta.url), { type: 'module', name: 'atelier-imaging' })));
const images: ImageTools = {
  process: (bytes, mime) => imagingWorker().process(bytes, mime),
  preview: (bytes, mime) => imagingWorker().preview(bytes, mime)
};

// Opening the database goes on while the engine waits for the leader lock, not after it.
const db = database();
db.open().catch(() => undefined /* the engine's first query reports why */);

const engine = new Engine({
  db,
  images,
  lock: webLocksLeader(self.navigator.locks),
  channel: broadcastChannel(),
  network
});
engine.start();

const api = {
  /** Queues a generation (its input images are stored with it); resolves to the task id. */
  submit: (input: SubmitInput): Promise<string> => engine.submit(input),
  cancel: (id: string): Promise<boolean> => engine.cancel(id),
  cancelQueued: (): Promise<number> => engine.cancelQueued(),
  stopAll: (): Promise<number> => engine.stopAll(),
  retry: (id: string): Promise<boolean> => engine.retry(id),
  retryFailed: (): Promise<number> => engine.retryFailed(),
  /** The page's online/offline events (the page may notice before the worker does). */
  setOnline: (online: boolean): void => network.set(online),
  /** Calls back now and whenever this tab's engine starts or stops leading. */
  watchLeadership: (listener: (leading: boolean) => void): void => {
    engine.onLeadership(listener);
  }
};

export type EngineWorkerApi = typeof api;

Comlink.expose(api);
