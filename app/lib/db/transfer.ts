// The page's side of the transfer worker (transfer.worker.ts): ZIP downloads, backup export and
// import run there, off the main thread, because they read every byte they carry (CRC-32 for the
// archive, CRC-32 and SHA-256 to check an import). Archives stay streamed: the worker hands back
// a Blob made of references to the stored images, and reads an imported file slice by slice.
// The worker starts on first use and is reached through Comlink, like the engine's (bridge.ts).

import * as Comlink from 'comlink';
import { BackupError, type BackupErrorKind, type BackupProgress, type ImportResult } from './backup';
import type { TransferWorkerApi } from './transfer.worker';

interface Connection {
  api: Comlink.Remote<TransferWorkerApi>;
  /** Rejects when the worker cannot start or crashes: every job in it is lost. */
  crashed: Promise<never>;
}

let connection: Connection | undefined;

function start(): Connection {
  if (connection) return connection;
  const worker = new Worker(new URL('./transfer.worker.ts', import.meta.url), { type: 'module', name: 'atelier-transfer' });
  const crashed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      reject(new Error(event.message || 'transfer worker failed'));
      worker.terminate();
      connection = undefined;
    });
  });
  crashed.catch(() => {}); // no job waiting is not an unhandled rejection
  connection = { api: Comlink.wrap<TransferWorkerApi>(worker), crashed };
  return connection;
}

async function run<T>(job: (api: Comlink.Remote<TransferWorkerApi>, onProgress: BackupProgress) => Promise<T>, onProgress?: BackupProgress): Promise<T> {
  const { api, crashed } = start();
  // Progress comes over a channel of its own, so a last report can land after the answer; it must
  // not overwrite what the caller shows once the job is over.
  let over = false;
  const progress = Comlink.proxy((done: number, total: number) => {
    if (!over) onProgress?.(done, total);
  });
  try {
    return await Promise.race([job(api, progress), crashed]);
  } catch (error) {
    // Rebuilds a refused backup (transfer.worker.ts sends its kind as the message), so callers can
    // tell it from a full disk or any other failure.
    throw error instanceof Error && error.name === 'BackupError' ? new BackupError(error.message as BackupErrorKind) : error;
  } finally {
    over = true;
  }
}

/** The whole library as a backup ZIP, made in the worker. */
export function exportBackupInWorker(onProgress?: BackupProgress): Promise<Blob> {
  return run((api, progress) => api.exportBackup(progress), onProgress);
}

/** Chosen images (with recipes and metadata.json) as a ZIP, made in the worker. */
export function exportSelectionInWorker(ids: readonly string[], onProgress?: BackupProgress): Promise<Blob> {
  return run((api, progress) => api.exportSelection([...ids], progress), onProgress);
}

/** Checks and merges a backup in the worker; rejects with BackupError when it is refused. */
export function importBackupInWorker(archive: Blob, onProgress?: BackupProgress): Promise<ImportResult> {
  return run((api, progress) => api.importBackup(archive, progress), onProgress);
}
