// The task center's state: the live task list (newest first, filtered by status), counts per
// status, live progress heard from the engine's BroadcastChannel, and the actions.

import { SvelteMap, createSubscriber } from 'svelte/reactivity';
import { database, type AtelierDatabase } from '$lib/db/database';
import { watchTaskLogs } from '$lib/db/logs.repo';
import type { LogRecord, TaskRecord, TaskStatus } from '$lib/db/records';
import { watchTaskCounts, watchTasks, type TaskCounts } from '$lib/db/tasks.repo';
import * as engine from '$lib/engine/bridge';
import type { TaskProgress } from '$lib/engine/bridge';
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

export class TasksState {
  /** Null shows every status. */
  status = $state<TaskStatus | null>(null);
  readonly #db: AtelierDatabase;
  readonly #list = $derived(new Live(() => watchTasks(this.#db, { status: this.status, limit: TASK_LIST_LIMIT }), [] as TaskRecord[]));
  readonly #counts: Live<TaskCounts>;
  readonly #progress = new SvelteMap<string, LiveProgress>();
  readonly #listenProgress: () => void;
  #leading = $state<boolean | null>(null);
  #online = $state(true);
  readonly #listenEngine: () => void;

  constructor(db: AtelierDatabase = database()) {
    this.#db = db;
    this.#counts = new Live(() => watchTaskCounts(db), NO_COUNTS);
    this.#listenProgress = createSubscriber(() => engine.onProgress((progress) => this.#apply(progress)));
    this.#listenEngine = createSubscriber(() => {
      // Opening the task center starts this tab's engine, so the tab can take the lead.
      engine.watchLeadership((leading) => (this.#leading = leading));
      const update = () => (this.#online = navigator.onLine);
      update();
      addEventListener('online', update);
      addEventListener('offline', update);
      return () => {
        removeEventListener('online', update);
        removeEventListener('offline', update);
      };
    });
  }

  get tasks(): TaskRecord[] {
    return this.#list.current;
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

  /** Whether this tab runs the engine; null until the worker has answered. */
  get leading(): boolean | null {
    this.#listenEngine();
    return this.#leading;
  }

  get online(): boolean {
    this.#listenEngine();
    return this.#online;
  }

  progressOf(id: string): LiveProgress | undefined {
    this.#listenProgress();
    return this.#progress.get(id);
  }

  /** One task's log entries (its debug view). */
  logsOf(id: string): Live<LogRecord[]> {
    return new Live(() => watchTaskLogs(this.#db, id), [] as LogRecord[]);
  }

  retry = (id: string): Promise<boolean> => engine.retry(id);
  cancel = (id: string): Promise<boolean> => engine.cancel(id);
  retryFailed = (): Promise<number> => engine.retryFailed();
  stopAll = (): Promise<number> => engine.stopAll();

  #apply(progress: TaskProgress): void {
    const previous = this.#progress.get(progress.taskId) ?? {};
    if (progress.stage === 'sending' || progress.ended) {
      // A new attempt, or the end of one: what was received live no longer applies.
      if (previous.previewUrl) URL.revokeObjectURL(previous.previewUrl);
      if (progress.ended) this.#progress.delete(progress.taskId);
      else this.#progress.set(progress.taskId, {});
      return;
    }
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
