// The transfer worker: runs backup.ts's export, import and selection ZIPs against its own
// connection to the database, behind Comlink. Kept thin: the logic lives in backup.ts (tested in
// Node); this file only throttles progress and readies errors for the crossing. Writes made here
// reach the pages' live queries through Dexie's cross-context change events, as the engine
// worker's do.

import * as Comlink from 'comlink';
import { BackupError, exportBackup, exportSelection, importBackup, type BackupProgress, type ImportResult } from './backup';
import { database } from './database';

/** Progress is sent at most this often: a message per image would flood a 10,000-image export. */
const PROGRESS_MS = 100;

function throttled(onProgress: BackupProgress): BackupProgress {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done < total && now - last < PROGRESS_MS) return;
    last = now;
    onProgress(done, total);
  };
}

/**
 * Comlink carries an error's name and message only: a refused backup crosses as a BackupError with
 * its bare kind for a message, which transfer.ts turns back into one.
 */
async function crossing<T>(job: () => Promise<T>): Promise<T> {
  try {
    return await job();
  } catch (error) {
    if (error instanceof BackupError) throw new BackupError(error.kind);
    throw error instanceof Error ? error : new Error(String(error));
  }
}

const api = {
  /** The whole library as a backup ZIP: a Blob made of references to the stored images. */
  exportBackup: (onProgress: BackupProgress): Promise<Blob> => crossing(() => exportBackup(database(), throttled(onProgress))),
  /** Chosen images (with recipes and metadata.json) as a ZIP. */
  exportSelection: (ids: string[], onProgress: BackupProgress): Promise<Blob> => crossing(() => exportSelection(database(), ids, throttled(onProgress))),
  /** Checks and merges a backup, read slice by slice; throws a BackupError when it is refused. */
  importBackup: (archive: Blob, onProgress: BackupProgress): Promise<ImportResult> => crossing(() => importBackup(database(), archive, throttled(onProgress)))
};

export type TransferWorkerApi = typeof api;

Comlink.expose(api);
