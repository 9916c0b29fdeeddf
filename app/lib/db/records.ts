// What each IndexedDB table holds. Booleans that are indexed are stored as 0 | 1 (IndexedDB cannot
// index booleans), and "not deleted" is deletedAt = 0 so live rows can be paged by a compound index.

import type { DialectChoice, GenerationRequest } from '$lib/core/types';

export type Flag = 0 | 1;

export interface ImageRecord {
  id: string;
  createdAt: number;
  prompt: string;
  /** The generation parameters as sent (size, quality, n ...), without images. */
  params: Omit<GenerationRequest, 'prompt' | 'images' | 'mask' | 'history'>;
  providerId: string;
  providerLabel: string;
  dialect: DialectChoice;
  model: string;
  width: number;
  height: number;
  bytes: number;
  mime: string;
  sha256: string;
  favorite: Flag;
  tags: string[];
  /** 'edited' when the request had input images. */
  kind: 'generated' | 'edited';
  sessionId: string | null;
  taskId: string | null;
  batchId: string | null;
  /** sha256 of each input image, in order. */
  sources: string[];
  /** The main image of the answer this one belongs to; null for a main image. */
  candidateOf: string | null;
  /** 1 for main images (shown in the grid), 0 for candidates (shown in their main image's detail). */
  listed: Flag;
  durationMs: number;
  /** 0 while live; the time it went to the trash otherwise. */
  deletedAt: number;
  /** Lower-cased words and CJK character bigrams of the prompt, for search. */
  searchTokens: string[];
}

export interface BlobRecord {
  id: string;
  blob: Blob;
}

export interface ThumbRecord {
  id: string;
  blob: Blob;
  width: number;
  height: number;
}

export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'interrupted';
export type TaskStage = 'sending' | 'waiting' | 'receiving' | 'fetching' | 'processing' | 'saving';

/** A task's error as a value: the provider layer's kinds, plus 'decode', 'storage' and 'interrupted' raised by the engine. */
export interface TaskError {
  kind: string;
  message: string;
  status?: number;
  retryable?: boolean;
}

/** The last attempt's request as sent, for the debug view: never the API key or image payloads. */
export interface RequestSummary {
  method: string;
  /** Without its query string (some gateways take keys there). */
  url: string;
  dialect: string;
  params: Record<string, unknown>;
  inputImages: number;
}

export interface TaskRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  status: TaskStatus;
  stage: TaskStage | null;
  /** When the current stage began (running tasks only). */
  stageStartedAt: number | null;
  /** Interactive single generations jump ahead of batch work. */
  priority: number;
  providerId: string;
  providerLabel: string;
  dialect: DialectChoice;
  model: string;
  request: Omit<GenerationRequest, 'images' | 'mask'>;
  /** Ids of the input images' rows in `blobs`. */
  inputIds: string[];
  maskId: string | null;
  sessionId: string | null;
  batchId: string | null;
  /** Attempts started, over the task's whole life. */
  attempts: number;
  /** Automatic retries still allowed before the task fails; a manual retry refills them. */
  retriesLeft: number;
  /** A queued task does not start before this time (backoff, Retry-After). */
  notBefore: number;
  /** Why a queued task is held back: backing off after an error, or the browser being offline. */
  waitingFor: 'retry' | 'network' | null;
  /** Milliseconds spent in each stage, summed over attempts. */
  timings: Partial<Record<TaskStage, number>>;
  error: TaskError | null;
  /** Every image this task produced, over all its attempts (a retry keeps earlier ones). */
  resultIds: string[];
  requestSummary: RequestSummary | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface SessionTurn {
  id: string;
  createdAt: number;
  prompt: string;
  inputIds: string[];
  taskId: string | null;
  outputIds: string[];
  error: string | null;
}

export interface SessionRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  title: string;
  providerId: string | null;
  turns: SessionTurn[];
  deletedAt: number;
}

export interface ProviderRecord {
  id: string;
  createdAt: number;
  name: string;
  dialect: DialectChoice;
  baseUrl: string;
  /** Kept only in this browser's IndexedDB; never exported unless the person asks. */
  apiKey: string;
  model: string;
  concurrency: number;
  timeoutMs: number;
  isDefault: Flag;
  /** Last parameters used with this provider, restored when it is picked again. */
  params: Record<string, unknown>;
  /** Set on rows a relay lists (relay.repo.ts): the relay holds the key, so `apiKey` stays empty. */
  relay?: RelaySource;
  /**
   * Extra request headers. Only relay rows on another origin have one: the relay's session token
   * (`Authorization: Bearer`), since the browser sends its SameSite=Strict cookie only to its own origin.
   */
  headers?: Record<string, string>;
}

export interface RelaySource {
  /** The relay's origin (`https://host:port`). */
  origin: string;
  /** The provider's id in the relay's config; requests go to `<origin>/api/upstream/<providerId>`. */
  providerId: string;
  /** The models the relay lists for it. */
  models: string[];
}

export interface PresetRecord {
  id: string;
  createdAt: number;
  name: string;
  kind: 'params' | 'save-rule';
  providerId: string | null;
  params: Record<string, unknown>;
}

export interface PromptRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  title: string;
  text: string;
  category: string;
  tags: string[];
  favorite: Flag;
  uses: number;
  deletedAt: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  /** Auto-incremented, so the ring trims oldest first. */
  seq?: number;
  time: number;
  level: LogLevel;
  taskId: string | null;
  message: string;
  /** Longer text behind the message (a raw upstream stream, truncated), shown on demand. */
  detail?: string;
}

export interface SettingRecord {
  key: string;
  value: unknown;
}
