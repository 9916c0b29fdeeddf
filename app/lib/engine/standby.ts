// A tab joins the engine's leader election only when there is work for an engine, so a first visit
// does not download the engine worker: when the queue holds unfinished tasks, or when another tab's
// engine announces work or leadership (this tab must then be ready to take over if that tab closes).
// Submitting from this tab starts the engine through the bridge anyway.

import { ENGINE_CHANNEL } from './types';

export function joinEngineWhenNeeded(): () => void {
  let joined = false;
  const channel = new BroadcastChannel(ENGINE_CHANNEL);
  const join = () => {
    if (joined) return;
    joined = true;
    channel.close();
    void import('./bridge').then(({ startEngine }) => startEngine());
  };
  channel.onmessage = join;

  const checkQueue = async () => {
    const [{ database }, { TasksRepo }] = await Promise.all([import('$lib/db/database'), import('$lib/db/tasks.repo')]);
    if (await new TasksRepo(database()).hasUnfinished()) join();
  };
  // Not part of the first paint: look at the queue once the page is idle.
  const idle = (callback: () => void) =>
    'requestIdleCallback' in globalThis ? requestIdleCallback(callback, { timeout: 3000 }) : setTimeout(callback, 1000);
  idle(() => void checkQueue());

  return () => {
    if (!joined) channel.close();
    joined = true;
  };
}
