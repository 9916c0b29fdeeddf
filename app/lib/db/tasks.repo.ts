// The queue is the tasks table: every state change of a task is one small transaction here, and
// every write that finishes an attempt is conditional on the task still running, so a cancel made
// in another tab always wins over a late answer.

import Dexie from 'dexie';
import type { GenerationRequest, InputImage } from '$lib/core/types';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import { onTableChanged, shared, type LiveRead } from './live-read';
import { IMAGE_SET_TABLES, putImageSet, type PreparedImageSet } from './images.repo';
import type { BlobRecord, RequestSummary, TaskError, TaskRecord, TaskStage, TaskStatus } from './records';

export interface NewTask {
  request: GenerationRequest;
  providerId: string;
  providerLabel: string;
  dialect: TaskRecord['dialect'];
  sessionId: string | null;
  batchId: string | null;
  priority: number;
  /** Automatic retries the task gets for retryable errors. */
  retries: number;
}

/** Refused submission: the queue already holds its maximum of waiting tasks. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(readonly limit: number) {
    super(`The queue is full: ${limit} tasks are already waiting. Wait for some to finish or cancel queued tasks, then submit again.`);
  }
}

export interface Requeue {
  notBefore: number;
  waitingFor: 'retry' | 'network';
  error: TaskError | null;
  /** False when the wait is not the task's fault (offline), so it costs no retry. */
  consumeRetry: boolean;
}

const UNFINISHED: readonly TaskStatus[] = ['queued', 'running'];

/**
 * The settings row counting cancels: every cancel bumps it in the cancel's own transaction. A
 * leader that read it before reading the queue and finds it unchanged now knows no cancel has
 * landed since, so what it read as queued still is, and it may send at once. The row sits in a
 * table the engine never writes while running tasks, so reading it never waits behind their writes.
 */
export const CANCEL_EPOCH_KEY = 'engine.cancelEpoch';
const RETRYABLE: readonly TaskStatus[] = ['failed', 'canceled', 'interrupted', 'succeeded'];

function statusRange(status: TaskStatus) {
  return [
    [status, Dexie.minKey],
    [status, Dexie.maxKey]
  ] as const;
}

/** Adds the time spent in the current stage to the task's timings. */
function closeStage(task: TaskRecord, now: number): Partial<Record<TaskStage, number>> {
  if (!task.stage || task.stageStartedAt === null) return task.timings;
  const spent = Math.max(0, now - task.stageStartedAt);
  return { ...task.timings, [task.stage]: (task.timings[task.stage] ?? 0) + spent };
}

/** One move of a running task to its next stage, as the engine saw it happen. */
export interface StageChange {
  stage: TaskStage;
  at: number;
  summary?: RequestSummary;
}

/** The task after the given stage moves, in order: each closes the stage before it (timings kept). */
function applyStages(task: TaskRecord, changes: readonly StageChange[]): TaskRecord {
  let next = task;
  for (const change of changes) {
    next = {
      ...next,
      timings: closeStage(next, change.at),
      stage: change.stage,
      stageStartedAt: change.at,
      updatedAt: change.at,
      ...(change.summary ? { requestSummary: change.summary } : {})
    };
  }
  return next;
}

