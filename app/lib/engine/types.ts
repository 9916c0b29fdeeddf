// The engine's vocabulary: what it is given (so Node tests can give it stand-ins for the browser's
// locks, network and image codecs), what it is asked, and what it tells every tab.

import type { DialectAdapter, GenerationRequest, ProviderConfig } from '$lib/core/types';
import type { TaskStage } from '$lib/db/records';

/** What `submit()` takes. */
export interface SubmitInput {
  request: GenerationRequest;
  providerId: string;
  sessionId?: string | null;
  batchId?: string | null;
  /** Higher runs first; `PRIORITY.interactive` for a single generation from the studio. */
  priority?: number;
}

export const PRIORITY = { batch: 0, interactive: 10 } as const;

export interface EngineLimits {
  /** Requests in flight across all providers (default 4). */
  globalConcurrency: number;
  /** Tasks allowed to wait; more are refused (default 500). */
  maxQueued: number;
  /** A running stream that sends nothing for this long is given up (default 60 s). */
  idleTimeoutMs: number;
  /** Automatic retries for retryable errors (default 2). */
  maxRetries: number;
  /** First backoff delay; doubled per retry, with jitter (default 1 s). */
  backoffBaseMs: number;
  /** Longest backoff, Retry-After included (default 5 min). */
  backoffMaxMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  globalConcurrency: 4,
  maxQueued: 500,
  idleTimeoutMs: 60_000,
  maxRetries: 2,
  backoffBaseMs: 1_000,
  backoffMaxMs: 5 * 60_000
};

/** The result of decoding one final image in the worker. */
export interface ProcessedImage {
  width: number;
  height: number;
  thumbnail: { blob: Blob; width: number; height: number };
}

/** Decoding and thumbnails (OffscreenCanvas in the worker; a stand-in in Node tests). */
export interface ImageTools {
  /** Decodes and measures the image and makes its thumbnail; throws when the bytes do not decode. */
  process(bytes: Uint8Array, mime: string): Promise<ProcessedImage>;
  /** A small preview of a partial image for the live progress line. */
  preview(bytes: Uint8Array, mime: string): Promise<Blob>;
}

/**
 * One engine per browser profile. `run` is called once this engine holds the lock and receives a
 * signal that aborts when it must stop; holding ends when `run`'s promise settles. `release`
 * leaves the election (a closing engine).
 */
export interface LeaderLock {
  request(run: (signal: AbortSignal) => Promise<void>): void;
  release(): void;
}

/** Whether the browser believes it is online, and a way to hear when that changes. */
export interface NetworkStatus {
  readonly online: boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export type AdapterFor = (config: ProviderConfig, model: string) => DialectAdapter;

/** Live progress that is not written to the database: it reaches every tab over BroadcastChannel. */
export interface TaskProgress {
  taskId: string;
  stage?: TaskStage;
  /** Response bytes received in this attempt. */
  bytes?: number;
  /** Upstream progress text (reasoning, "40%"). */
  text?: string;
  percent?: number;
  /** A small preview of a partial image. */
  preview?: Blob;
  /** The task waits: for a retry at `until`, or for the network. */
  waiting?: { reason: 'retry' | 'network'; until?: number };
  /** The attempt ended (succeeded, failed, canceled): live details no longer apply. */
  ended?: boolean;
}

/** Everything said on the engine's BroadcastChannel. */
export type EngineMessage =
  | { type: 'progress'; progress: TaskProgress }
  /** New or requeued work: the leader looks at the queue again. */
  | { type: 'wake' }
  /** Abort these running tasks (already marked canceled in the database). */
  | { type: 'abort'; ids: string[] }
  /** Which engine leads now (each engine has a random id). */
  | { type: 'leader'; engineId: string };

export const ENGINE_CHANNEL = 'atelier-engine';

export interface EngineChannel {
  post(message: EngineMessage): void;
  subscribe(listener: (message: EngineMessage) => void): () => void;
  close(): void;
}

/** BroadcastChannel with the engine's typed messages. */
export function broadcastChannel(name = ENGINE_CHANNEL): EngineChannel {
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    subscribe(listener) {
      const handler = (event: MessageEvent<EngineMessage>) => listener(event.data);
      channel.addEventListener('message', handler);
      return () => channel.removeEventListener('message', handler);
    },
    close: () => channel.close()
  };
}
