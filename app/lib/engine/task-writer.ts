// The engine's small writes to the tasks table (claims and stage moves of every running attempt)
// go through one writer: one transaction at a time, and whatever arrives meanwhile goes out
// together in the next. On a busy table (result saves, the task center's reads, other tabs) the
// batches grow instead of the transactions piling up one behind the other.

import type { StageChange } from '$lib/db/tasks.repo';

export interface TaskWrites {
  /** Tasks to move queued -> running, with the time each started. */
  claims: ReadonlyMap<string, number>;
  /** Stage moves of running tasks, in order. */
  stages: ReadonlyMap<string, readonly StageChange[]>;
}

export interface TaskWritesResult {
  /** Claims that found their task still queued. */
  claimed: ReadonlySet<string>;
  /** Tasks whose stage moves found them running. */
  moved: ReadonlySet<string>;
}

interface Batch {
  claims: Map<string, number>;
  stages: Map<string, StageChange[]>;
  result: Promise<TaskWritesResult>;
  settle: (outcome: { ok: TaskWritesResult } | { error: unknown }) => void;
}

export class TaskWriter {
  readonly #write: (writes: TaskWrites) => Promise<TaskWritesResult>;
  #next: Batch | null = null;
  #busy = false;

  constructor(write: (writes: TaskWrites) => Promise<TaskWritesResult>) {
    this.#write = write;
  }

  /** Writes the claim of a task started at `at`; resolves false when the task was no longer queued. */
  async claim(id: string, at: number): Promise<boolean> {
    const batch = this.#batch();
    batch.claims.set(id, at);
    return (await batch.result).claimed.has(id);
  }

  /** Writes stage moves of a running task; resolves false when it no longer runs. */
  async stages(id: string, changes: readonly StageChange[]): Promise<boolean> {
    const batch = this.#batch();
    batch.stages.set(id, [...(batch.stages.get(id) ?? []), ...changes]);
    return (await batch.result).moved.has(id);
  }

  /** The batch that goes out next; it starts at once when no write is under way. */
  #batch(): Batch {
    if (this.#next) return this.#next;
    let settle!: Batch['settle'];
    const result = new Promise<TaskWritesResult>((resolve, reject) => {
      settle = (outcome) => ('ok' in outcome ? resolve(outcome.ok) : reject(outcome.error));
    });
    const batch: Batch = { claims: new Map(), stages: new Map(), result, settle };
    this.#next = batch;
    // After the callers of this turn have added to it.
    if (!this.#busy) queueMicrotask(() => void this.#drain());
    return batch;
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#next) {
        const batch = this.#next;
        this.#next = null;
        try {
          batch.settle({ ok: await this.#write({ claims: batch.claims, stages: batch.stages }) });
        } catch (error) {
          batch.settle({ error });
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}