/** Queue order: higher priority first, then first in, first out. */
export function queueOrder(a: TaskRecord, b: TaskRecord): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class TasksRepo {
  readonly #db: AtelierDatabase;

  constructor(db: AtelierDatabase) {
    this.#db = db;
  }

  /** Writes the task and its input images in one transaction; refuses when `maxQueued` tasks already wait. */
  async add(input: NewTask, maxQueued: number, now = Date.now()): Promise<TaskRecord> {
    const { images = [], mask, ...request } = input.request;
    const blobs: BlobRecord[] = images.map((image) => toBlobRecord(image));
    const maskRecord = mask ? toBlobRecord(mask) : null;
    const task: TaskRecord = {
      id: newId(now),
      createdAt: now,
      updatedAt: now,
      status: 'queued',
      stage: null,
      stageStartedAt: null,
      priority: input.priority,
      providerId: input.providerId,
      providerLabel: input.providerLabel,
      dialect: input.dialect,
      model: request.model,
      request,
      inputIds: blobs.map((blob) => blob.id),
      maskId: maskRecord?.id ?? null,
      sessionId: input.sessionId,
      batchId: input.batchId,
      attempts: 0,
      retriesLeft: input.retries,
      notBefore: 0,
      waitingFor: null,
      timings: {},
      error: null,
      resultIds: [],
      requestSummary: null,
      startedAt: null,
      finishedAt: null
    };
    await this.#db.transaction('rw', this.#db.tasks, this.#db.blobs, async () => {
      const waiting = await this.#db.tasks.where('[status+createdAt]').between(...statusRange('queued')).count();
      if (waiting >= maxQueued) throw new QueueFullError(maxQueued);
      if (blobs.length > 0) await this.#db.blobs.bulkAdd(blobs);
      if (maskRecord) await this.#db.blobs.add(maskRecord);
      await this.#db.tasks.add(task);
    });
    return task;
  }

  get(id: string): Promise<TaskRecord | undefined> {
    return this.#db.tasks.get(id);
  }

  /** Whether any task waits or runs: work an engine should be there for. */
  async hasUnfinished(): Promise<boolean> {
    for (const status of ['queued', 'running'] as const) {
      if ((await this.#db.tasks.where('[status+createdAt]').between(...statusRange(status)).count()) > 0) return true;
    }
    return false;
  }

  /** Every queued task in the order the scheduler should consider them. */
  async queued(): Promise<TaskRecord[]> {
    const rows = await this.#db.tasks.where('[status+createdAt]').between(...statusRange('queued')).toArray();
    return rows.sort(queueOrder);
  }

  /** The input images of a task, as the provider layer takes them. */
  async loadInputs(task: TaskRecord): Promise<{ images: InputImage[]; mask?: InputImage }> {
    const ids = task.maskId ? [...task.inputIds, task.maskId] : task.inputIds;
    if (ids.length === 0) return { images: [] };
    const rows = await this.#db.blobs.bulkGet(ids);
    const inputs: InputImage[] = [];
    for (const [i, row] of rows.entries()) {
      if (!row) throw new Error(`Input image ${i + 1} of this task is missing from storage`);
      const image: InputImage = { bytes: new Uint8Array(await row.blob.arrayBuffer()) };
      if (row.blob.type) image.mime = row.blob.type;
      inputs.push(image);
    }
    const mask = task.maskId ? inputs.pop() : undefined;
    return mask ? { images: inputs, mask } : { images: inputs };
  }

  /** queued -> running, atomically; null when someone else changed it first (a cancel). */
  async claim(id: string, now = Date.now()): Promise<TaskRecord | null> {
    return (await this.claimMany([id], now))[0] ?? null;
  }

  /**
   * Claims several queued tasks in one transaction (a scheduler filling several free slots at once);
   * returns those that were still queued, in the order asked.
   */
  async claimMany(ids: readonly string[], now = Date.now()): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    return this.#db.transaction('rw', this.#db.tasks, async () => {
      const rows = await this.#db.tasks.bulkGet([...ids]);
      const claimed = rows.filter((task): task is TaskRecord => task?.status === 'queued').map((task) => claimedTask(task, now));
      if (claimed.length > 0) await this.#db.tasks.bulkPut(claimed);
      return claimed;
    });
  }

  /** How many cancels have landed so far (see CANCEL_EPOCH_KEY); reads only the settings table. */
  async cancelEpoch(): Promise<number> {
    const row = await this.#db.settings.get(CANCEL_EPOCH_KEY);
    return typeof row?.value === 'number' ? row.value : 0;
  }

  /**
   * Claims (queued -> running, started at the given time) and stage moves of running tasks, in one
   * transaction: the engine's batched small writes. Says which claims found their task queued and
   * which tasks the stage moves found running (a claim refused skips that task's moves too).
   */
  async writeMany(claims: ReadonlyMap<string, number>, stages: ReadonlyMap<string, readonly StageChange[]>): Promise<{ claimed: Set<string>; moved: Set<string> }> {
    const ids = [...new Set([...claims.keys(), ...stages.keys()])];
    const claimed = new Set<string>();
    const moved = new Set<string>();
    if (ids.length === 0) return { claimed, moved };
    return this.#db.transaction('rw', this.#db.tasks, async () => {
      const rows = await this.#db.tasks.bulkGet(ids);
      const changed: TaskRecord[] = [];
      for (const row of rows) {
        if (!row) continue;
        let next = row;
        const startedAt = claims.get(row.id);
        if (startedAt !== undefined) {
          if (row.status !== 'queued') continue;
          next = claimedTask(row, startedAt);
          claimed.add(row.id);
        }
        const changes = stages.get(row.id);
        if (changes?.length && next.status === 'running') {
          next = applyStages(next, changes);
          moved.add(row.id);
        }
        if (next !== row) changed.push(next);
      }
      if (changed.length > 0) await this.#db.tasks.bulkPut(changed);
      return { claimed, moved };
    });
  }

  /** Moves a running task to its next stage; false when it is no longer running. */
  async setStage(id: string, stage: TaskStage, now = Date.now(), summary?: RequestSummary): Promise<boolean> {
    return this.setStages(id, [summary ? { stage, at: now, summary } : { stage, at: now }]);
  }

  /** Several stage moves of a running task in one write (the engine coalesces them); false when it is no longer running. */
  async setStages(id: string, changes: readonly StageChange[]): Promise<boolean> {
    return this.#update(id, ['running'], (task) => applyStages(task, changes));
  }

  /** A running task goes back to the queue to wait (backoff, offline). */
  async requeue(id: string, how: Requeue, now = Date.now()): Promise<boolean> {
    return this.#update(id, ['running'], (task) => ({
      status: 'queued',
      timings: closeStage(task, now),
      stage: null,
      stageStartedAt: null,
      notBefore: how.notBefore,
      waitingFor: how.waitingFor,
      error: how.error,
      retriesLeft: how.consumeRetry ? Math.max(0, task.retriesLeft - 1) : task.retriesLeft,
      updatedAt: now
    }));
  }

  /** A running task ends without results; false when it had already ended (canceled elsewhere). */
  async finish(id: string, status: 'failed' | 'canceled', error: TaskError | null, now = Date.now()): Promise<boolean> {
    return this.#update(id, ['running'], (task) => ({
      status,
      error,
      timings: closeStage(task, now),
      stage: null,
      stageStartedAt: null,
      finishedAt: now,
      updatedAt: now
    }));
  }

  /**
   * Images, their bytes, thumbnails and the task's success in one transaction: a crash or a
   * storage error (QuotaExceededError) leaves all of it or none. False when the task was
   * canceled meanwhile (then nothing is written). Stage moves not yet written (processing,
   * saving) are applied first, so their timings land in the same write.
   */
  async commitResults(id: string, results: PreparedImageSet, now = Date.now(), stages: readonly StageChange[] = []): Promise<boolean> {
    const db = this.#db;
    return db.transaction('rw', ['tasks', ...IMAGE_SET_TABLES], async () => {
      const stored = await db.tasks.get(id);
      if (!stored || stored.status !== 'running') return false;
      const task = applyStages(stored, stages);
      await putImageSet(db, results);
      await db.tasks.put({
        ...task,
        status: 'succeeded',
        timings: closeStage(task, now),
        stage: null,
        stageStartedAt: null,
        error: null,
        resultIds: [...task.resultIds, ...results.ids],
        finishedAt: now,
        updatedAt: now
      });
      return true;
    });
  }

  /** Called by a new leader: whatever is still `running` belonged to a leader that died. */
  async interruptRunning(now = Date.now()): Promise<string[]> {
    // Usually nothing was left running: a read (which runs beside other readers, such as the task
    // center's) says so without waiting for the table's write lock.
    if ((await this.#db.tasks.where('[status+createdAt]').between(...statusRange('running')).count()) === 0) return [];
    const error: TaskError = { kind: 'interrupted', message: 'The tab running this task closed before it finished.', retryable: true };
    return this.#updateWhere('running', (task) => ({
      status: 'interrupted',
      error,
      timings: closeStage(task, now),
      stage: null,
      stageStartedAt: null,
      finishedAt: now,
      updatedAt: now
    }));
  }

  /** Cancels one queued or running task; false when it had already finished. */
  async cancel(id: string, now = Date.now()): Promise<boolean> {
    return this.#canceling(() => this.#update(id, UNFINISHED, (task) => cancelPatch(task, now)));
  }

  async cancelQueued(now = Date.now()): Promise<string[]> {
    return this.#canceling(() => this.#updateWhere('queued', (task) => cancelPatch(task, now)));
  }

  /** The emergency stop: every unfinished task becomes canceled. */
  async stopAll(now = Date.now()): Promise<string[]> {
    return this.#canceling(async () => {
      const queued = await this.#updateWhere('queued', (task) => cancelPatch(task, now));
      const running = await this.#updateWhere('running', (task) => cancelPatch(task, now));
      return [...running, ...queued];
    });
  }

  /** Runs a cancel and bumps the cancel epoch in the same transaction (see CANCEL_EPOCH_KEY). */
  async #canceling<T>(cancel: () => Promise<T>): Promise<T> {
    return this.#db.transaction('rw', this.#db.tasks, this.#db.settings, async () => {
      const result = await cancel();
      const epoch = await this.cancelEpoch();
      await this.#db.settings.put({ key: CANCEL_EPOCH_KEY, value: epoch + 1 });
      return result;
    });
  }

  /** Puts a finished task back in the queue with fresh retries; its earlier images stay. */
  async retry(id: string, retries: number, now = Date.now()): Promise<boolean> {
    return this.#update(id, RETRYABLE, () => retryPatch(retries, now));
  }

  /** Retries every failed or interrupted task. */
  async retryFailed(retries: number, now = Date.now()): Promise<string[]> {
    const failed = await this.#updateWhere('failed', () => retryPatch(retries, now));
    const interrupted = await this.#updateWhere('interrupted', () => retryPatch(retries, now));
    return [...failed, ...interrupted];
  }

  async #update(id: string, from: readonly TaskStatus[], patch: (task: TaskRecord) => Partial<TaskRecord>): Promise<boolean> {
    return this.#db.transaction('rw', this.#db.tasks, async () => {
      const task = await this.#db.tasks.get(id);
      if (!task || !from.includes(task.status)) return false;
      await this.#db.tasks.put({ ...task, ...patch(task) });
      return true;
    });
  }

  async #updateWhere(status: TaskStatus, patch: (task: TaskRecord) => Partial<TaskRecord>): Promise<string[]> {
    return this.#db.transaction('rw', this.#db.tasks, async () => {
      const rows = await this.#db.tasks.where('[status+createdAt]').between(...statusRange(status)).toArray();
      await this.#db.tasks.bulkPut(rows.map((task) => ({ ...task, ...patch(task) })));
      return rows.map((task) => task.id);
    });
  }
}

