// App updates that never cost anyone their work. A new version (a new service worker) installs in
// the background and waits; the prompt offers it; the reload happens only when the person accepts
// AND nothing would be lost: no task running in this profile and no feature holding the app
// (an unsaved prompt, an import in progress). Accepted while busy, it waits and says why, then
// applies on its own once the last hold is released.
//
// Features report work with a hold:
//
//   const release = appUpdate.holdWhile('prompt');   // e.g. while the prompt box has unsent text
//   ...
//   release();                                        // safe to call more than once
//
// Running tasks need no hold: they are read from the tasks table, so work in any tab counts.

import { SvelteMap } from 'svelte/reactivity';
import { registerSW } from 'virtual:pwa-register';
import { whenSettled } from './settled';

/** Why a reload has to wait; each has its own explanation in the prompt (pwa.update.wait.*). */
export type HoldReason = 'task' | 'prompt' | 'transfer';

/** The order reasons are explained in: the work that is hardest to redo first. */
const REASON_ORDER: readonly HoldReason[] = ['task', 'transfer', 'prompt'];

/** Subscribes to the number of running tasks; returns the unsubscribe. */
export type RunningTasksSource = (listener: (running: number) => void) => () => void;

export interface AppUpdateOptions {
  runningTasks?: RunningTasksSource;
}

export class AppUpdate {
  #available = $state(false);
  #accepted = $state(false);
  #dismissed = $state(false);
  readonly #holds = new SvelteMap<number, HoldReason>();
  #nextHold = 0;
  /** Applies the waiting version; cleared once called so it runs at most once per offer. */
  #apply: (() => void) | undefined;
  #runningTasks: RunningTasksSource | undefined;
  #stopWatchingTasks: (() => void) | undefined;
  #releaseTaskHold: (() => void) | undefined;

  constructor(options: AppUpdateOptions = {}) {
    this.#runningTasks = options.runningTasks;
  }

  /** A new version is installed and waiting. */
  get available(): boolean {
    return this.#available;
  }

  /** The prompt is on screen: a version waits and the person has not put it off. */
  get prompting(): boolean {
    return this.#available && !this.#dismissed;
  }

  /** The person accepted, and the reload waits for work to finish. */
  get waiting(): boolean {
    return this.#accepted && this.busy;
  }

  get busy(): boolean {
    return this.#holds.size > 0;
  }

  /** What the app is waiting for, each reason once, most important first. */
  get reasons(): HoldReason[] {
    const held = new Set(this.#holds.values());
    return REASON_ORDER.filter((reason) => held.has(reason));
  }

  /** Keeps the app from reloading until the returned function is called. */
  holdWhile(reason: HoldReason): () => void {
    const id = this.#nextHold++;
    this.#holds.set(id, reason);
    return () => {
      if (this.#holds.delete(id)) this.#settle();
    };
  }

  /**
   * A new version waits; `apply` activates it (and reloads). `accepted` is for a version another
   * tab already accepted: it controls this tab too, so this tab reloads as soon as it is idle.
   */
  offer(apply: () => void, { accepted = false }: { accepted?: boolean } = {}): void {
    this.#apply = apply;
    this.#available = true;
    this.#dismissed = false;
    if (accepted) this.#accepted = true;
    this.#watchTasks();
    this.#settle();
  }

  /** The person chose Reload: apply now, or as soon as nothing holds the app. */
  accept(): void {
    this.#accepted = true;
    this.#settle();
  }

  /** "Later": hide the prompt and drop a pending reload; the version is offered again next time. */
  dismiss(): void {
    this.#dismissed = true;
    this.#accepted = false;
  }

  /** Stops watching tasks (tests; the app's instance lives as long as the page). */
  destroy(): void {
    this.#stopWatchingTasks?.();
    this.#stopWatchingTasks = undefined;
    this.#releaseTaskHold?.();
    this.#releaseTaskHold = undefined;
  }

  /** Tasks matter only while a version waits, so the tasks table is not watched before. */
  #watchTasks(): void {
    if (this.#stopWatchingTasks || !this.#runningTasks) return;
    this.#stopWatchingTasks = this.#runningTasks((running) => {
      if (running > 0 && !this.#releaseTaskHold) {
        this.#releaseTaskHold = this.holdWhile('task');
      } else if (running === 0 && this.#releaseTaskHold) {
        const release = this.#releaseTaskHold;
        this.#releaseTaskHold = undefined;
        release();
      }
    });
  }

