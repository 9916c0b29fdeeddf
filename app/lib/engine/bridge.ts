// The page's side of the engine. Pages and the studio call these functions; they start this tab's
// engine worker on first use (which joins the leader election) and talk to it through Comlink.
// Live progress does not go through the worker: every tab hears the leader on BroadcastChannel.
//
//   submit({ request, providerId, sessionId?, batchId?, priority? }) -> task id
//     Writes the task and its input images in one transaction; refuses with a readable Error when
//     the queue is full or the provider is unknown. Single generations run before batch work
//     (priority defaults to interactive unless a batchId is given).
//   cancel(id), cancelQueued(), stopAll(), retry(id), retryFailed()
//   onProgress(listener) -> unsubscribe: stage, bytes received, upstream text, partial previews.
//   watchLeadership(listener): whether this tab runs the engine.

import * as Comlink from 'comlink';
import type { EngineWorkerApi } from './engine.worker';
import type { SubmitInput } from './types';

export type { SubmitInput, TaskProgress } from './types';
export { PRIORITY } from './types';
export { onProgress } from './progress';

let worker: Worker | undefined;
let remote: Comlink.Remote<EngineWorkerApi> | undefined;
let forgetNetwork: (() => void) | undefined;

function engine(): Comlink.Remote<EngineWorkerApi> {
  if (remote) return remote;
  worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'atelier-engine' });
  remote = Comlink.wrap<EngineWorkerApi>(worker);
  const api = remote;
  const online = () => void api.setOnline(true);
  const offline = () => void api.setOnline(false);
  addEventListener('online', online);
  addEventListener('offline', offline);
  void api.setOnline(navigator.onLine);
  forgetNetwork = () => {
    removeEventListener('online', online);
    removeEventListener('offline', offline);
  };
  return api;
}

/** Starts this tab's engine worker so the tab can take the lead; safe to call many times. */
export function startEngine(): void {
  engine();
}

/** Ends this tab's worker; another tab's engine takes over the queue. */
export function stopEngine(): void {
  forgetNetwork?.();
  remote?.[Comlink.releaseProxy]();
  worker?.terminate();
  worker = undefined;
  remote = undefined;
}

export function submit(input: SubmitInput): Promise<string> {
  return engine().submit(input);
}

export function cancel(id: string): Promise<boolean> {
  return engine().cancel(id);
}

export function cancelQueued(): Promise<number> {
  return engine().cancelQueued();
}

export function stopAll(): Promise<number> {
  return engine().stopAll();
}

export function retry(id: string): Promise<boolean> {
  return engine().retry(id);
}

export function retryFailed(): Promise<number> {
  return engine().retryFailed();
}

export function watchLeadership(listener: (leading: boolean) => void): void {
  void engine().watchLeadership(Comlink.proxy(listener));
}
