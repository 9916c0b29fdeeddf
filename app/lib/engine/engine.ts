// The generation engine. Every tab's worker runs one Engine; the engines elect a leader with a
// lock, and only the leader drains the queue (the tasks table). Any engine can submit, cancel and
// retry: those are database writes plus a word on the BroadcastChannel, so they work from any tab.

import { ProviderError, isProviderError, networkError, redact } from '$lib/core/errors';
import type { GenerationRequest, ImageResult, InputImage } from '$lib/core/types';
import type { AtelierDatabase } from '$lib/db/database';
import { newId } from '$lib/db/ids';
import { prepareImageSet, sha256Hex, type ImageInput, type PreparedImageSet } from '$lib/db/images.repo';
import { LogsRepo } from '$lib/db/logs.repo';
import type { LogLevel, LogRecord, RequestSummary, TaskError, TaskRecord, TaskStage } from '$lib/db/records';
import { TasksRepo, claimedTask, type StageChange } from '$lib/db/tasks.repo';
import { adapterFor, resolveProvider, type ResolvedProvider } from './providers';
import { backoffMs, shouldRetry } from './retry';
import { rawOf, runAttempt } from './runner';
import { TaskWriter } from './task-writer';
import {
  DEFAULT_LIMITS,
  PRIORITY,
  type AdapterFor,
  type EngineChannel,
  type EngineLimits,
  type ImageTools,
  type LeaderLock,
  type NetworkStatus,
  type SubmitInput,
  type TaskProgress
} from './types';

export interface EngineDeps {
  db: AtelierDatabase;
  /** Default: the provider layer's registry. */
  adapterFor?: AdapterFor;
  images: ImageTools;
  lock: LeaderLock;
  channel: EngineChannel;
  network: NetworkStatus;
  fetch?: typeof fetch;
  limits?: Partial<EngineLimits>;
  /** Jitter source for backoff. */
  random?: () => number;
  logCapacity?: number;
}

/** Why the engine itself aborted a running attempt (as opposed to a timeout). */
class TaskAbort extends Error {
  override readonly name = 'TaskAbort';
  constructor(readonly why: 'canceled' | 'shutdown') {
    super(why === 'canceled' ? 'Canceled' : 'The engine stopped');
  }
}

/** A failure the engine raises itself while processing or saving results. */
class EngineFailure extends Error {
  constructor(
    readonly kind: 'decode' | 'storage' | 'provider-missing',
    message: string
  ) {
    super(message);
  }
}

/**
 * How long a stage move may wait to be written: moves within this window share one write, and
 * short stages at the end of an attempt (processing, saving) ride on the results' own write. Other
 * tabs hear every move at once over the channel; this only delays what a reload would show.
 */
const STAGE_WRITE_DELAY_MS = 50;

/** How long log entries gather before they are written together: one transaction per burst, not per line or per task. */
const LOG_FLUSH_DELAY_MS = 200;

interface Backlog {
  tasks: TaskRecord[];
  /** The cancel epoch read before the tasks (TasksRepo.cancelEpoch). */
  cancelEpoch: number;
}

interface Running {
  controller: AbortController;
  providerId: string;
  /** True while the attempt talks to the upstream; only those count against the concurrency limits. */
  onNetwork: boolean;
  /** The claim's write, then stage writes of this attempt, chained so they land in order and before its final write. */
  writes: Promise<unknown>;
  /** Stage moves not written yet: they go out together in the next write (or with the results). */
  stages: StageChange[];
  stageTimer: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void>;
}

