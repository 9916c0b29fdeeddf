// The page's side of the transfer worker (transfer.worker.ts): ZIP downloads, backup export and
// import run there, off the main thread, because they read every byte they carry (CRC-32 for the
// archive, CRC-32 and SHA-256 to check an import). Archives stay streamed: the worker hands back
// a Blob made of references to the stored images, and reads an imported file slice by slice.
// Plain postMessage, like imaging/compress.ts (Comlink belongs to the engine).

import { BackupError, type BackupErrorKind, type BackupProgress, type ImportResult } from './backup';

export type TransferJob = { kind: 'export' } | { kind: 'selection'; ids: string[] } | { kind: 'import'; archive: Blob };

export interface TransferRequest {
  id: number;
  job: TransferJob;
}

export type TransferReply =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'done'; archive?: Blob; imported?: ImportResult }
  | { id: number; type: 'failed'; name: string; message: string; backupKind?: BackupErrorKind };

/** Rebuilds the error the worker threw, so callers can tell a refused backup or a full disk apart. */
export function transferError(reply: Extract<TransferReply, { type: 'failed' }>): Error {
  if (reply.backupKind) return new BackupError(reply.backupKind);
  const error = new Error(reply.message);
  error.name = reply.name;
  return error;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (reply: Extract<TransferReply, { type: 'done' }>) => void; reject: (error: Error) => void; onProgress?: BackupProgress }>();

function start(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./transfer.worker.ts', import.meta.url), { type: 'module', name: 'atelier-transfer' });
  worker.onmessage = (event: MessageEvent<TransferReply>) => {
    const reply = event.data;
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    if (reply.type === 'progress') return waiting.onProgress?.(reply.done, reply.total);
    pending.delete(reply.id);
    if (reply.type === 'done') waiting.resolve(reply);
    else waiting.reject(transferError(reply));
  };
  worker.onerror = (event) => {
    // The worker could not start or crashed: every job in it is lost.
    const error = new Error(event.message || 'transfer worker failed');
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
    worker?.terminate();
    worker = undefined;
  };
  return worker;
}

function run(job: TransferJob, onProgress?: BackupProgress): Promise<Extract<TransferReply, { type: 'done' }>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    const request: TransferRequest = { id, job };
    start().postMessage(request);
  });
}

/** The whole library as a backup ZIP, made in the worker. */
export async function exportBackupInWorker(onProgress?: BackupProgress): Promise<Blob> {
  return (await run({ kind: 'export' }, onProgress)).archive!;
}

/** Chosen images (with recipes and metadata.json) as a ZIP, made in the worker. */
export async function exportSelectionInWorker(ids: readonly string[], onProgress?: BackupProgress): Promise<Blob> {
  return (await run({ kind: 'selection', ids: [...ids] }, onProgress)).archive!;
}

/** Checks and merges a backup in the worker; rejects with BackupError when it is refused. */
export async function importBackupInWorker(archive: Blob, onProgress?: BackupProgress): Promise<ImportResult> {
  return (await run({ kind: 'import', archive }, onProgress)).imported!;
}