/** A queued task as it starts an attempt. */
export function claimedTask(task: TaskRecord, now: number): TaskRecord {
  return {
    ...task,
    status: 'running',
    stage: 'sending',
    stageStartedAt: now,
    attempts: task.attempts + 1,
    notBefore: 0,
    waitingFor: null,
    startedAt: task.startedAt ?? now,
    finishedAt: null,
    updatedAt: now
  };
}

function cancelPatch(task: TaskRecord, now: number): Partial<TaskRecord> {
  return {
    status: 'canceled',
    timings: closeStage(task, now),
    stage: null,
    stageStartedAt: null,
    waitingFor: null,
    finishedAt: now,
    updatedAt: now
  };
}

function retryPatch(retries: number, now: number): Partial<TaskRecord> {
  return { status: 'queued', retriesLeft: retries, notBefore: 0, waitingFor: null, error: null, finishedAt: null, updatedAt: now };
}

function toBlobRecord(image: InputImage): BlobRecord {
  // Copy into a fresh ArrayBuffer: the bytes may be a view into a larger (or shared) buffer.
  const bytes = new Uint8Array(image.bytes);
  return { id: newId(), blob: new Blob([bytes], image.mime ? { type: image.mime } : {}) };
}

export type TaskCounts = Record<TaskStatus, number>;

