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

export interface TaskRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  status: TaskStatus;
  stage: TaskStage | null;
  /** Interactive single generations jump ahead of batch work. */
  priority: number;
  providerId: string;
  model: string;
  request: Omit<GenerationRequest, 'images' | 'mask'>;
  /** Ids of the input images' rows in `blobs`. */
  inputIds: string[];
  maskId: string | null;
  sessionId: string | null;
  batchId: string | null;
  attempts: number;
  /** Milliseconds spent in each stage, summed over attempts. */
  timings: Partial<Record<TaskStage, number>>;
  error: { kind: string; message: string; status?: number } | null;
  resultIds: string[];
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
}

export interface SettingRecord {
  key: string;
  value: unknown;
}