export class Engine {
  /** Tells this engine apart from the other tabs' engines. */
  readonly id = newId();
  readonly limits: EngineLimits;
  readonly #db: AtelierDatabase;
  readonly #tasks: TasksRepo;
  readonly #logs: LogsRepo;
  readonly #deps: EngineDeps;
  readonly #fetch: typeof fetch;
  readonly #running = new Map<string, Running>();
  readonly #leadershipListeners = new Set<(leading: boolean) => void>();
  readonly #previewing = new Set<string>();
  /** Tasks whose attempt ended by going back to wait (their waiting notice stays up). */
  readonly #waiting = new Set<string>();
  #leading: AbortSignal | null = null;
  #leadLoop: Promise<void> | null = null;
  #pumping = false;
  #pumpAgain = false;
  /**
   * The queued tasks in scheduling order as last read, minus those started since, and the cancel
   * epoch read just before them: a freed slot takes the next one from here, without reading the
   * whole queue again. Null when the queue changed in ways only a read shows (new, requeued or
   * retried work); `#backlogEpoch` counts those changes so a read that raced one is not kept.
   */
  #backlog: Backlog | null = null;
  #backlogEpoch = 0;
  /**
   * Providers as last read: picking uses their limits at once, while the picked tasks' providers
   * are read again alongside the claim, so an attempt always runs with the current key and URL.
   */
  readonly #providers = new Map<string, ResolvedProvider | null>();
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: (() => void)[] = [];
  #logBuffer: LogRecord[] = [];
  #logFlush: Promise<void> = Promise.resolve();
  #logTimer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  /** Claims and stage moves, batched: one transaction on the tasks table at a time. */
  readonly #writer: TaskWriter;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#db = deps.db;
    this.#tasks = new TasksRepo(deps.db);
    this.#logs = new LogsRepo(deps.db, deps.logCapacity);
    this.#fetch = deps.fetch ?? ((input, init) => fetch(input, init));
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.#writer = new TaskWriter(({ claims, stages }) => this.#tasks.writeMany(claims, stages));
  }

  /** Joins the leader election and starts listening to the other tabs. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#unsubscribe.push(
      this.#deps.channel.subscribe((message) => {
        if (message.type === 'wake') {
          this.#forgetBacklog();
          this.#pump();
        }
        else if (message.type === 'abort') this.#abortLocal(message.ids, 'canceled');
      }),
      this.#deps.network.subscribe((online) => {
        this.#log(online ? 'info' : 'warn', null, online ? 'Back online: resuming the queue' : 'Offline: tasks wait for the network');
        if (online) {
          this.#forgetBacklog();
          this.#pump();
        }
      })
    );
    this.#deps.lock.request((signal) => {
      this.#leadLoop = this.#lead(signal);
      return this.#leadLoop;
    });
  }

  /** Leaves the election; a running leader stops its attempts (the next leader marks them interrupted). */
  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#deps.lock.release();
    await this.#leadLoop;
    await this.#flushLogs();
  }

  get isLeader(): boolean {
    return this.#leading !== null;
  }

  /** Hears when this engine becomes or stops being the leader; returns the unsubscribe. */
  onLeadership(listener: (leading: boolean) => void): () => void {
    this.#leadershipListeners.add(listener);
    listener(this.isLeader);
    return () => this.#leadershipListeners.delete(listener);
  }

  // ---- Commands (any tab) ------------------------------------------------------------------------

  /** Queues a generation; its input images are stored in the same transaction. Returns the task id. */
  async submit(input: SubmitInput): Promise<string> {
    const provider = await resolveProvider(this.#db, input.providerId);
    if (!provider) throw new Error(`There is no provider with id ${input.providerId}; pick another provider and try again.`);
    const task = await this.#tasks.add(
      {
        request: input.request,
        providerId: provider.id,
        providerLabel: provider.label,
        dialect: provider.config.dialect,
        sessionId: input.sessionId ?? null,
        batchId: input.batchId ?? null,
        priority: input.priority ?? (input.batchId ? PRIORITY.batch : PRIORITY.interactive),
        retries: this.limits.maxRetries
      },
      this.limits.maxQueued
    );
    this.#log('info', task.id, `Queued for ${provider.label} (${task.model})`);
    this.#wake();
    return task.id;
  }

  /** Cancels a queued or running task; a running request is aborted at once. */
  async cancel(id: string): Promise<boolean> {
    const canceled = await this.#tasks.cancel(id);
    if (canceled) {
      this.#abortEverywhere([id]);
      this.#log('info', id, 'Canceled');
    }
    return canceled;
  }

  /** Cancels every task that has not started. Returns how many. */
  async cancelQueued(): Promise<number> {
    const ids = await this.#tasks.cancelQueued();
    if (ids.length > 0) this.#log('info', null, `Canceled ${ids.length} queued tasks`);
    return ids.length;
  }

  /** The emergency stop: aborts everything running and cancels everything unfinished. Returns how many. */
  async stopAll(): Promise<number> {
    const ids = await this.#tasks.stopAll();
    this.#abortEverywhere(ids);
    this.#log('warn', null, `Stopped everything: ${ids.length} tasks canceled`);
    return ids.length;
  }

  /** Runs a finished task again; the images it already produced stay. */
  async retry(id: string): Promise<boolean> {
    const queued = await this.#tasks.retry(id, this.limits.maxRetries);
    if (queued) {
      this.#log('info', id, 'Retry requested');
      this.#wake();
    }
    return queued;
  }

  /** Retries every failed or interrupted task. Returns how many. */
  async retryFailed(): Promise<number> {
    const ids = await this.#tasks.retryFailed(this.limits.maxRetries);
    if (ids.length > 0) {
      this.#log('info', null, `Retrying ${ids.length} failed tasks`);
      this.#wake();
    }
    return ids.length;
  }

  // ---- Leading -----------------------------------------------------------------------------------

  async #lead(signal: AbortSignal): Promise<void> {
    this.#leading = signal;
    try {
      const orphans = await this.#tasks.interruptRunning();
      for (const id of orphans) this.#log('warn', id, 'Interrupted: the tab running it closed before it finished');
      this.#forgetBacklog();
      this.#log('info', null, 'This tab now runs the engine');
      this.#deps.channel.post({ type: 'leader', engineId: this.id });
      this.#emitLeadership();
      this.#pump();
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      this.#leading = null;
      clearTimeout(this.#wakeTimer);
      const running = [...this.#running.values()];
      this.#abortLocal([...this.#running.keys()], 'shutdown');
      await Promise.all(running.map((entry) => entry.done));
      this.#emitLeadership();
    }
  }

  #emitLeadership(): void {
    for (const listener of this.#leadershipListeners) listener(this.isLeader);
  }

  #wake(): void {
    this.#forgetBacklog();
    this.#pump();
    this.#deps.channel.post({ type: 'wake' });
  }

  /** Starts what the limits allow; runs one fill at a time and once more if asked meanwhile. */
  #pump(): void {
    if (!this.#leading) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    this.#fill()
      .catch((error: unknown) => this.#log('error', null, `Scheduler: ${messageOf(error)}`))
      .finally(() => {
        this.#pumping = false;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.#pump();
        }
      });
  }

  #forgetBacklog(): void {
    this.#backlog = null;
    this.#backlogEpoch++;
  }

  /** The queue in scheduling order: the kept backlog, or a fresh read (kept unless the queue changed meanwhile). */
  async #queued(): Promise<Backlog> {
    if (this.#backlog) return this.#backlog;
    const epoch = this.#backlogEpoch;
    // The cancel epoch first: a cancel landing between the two reads then shows as a changed
    // epoch (and the queue is read again), never as a queued task that is no longer queued.
    const cancelEpoch = await this.#tasks.cancelEpoch();
    const backlog = { tasks: await this.#tasks.queued(), cancelEpoch };
    if (epoch === this.#backlogEpoch) this.#backlog = backlog;
    return backlog;
  }

  /**
   * Picks what the free slots allow from the queue and starts it at once, until nothing more fits.
   *
   * A freed slot never waits for a write on the tasks table (where claims would queue behind the
   * results, stage and cancel writes of other tasks): the queue as read is still true when the
   * cancel epoch, read again just before starting (from a table nothing else writes meanwhile),
   * has not moved, since no one but the leader moves a queued task except by canceling it. So the
   * picks start, and their claim (queued -> running) is written behind them; a claim that finds a
   * task no longer queued (a cancel that began after the check) aborts its attempt at once.
   * A cancel that completed before the check is always seen: its request is never sent.
   */
  async #fill(): Promise<void> {
    clearTimeout(this.#wakeTimer);
    const providers = this.#providers;
    for (;;) {
      // Offline, nothing starts: tasks wait instead of failing, and the `online` event pumps again.
      if (!this.#leading || !this.#deps.network.online) return;
      let free = this.limits.globalConcurrency - this.#inFlight();
      if (free <= 0) return;
      const backlog = await this.#queued();
      const now = Date.now();
      const perProvider = new Map<string, number>();
      for (const entry of this.#running.values()) {
        if (entry.onNetwork) perProvider.set(entry.providerId, (perProvider.get(entry.providerId) ?? 0) + 1);
      }
      const picked: TaskRecord[] = [];
      let nextWake = Infinity;
      for (const task of backlog.tasks) {
        if (free === 0) break;
        if (this.#running.has(task.id)) continue;
        if (task.notBefore > now) {
          nextWake = Math.min(nextWake, task.notBefore);
          continue;
        }
        if (!providers.has(task.providerId)) providers.set(task.providerId, await resolveProvider(this.#db, task.providerId));
        const provider = providers.get(task.providerId) ?? null;
        const inFlight = perProvider.get(task.providerId) ?? 0;
        if (provider && inFlight >= provider.concurrency) continue;
        perProvider.set(task.providerId, inFlight + 1);
        picked.push(task);
        free--;
      }
      clearTimeout(this.#wakeTimer);
      if (nextWake < Infinity) this.#wakeTimer = setTimeout(() => this.#pump(), Math.max(0, nextWake - Date.now()));
      if (picked.length === 0) return;
      // The providers are read again too, so an attempt always runs with the current key and URL.
      const providerIds = [...new Set(picked.map((task) => task.providerId))];
      const [cancelEpoch, fresh] = await Promise.all([this.#tasks.cancelEpoch(), Promise.all(providerIds.map((id) => resolveProvider(this.#db, id)))]);
      providerIds.forEach((id, i) => providers.set(id, fresh[i] ?? null));
      if (!this.#leading) return;
      if (cancelEpoch !== backlog.cancelEpoch) {
        // A cancel landed since the queue was read: read it again, then pick again.
        this.#forgetBacklog();
        continue;
      }
      const gone = new Set(picked.map((task) => task.id));
      if (this.#backlog) this.#backlog = { ...this.#backlog, tasks: this.#backlog.tasks.filter((task) => !gone.has(task.id)) };
      const started = Date.now();
      for (const task of picked) this.#startAttempt(claimedTask(task, started), providers.get(task.providerId) ?? null, this.#writer.claim(task.id, started));
      return;
    }
  }

  /** Starts an attempt now; `claim` is the write of its claim, refused (false) when the task was canceled meanwhile. */
  #startAttempt(task: TaskRecord, provider: ResolvedProvider | null, claim: Promise<boolean>): void {
    const controller = new AbortController();
    const timeoutMs = provider?.timeoutMs ?? 0;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => controller.abort(new ProviderError('timeout', `No complete answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)
        : undefined;
    const done = this.#attempt(task, provider, controller).finally(() => {
      clearTimeout(timer);
      clearTimeout(this.#running.get(task.id)?.stageTimer);
      const waiting = this.#waiting.has(task.id);
      this.#waiting.delete(task.id);
      if (!waiting) this.#progress({ taskId: task.id, ended: true });
      this.#running.delete(task.id);
      this.#previewing.delete(task.id);
      this.#pump();
    });
    const claimed = claim.then(
      (ok) => {
        if (!ok) controller.abort(new TaskAbort('canceled'));
      },
      (error: unknown) => controller.abort(error)
    );
    this.#running.set(task.id, { controller, providerId: task.providerId, onNetwork: true, writes: claimed, stages: [], stageTimer: undefined, done });
  }

  /** Attempts talking to an upstream right now (decoding and saving do not hold a slot). */
  #inFlight(): number {
    let count = 0;
    for (const entry of this.#running.values()) if (entry.onNetwork) count++;
    return count;
  }

  /** The upstream part of an attempt is over: its slot goes to the next task while this one is processed and saved. */
  #leaveNetwork(id: string): void {
    const entry = this.#running.get(id);
    if (!entry?.onNetwork) return;
    entry.onNetwork = false;
    this.#pump();
  }

  async #attempt(task: TaskRecord, provider: ResolvedProvider | null, controller: AbortController): Promise<void> {
    const started = Date.now();
    this.#progress({ taskId: task.id, stage: 'sending' });
    try {
      if (!provider) throw new EngineFailure('provider-missing', 'The provider of this task was deleted; retry it with another provider.');
      this.#log('info', task.id, `Attempt ${task.attempts} on ${provider.label} (${task.model})`);
      const inputs = await this.#tasks.loadInputs(task);
      const request: GenerationRequest = { ...task.request, ...inputs };
      const output = await runAttempt(request, {
        fetch: this.#fetch,
        adapter: (this.#deps.adapterFor ?? adapterFor)(provider.config, task.model),
        provider,
        controller,
        idleTimeoutMs: this.limits.idleTimeoutMs,
        stage: (stage, summary) => this.#stage(task.id, stage, controller, summary),
        progress: (progress) => this.#progress({ taskId: task.id, ...progress }),
        partial: (image) => this.#preview(task.id, image)
      });
      this.#leaveNetwork(task.id);
      this.#log('debug', task.id, `Upstream answer: ${output.images.length} image(s)`, output.raw);
      for (const failure of output.failures) this.#log('warn', task.id, `One image of the answer failed: ${failure.message}`);
      await this.#stage(task.id, 'processing', controller);
      const prepared = await this.#prepare(task, provider, output.images, inputs.images, started);
      await this.#stage(task.id, 'saving', controller);
      let saved: boolean;
      try {
        // Stage moves still waiting for a write go out with the results, in the same transaction.
        const stages = await this.#unwrittenStages(task.id);
        controller.signal.throwIfAborted();
        saved = await this.#tasks.commitResults(task.id, prepared, Date.now(), stages);
      } catch (error) {
        throw storageFailure(error);
      }
      if (saved) this.#log('info', task.id, `Succeeded: ${prepared.ids.length} image(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      await this.#afterFailure(task, provider, error, controller.signal);
    }
  }

  /**
   * Announces a stage at once and persists it soon after, in the background: the pipeline never
   * waits on a stage write. Moves within STAGE_WRITE_DELAY_MS go out together, through the writer
   * that batches every attempt's claims and stage moves (fewer transactions on the tasks table,
   * which result saves and the task center's reads need too); writes are chained per attempt so
   * they land in order and before its final write. A task found canceled by the write is aborted.
   */
  async #stage(id: string, stage: TaskStage, controller: AbortController, summary?: RequestSummary): Promise<void> {
    controller.signal.throwIfAborted();
    this.#progress({ taskId: id, stage });
    const entry = this.#running.get(id);
    if (!entry) return;
    entry.stages.push(summary ? { stage, at: Date.now(), summary } : { stage, at: Date.now() });
    entry.stageTimer ??= setTimeout(() => {
      entry.stageTimer = undefined;
      const changes = entry.stages.splice(0);
      if (changes.length === 0) return;
      entry.writes = entry.writes.then(async () => {
        const moved = await this.#writer.stages(id, changes);
        if (!moved) controller.abort(new TaskAbort('canceled'));
      });
    }, STAGE_WRITE_DELAY_MS);
  }

  /** Stage moves not written yet, taken for the attempt's final write, after the writes under way have landed. */
  async #unwrittenStages(id: string): Promise<StageChange[]> {
    const entry = this.#running.get(id);
    if (!entry) return [];
    clearTimeout(entry.stageTimer);
    entry.stageTimer = undefined;
    const stages = entry.stages.splice(0);
    await entry.writes.catch(() => undefined);
    return stages;
  }

  /** Decodes, measures and thumbnails each final image (in the worker), then builds its rows. */
  async #prepare(task: TaskRecord, provider: ResolvedProvider, results: ImageResult[], inputs: InputImage[], started: number): Promise<PreparedImageSet> {
    const ordered = [...results].sort((a, b) => a.index - b.index);
    const images: ImageInput[] = [];
    for (const [i, result] of ordered.entries()) {
      let processed;
      try {
        processed = await this.#deps.images.process(result.bytes, result.mime);
      } catch (error) {
        throw new EngineFailure('decode', `Image ${i + 1} of ${ordered.length} could not be decoded (${result.mime}): ${messageOf(error)}`);
      }
      images.push({
        blob: new Blob([result.bytes as Uint8Array<ArrayBuffer>], { type: result.mime }),
        width: processed.width,
        height: processed.height,
        thumb: processed.thumbnail
      });
    }
    const { prompt, history: _history, ...params } = task.request;
    return prepareImageSet({
      prompt,
      params,
      providerId: provider.id,
      providerLabel: provider.label,
      dialect: task.dialect,
      model: task.model,
      sources: await Promise.all(inputs.map((input) => sha256Hex(input.bytes))),
      sessionId: task.sessionId,
      taskId: task.id,
      batchId: task.batchId,
      durationMs: Date.now() - started,
      images
    });
  }

  async #afterFailure(task: TaskRecord, provider: ResolvedProvider | null, error: unknown, signal: AbortSignal): Promise<void> {
    const stages = await this.#unwrittenStages(task.id);
    // Their timings count; a task no longer running (canceled elsewhere) just refuses the write.
    if (stages.length > 0) await this.#tasks.setStages(task.id, stages).catch(() => undefined);
    const raw = rawOf(error);
    if (raw) this.#log('debug', task.id, 'Upstream answer of the failed attempt', raw);
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (reason instanceof TaskAbort) {
      // Canceled: the cancel already wrote the status. Shutdown: the next leader marks it interrupted.
      if (reason.why === 'canceled') await this.#tasks.finish(task.id, 'canceled', null);
      return;
    }
    const taskError = toTaskError(reason ?? error, provider?.config.apiKey);
    if (taskError.kind === 'network' && !this.#deps.network.online) {
      await this.#tasks.requeue(task.id, { notBefore: 0, waitingFor: 'network', error: taskError, consumeRetry: false });
      this.#forgetBacklog();
      this.#log('warn', task.id, 'Offline: waiting for the network');
      this.#waiting.add(task.id);
      this.#progress({ taskId: task.id, waiting: { reason: 'network' } });
      return;
    }
    if (shouldRetry(taskError, task.retriesLeft)) {
      const retry = this.limits.maxRetries - task.retriesLeft + 1;
      const cause = reason ?? error;
      const delay = backoffMs(retry, isProviderError(cause) ? cause.retryAfterMs : undefined, this.limits, this.#deps.random);
      const until = Date.now() + delay;
      const requeued = await this.#tasks.requeue(task.id, { notBefore: until, waitingFor: 'retry', error: taskError, consumeRetry: true });
      this.#forgetBacklog();
      if (requeued) {
        this.#log('warn', task.id, `${taskError.message} (${taskError.kind}); retrying in ${(delay / 1000).toFixed(1)} s, ${task.retriesLeft - 1} retries left after that`);
        this.#waiting.add(task.id);
        this.#progress({ taskId: task.id, waiting: { reason: 'retry', until } });
      }
      return;
    }
    const failed = await this.#tasks.finish(task.id, 'failed', taskError);
    if (failed) this.#log('error', task.id, `Failed (${taskError.kind}${taskError.status ? ` ${taskError.status}` : ''}): ${taskError.message}`);
  }

  #abortEverywhere(ids: string[]): void {
    if (ids.length === 0) return;
    this.#abortLocal(ids, 'canceled');
    this.#deps.channel.post({ type: 'abort', ids });
  }

  #abortLocal(ids: readonly string[], why: 'canceled' | 'shutdown'): void {
    for (const id of ids) this.#running.get(id)?.controller.abort(new TaskAbort(why));
  }

  #progress(progress: TaskProgress): void {
    this.#deps.channel.post({ type: 'progress', progress });
  }

  /** Partial images become small previews; while one is being made, newer partials are skipped. */
  #preview(taskId: string, image: ImageResult): void {
    if (this.#previewing.has(taskId)) return;
    this.#previewing.add(taskId);
    this.#deps.images
      .preview(image.bytes, image.mime)
      .then((preview) => {
        if (this.#running.has(taskId)) this.#progress({ taskId, preview });
      })
      .catch(() => undefined /* a preview that does not decode is not worth a failure */)
      .finally(() => this.#previewing.delete(taskId));
  }

  // ---- Logs --------------------------------------------------------------------------------------

  #log(level: LogLevel, taskId: string | null, message: string, detail?: string): void {
    const entry: LogRecord = { time: Date.now(), level, taskId, message };
    if (detail !== undefined) entry.detail = detail;
    this.#logBuffer.push(entry);
    if (this.#logBuffer.length === 1) this.#logTimer = setTimeout(() => void this.#flushLogs(), LOG_FLUSH_DELAY_MS);
  }

  #flushLogs(): Promise<void> {
    clearTimeout(this.#logTimer);
    const batch = this.#logBuffer.splice(0);
    if (batch.length > 0) {
      this.#logFlush = this.#logFlush.then(() => this.#logs.append(batch)).catch(() => undefined /* logging never fails a task */);
    }
    return this.#logFlush;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function storageFailure(error: unknown): EngineFailure {
  const name = (error as { name?: unknown } | null)?.name;
  const inner = (error as { inner?: { name?: unknown } } | null)?.inner?.name;
  if (name === 'QuotaExceededError' || inner === 'QuotaExceededError') {
    return new EngineFailure('storage', 'Storage is full: the images could not be saved. Free some space (empty the trash, delete images) and retry.');
  }
  return new EngineFailure('storage', `The images could not be saved: ${messageOf(error)}`);
}

/** Any failure as the value stored on the task; keys never reach it. */
export function toTaskError(error: unknown, apiKey?: string): TaskError {
  const secrets = [apiKey];
  if (isProviderError(error)) {
    const value: TaskError = { kind: error.kind, message: redact(error.message, secrets), retryable: error.retryable };
    if (error.status !== undefined) value.status = error.status;
    return value;
  }
  if (error instanceof EngineFailure) return { kind: error.kind, message: error.message, retryable: false };
  if (error instanceof TypeError) {
    // fetch rejects with a TypeError when the connection fails (refused, reset, offline).
    const network = networkError(error, secrets);
    return { kind: network.kind, message: network.message, retryable: true };
  }
  return { kind: 'internal', message: redact(messageOf(error), secrets), retryable: false };
}
