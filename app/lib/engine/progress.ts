// Live progress as any page hears it: the leading tab's engine says it on the BroadcastChannel, so
// listening needs neither Comlink nor this tab's engine worker (the task center listens before, or
// without, starting an engine of its own).

import { ENGINE_CHANNEL, type EngineMessage, type TaskProgress } from './types';

/** Live progress of every task, from whichever tab leads; `onMessage` hears every word said. Returns the unsubscribe. */
export function onProgress(listener: (progress: TaskProgress) => void, onMessage?: (message: EngineMessage) => void): () => void {
  const channel = new BroadcastChannel(ENGINE_CHANNEL);
  channel.onmessage = (event: MessageEvent<EngineMessage>) => {
    onMessage?.(event.data);
    if (event.data.type === 'progress') listener(event.data.progress);
  };
  return () => channel.close();
}