const STATUSES: readonly TaskStatus[] = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'interrupted'];

/** The least time between two reads of a followed query while writes keep coming. */
export const FOLLOW_INTERVAL_MS = 100;

/** Ids of the tasks written since the last read; null when anything may have changed. */
type Changed = ReadonlySet<string> | null;

/** Past this many changed tasks a follow reads the whole query again rather than those rows. */
const MAX_CHANGED_ROWS = 200;

/**
 * Once this long has passed since a followed list was last read whole, the next change reads it
 * whole again instead of by its changed rows: a write that reached the database without being
 * announced (a tab of another app version, a message lost) then shows with the next write after
 * it, instead of staying wrong until the page is left.
 */
export const FULL_READ_INTERVAL_MS = 5000;

/**
 * A live read of the tasks table: reads again after committed writes to `tasks` (from any tab or
 * worker), one read at a time and at most one per FOLLOW_INTERVAL_MS, always once after the last
 * write. A running engine writes the table a few times per task (tens of times a second); a
 * liveQuery aborts the read under way and starts another at every one of them, which profiled as
 * most of the task center's main thread during a batch. Here a burst of writes costs a few reads.
 * Each subscription makes its own `reader`, which is told which tasks changed since its last read.
 */
function followTasks<T>(db: AtelierDatabase, reader: () => (changed: Changed) => Promise<T>): LiveRead<T> {
  return {
    subscribe({ next, error }) {
      const query = reader();
      let stopped = false;
      let running = false;
      let dirty = false;
      let lastRead = -Infinity;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let changed: Set<string> | null = null;
      const read = async (): Promise<void> => {
        timer = undefined;
        running = true;
        dirty = false;
        lastRead = performance.now();
        const since = changed;
        changed = new Set();
        try {
          const value = await query(since);
          if (!stopped) next(value);
        } catch (cause) {
          // The next read starts from scratch rather than from rows that may have been missed.
          changed = null;
          if (!stopped) error?.(cause);
        } finally {
          running = false;
          if (dirty) schedule();
        }
      };
      const schedule = () => {
        if (stopped || timer !== undefined) return;
        if (running) {
          dirty = true;
          return;
        }
        timer = setTimeout(() => void read(), Math.max(0, lastRead + FOLLOW_INTERVAL_MS - performance.now()));
      };
      const stopListening = onTableChanged(db, 'tasks', (keys) => {
        if (keys === null || !changed || changed.size + keys.length > MAX_CHANGED_ROWS) changed = null;
        else for (const key of keys) changed.add(String(key));
        schedule();
      });
      void read();
      return {
        unsubscribe: () => {
          stopped = true;
          clearTimeout(timer);
          stopListening();
        }
      };
    }
  };
}
/** Newest first, as the task list's index reads return them: by creation time, then by id. */
function newestFirst(a: TaskRecord, b: TaskRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * The shown rows with the changed tasks read again (`fresh[i]` is task `ids[i]`, undefined when
 * deleted), or null when only a full read can tell: a row left a list cut at `limit`, and the row
 * that moves up into it is unknown.
 */
export function mergeTasks(shown: readonly TaskRecord[], ids: readonly string[], fresh: readonly (TaskRecord | undefined)[], status: TaskStatus | null, limit: number): TaskRecord[] | null {
  const cut = shown.length >= limit;
  const oldest = shown.at(-1);
  const changed = new Set(ids);
  const rows = shown.filter((row) => !changed.has(row.id));
  const taken = new Set(shown.filter((row) => changed.has(row.id)).map((row) => row.id));
  for (const row of fresh) {
    if (!row || (status && row.status !== status)) continue;
    // Older than the oldest row of a cut list: outside the window (it was not shown before either).
    if (cut && oldest && newestFirst(row, oldest) > 0) continue;
    taken.delete(row.id);
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (newestFirst(rows[middle]!, row) < 0) low = middle + 1;
      else high = middle;
    }
    rows.splice(low, 0, row);
  }
  if (cut && taken.size > 0) return null;
  return rows.length > limit ? rows.slice(0, limit) : rows;
}

