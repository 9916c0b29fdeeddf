// The task center's state: the live task list (newest first, filtered by status), counts per
// status, live progress heard from the engine's BroadcastChannel, and the actions.
//
// The page renders from IndexedDB alone. The engine bridge (Comlink and this tab's engine worker)
// is loaded only when something needs it: an action (Retry, Cancel, Retry all failed, Stop all),
// unfinished work, or an engine at work in another tab (then this tab shows live progress and
// stands ready to take over). An empty task center never downloads the engine.

import { SvelteMap, createSubscriber } from 'svelte/reactivity';
import { database, type AtelierDatabase } from '$lib/db/database';
import { watchTaskLogs } from '$lib/db/logs.repo';
import type { LogRecord, TaskRecord, TaskStatus } from '$lib/db/records';
import { watchTaskCounts, watchTasks, type TaskCounts } from '$lib/db/tasks.repo';
import { onProgress } from '$lib/engine/progress';
import type { TaskProgress } from '$lib/engine/types';
import type { LiveRead } from '$lib/db/live-read';
import { Live } from './studio-live.svelte';

/** How many recent tasks the center lists (the queue holds at most 500 waiting ones). */
export const TASK_LIST_LIMIT = 1000;

export const TASK_STATUSES: readonly TaskStatus[] = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'interrupted'];

const NO_COUNTS: TaskCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0, interrupted: 0 };

/** What is known live about a running task beyond its row. */
export interface LiveProgress {
  bytes?: number;
  text?: string;
  percent?: number;
  /** An object URL of the latest partial preview (revoked when replaced or the task ends). */
  previewUrl?: string;
  waiting?: TaskProgress['waiting'];
}

/** Whether this tab's engine runs: not loaded (no work seen), loading, leading or following. */
export type EngineState = 'idle' | 'starting' | 'leader' | 'follower';

type Bridge = typeof import('$lib/engine/bridge');

/**
 * The task list as plain rows (no deep proxies), where a row whose `updatedAt` did not change
 * stays the very same object: every task write re-reads the list, and only the rows that changed
 * then re-render.
 */
class TaskList {
  #rows = $state.raw<TaskRecord[]>([]);
  #loaded = $state(false);
  readonly #subscribe: () => void;

  constructor(source: () => LiveRead<TaskRecord[]>) {
    this.#subscribe = createSubscriber(() => {
      let previous = new Map<string, TaskRecord>();
      const subscription = source().subscribe({
        next: (rows) => {
          const kept = new Map<string, TaskRecord>();
          this.#rows = rows.map((row) => {
            const old = previous.get(row.id);
            const same = old && old.updatedAt === row.updatedAt ? old : row;
            kept.set(row.id, same);
            return same;
          });
          previous = kept;
          this.#loaded = true;
        },
        // A failed read leaves the last rows in place rather than breaking the page.
        error: () => (this.#loaded = true)
      });
      return () => subscription.unsubscribe();
    });
  }

  get rows(): TaskRecord[] {
    this.#subscribe();
    return this.#rows;
  }

  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }
}

export class TasksState {
  /** Null shows every status. */
  status = $state<TaskStatus | null>(null);
  readonly #db: AtelierDatabase;
  readonly #list = $derived(new TaskList(() => watchTasks(this.#db, { status: this.status, limit: TASK_LIST_LIMIT })));
  readonly #counts: Live<TaskCounts>;
  readonly #progress = new SvelteMap<string, LiveProgress>();
  readonly #listen: () => void;
  #bridge: Promise<Bridge> | null = null;
  #engine = $state<EngineState>('idle');
  #online = $state(true);