  #settle(): void {
    if (!this.#accepted || !this.#available || this.busy || !this.#apply) return;
    const apply = this.#apply;
    this.#apply = undefined;
    apply();
  }
}

/**
 * The database code loads only once a version waits: the shell itself stays small on every page
 * (the first-load budget), and most visits never see an update.
 */
const runningTasksInDatabase: RunningTasksSource = (listener) => {
  let stopped = false;
  let unsubscribe = () => {};
  void Promise.all([import('$lib/db/database'), import('$lib/db/tasks.repo')]).then(([{ database }, { watchTaskCounts }]) => {
    if (stopped) return;
    const subscription = watchTaskCounts(database()).subscribe({
      next: (counts) => listener(counts.running),
      // Unreadable storage also stops the engine, so no task can be running: do not block forever.
      error: () => listener(0)
    });
    unsubscribe = () => subscription.unsubscribe();
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
};

export const appUpdate = new AppUpdate({ runningTasks: runningTasksInDatabase });

/** How long after the load event the service worker is registered. */
const REGISTER_DELAY_MS = 2000;

/** A long-open tab would never hear of a new version from navigations alone (the SPA makes none). */
const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Coming back to the tab checks too, but not more often than this. */
const MIN_CHECK_GAP_MS = 10 * 60 * 1000;

/**
 * Registers the service worker and feeds its updates to `update`. Call once, from the root layout.
 * Registration waits until the page has loaded and gone idle: it downloads workbox-window and, on
 * a first visit, installing fetches the whole app, neither of which may compete with the page
 * being opened.
 */
export function startAppUpdates(update: AppUpdate = appUpdate): void {
  if (!('serviceWorker' in navigator)) return;
  whenSettled(() => registerAppUpdates(update), REGISTER_DELAY_MS);
}

function registerAppUpdates(update: AppUpdate): void {
  let offered: ServiceWorker | null = null;
  const applyWaitingVersion = registerSW({
    immediate: true,
    onNeedRefresh() {
      // workbox-window may report one waiting worker twice (installed, then waiting); offering it
      // once keeps a "Later" from being undone a moment after.
      void navigator.serviceWorker.getRegistration().then((registration) => {
        const waiting = registration?.waiting ?? null;
        if (waiting && waiting === offered) return;
        offered = waiting;
        // Tells the waiting worker to take over; the controller change below then reloads.
        update.offer(() => void applyWaitingVersion());
      });
    },
    // Without this, workbox-window would reload on its own, busy or not. It also misses the case
    // of a tab whose first visit installed the worker, so the controller change below decides.
    onNeedReload() {},
    onRegisteredSW(_url, registration) {
      if (registration) checkForUpdatesRegularly(registration);
    }
  });

  let controller = navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    const previous = controller;
    controller = navigator.serviceWorker.controller;
    // No previous worker: the first install claimed this page, and the page already is that version.
    if (!previous) return;
    // A new version took over (accepted here or in another tab): this page's code is the old one,
    // and its lazy chunks are gone from the cache, so reload into the new version once idle.
    update.offer(() => location.reload(), { accepted: true });
  });
}

function checkForUpdatesRegularly(registration: ServiceWorkerRegistration): void {
  let lastCheck = Date.now();
  const check = () => {
    if (!navigator.onLine || Date.now() - lastCheck < MIN_CHECK_GAP_MS) return;
    lastCheck = Date.now();
    // A failed check (server away) just means no update this time.
    registration.update().catch(() => {});
  };
  setInterval(check, UPDATE_CHECK_INTERVAL_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
}