/**
 * The newest tasks first, optionally of one status; live. After the first read, a write is
 * followed by reading only the tasks it changed (merged into the list), not the whole list again:
 * during a batch the engine changes a few tasks per read, where the list holds up to `limit`.
 */
export function watchTasks(db: AtelierDatabase, options: { status?: TaskStatus | null; limit: number }): LiveRead<TaskRecord[]> {
  const { limit } = options;
  const status = options.status ?? null;
  return followTasks(db, () => {
    let shown: TaskRecord[] | null = null;
    let readWhole = -Infinity;
    const readAll = async () => {
      readWhole = performance.now();
      return (shown = await (status
        ? db.tasks.where('[status+createdAt]').between(...statusRange(status)).reverse().limit(limit).toArray()
        : db.tasks.orderBy('createdAt').reverse().limit(limit).toArray()));
    };
    return async (changed) => {
      if (!shown || !changed || performance.now() - readWhole >= FULL_READ_INTERVAL_MS) return readAll();
      const ids = [...changed];
      const merged = mergeTasks(shown, ids, await db.tasks.bulkGet(ids), status, limit);
      return merged ? (shown = merged) : readAll();
    };
  });
}

const countReads = new WeakMap<AtelierDatabase, LiveRead<TaskCounts>>();

/**
 * How many tasks are in each status (index counts, no rows read, in one transaction); live. One
 * read serves every subscriber of the same database (the shell's badges and the task center).
 */
export function watchTaskCounts(db: AtelierDatabase): LiveRead<TaskCounts> {
  let read = countReads.get(db);
  if (!read) {
    read = shared(
      followTasks(db, () => () =>
        db.transaction('r', db.tasks, async () => {
          const counts = await Promise.all(STATUSES.map((status) => db.tasks.where('[status+createdAt]').between(...statusRange(status)).count()));
          return Object.fromEntries(STATUSES.map((status, i) => [status, counts[i] ?? 0])) as TaskCounts;
        })
      )
    );
    countReads.set(db, read);
  }
  return read;
}
