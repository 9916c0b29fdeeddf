// The transfer worker: runs backup.ts's export, import and selection ZIPs against its own
// connection to the database. Kept thin: the logic lives in backup.ts (tested in Node); this file
// only turns messages into calls and results (or errors) into messages. Writes made here reach
// the pages' live queries through Dexie's cross-context change events, as the engine worker's do.

import { BackupError, exportBackup, exportSelection, importBackup } from './backup';
import { database } from './database';
import type { TransferReply, TransferRequest } from './transfer';

/** The worker's own scope; the DOM lib types `self` as a window. */
const scope = self as unknown as Worker;

/** Progress is posted at most this often: a message per image would flood a 10,000-image export. */
const PROGRESS_MS = 100;

scope.onmessage = async (event: MessageEvent<TransferRequest>) => {
  const { id, job } = event.data;
  const post = (reply: TransferReply) => scope.postMessage(reply);
  let last = 0;
  const progress = (done: number, total: number) => {
    const now = performance.now();
    if (done < total && now - last < PROGRESS_MS) return;
    last = now;
    post({ id, type: 'progress', done, total });
  };
  try {
    const db = database();
    if (job.kind === 'import') post({ id, type: 'done', imported: await importBackup(db, job.archive, progress) });
    else post({ id, type: 'done', archive: job.kind === 'export' ? await exportBackup(db, progress) : await exportSelection(db, job.ids, progress) });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    post({ id, type: 'failed', name: failure.name, message: failure.message, backupKind: failure instanceof BackupError ? failure.kind : undefined });
  }
};