  constructor(db: AtelierDatabase = database()) {
    this.#db = db;
    this.#counts = new Live(() => watchTaskCounts(db), NO_COUNTS);
    this.#listen = createSubscriber(() => {
      // Another tab's engine at work: show its progress live and be ready to take over.
      const stopProgress = onProgress(
        (progress) => this.#apply(progress),
        () => void this.#loadEngine()
      );
      // Unfinished work in the queue wants an engine, here or in another tab.
      const stopWatching = $effect.root(() => {
        $effect(() => {
          if (this.unfinished > 0) void this.#loadEngine();
        });
      });
      const update = () => (this.#online = navigator.onLine);
      update();
      addEventListener('online', update);
      addEventListener('offline', update);
      return () => {
        stopProgress();
        stopWatching();
        removeEventListener('online', update);
        removeEventListener('offline', update);
      };
    });
  }

  get tasks(): TaskRecord[] {
    return this.#list.rows;
  }

  get loaded(): boolean {
    return this.#list.loaded;
  }

  get counts(): TaskCounts {
    return this.#counts.current;
  }

  get total(): number {
    const counts = this.counts;
    return TASK_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  }

  /** What "Stop all" would stop. */
  get unfinished(): number {
    return this.counts.queued + this.counts.running;
  }

  /** What "Retry all failed" would retry. */
  get retryable(): number {
    return this.counts.failed + this.counts.interrupted;
  }

  /** This tab's engine: idle until there is work (nothing downloaded), then leading or following. */
  get engine(): EngineState {
    this.#listen();
    return this.#engine;
  }

  get online(): boolean {
    this.#listen();
    return this.#online;
  }

  progressOf(id: string): LiveProgress | undefined {
    this.#listen();
    return this.#progress.get(id);
  }

  /** One task's log entries (its debug view). */
  logsOf(id: string): Live<LogRecord[]> {
    return new Live(() => watchTaskLogs(this.#db, id), [] as LogRecord[]);
  }

  retry = async (id: string): Promise<boolean> => (await this.#loadEngine()).retry(id);
  cancel = async (id: string): Promise<boolean> => (await this.#loadEngine()).cancel(id);
  retryFailed = async (): Promise<number> => (await this.#loadEngine()).retryFailed();
  stopAll = async (): Promise<number> => (await this.#loadEngine()).stopAll();

  /** The engine bridge, loaded on first need; loading it starts this tab's worker, which joins the leader election. */
  #loadEngine(): Promise<Bridge> {
    if (!this.#bridge) {
      this.#engine = 'starting';
      this.#bridge = import('$lib/engine/bridge').then((bridge) => {
        bridge.watchLeadership((leading) => (this.#engine = leading ? 'leader' : 'follower'));
        return bridge;
      });
    }
    return this.#bridge;
  }

  #apply(progress: TaskProgress): void {
    const known = this.#progress.get(progress.taskId);
    const previous = known ?? {};
    if (progress.stage === 'sending' || progress.ended) {
      // A new attempt, or the end of one: what was received live no longer applies.
      if (previous.previewUrl) URL.revokeObjectURL(previous.previewUrl);
      if (progress.ended) this.#progress.delete(progress.taskId);
      else if (!known || Object.keys(known).length > 0) this.#progress.set(progress.taskId, {});
      return;
    }
    // Most messages only move the stage, which the row shows from the database: no update (a
    // queue of small tasks sends several a second per task, each re-rendering the row).
    const unchanged =
      progress.bytes === undefined && progress.text === undefined && progress.percent === undefined && !progress.preview && progress.waiting === previous.waiting;
    if (unchanged) return;
    const next: LiveProgress = { ...previous };
    if (progress.bytes !== undefined) next.bytes = progress.bytes;
    if (progress.text !== undefined) next.text = progress.text;
    if (progress.percent !== undefined) next.percent = progress.percent;
    next.waiting = progress.waiting;
    if (progress.preview) {
      if (previous.previewUrl) URL.revokeObjectURL(previous.previewUrl);
      next.previewUrl = URL.createObjectURL(progress.preview);
    }
    this.#progress.set(progress.taskId, next);
  }
}

export const tasks = new TasksState();
