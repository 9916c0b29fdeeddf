// Deleting is two steps: an image goes to the trash (deletedAt = the time it went), where it can
// be restored; from there it is removed for good by the person, by "empty trash", or by the
// 30-day purge. A main image's candidates always follow it.

import type { AtelierDatabase } from './database';
import { withCandidates } from './images.repo';

export const TRASH_DAYS = 30;
const DAY = 24 * 60 * 60 * 1000;

export async function moveToTrash(db: AtelierDatabase, ids: readonly string[], now = Date.now()): Promise<void> {
  await db.transaction('rw', db.images, async () => {
    const all = await withCandidates(db, ids);
    await db.images.where('id').anyOf(all).modify({ deletedAt: now });
  });
}

export async function restoreFromTrash(db: AtelierDatabase, ids: readonly string[]): Promise<void> {
  await db.transaction('rw', db.images, async () => {
    const all = await withCandidates(db, ids);
    await db.images.where('id').anyOf(all).modify({ deletedAt: 0 });
  });
}

/** Removes images, their candidates, Blobs and thumbnails for good, in one transaction. */
export async function deleteForever(db: AtelierDatabase, ids: readonly string[]): Promise<void> {
  await db.transaction('rw', [db.images, db.blobs, db.thumbs], async () => {
    const all = await withCandidates(db, ids);
    await Promise.all([db.images.bulkDelete(all), db.blobs.bulkDelete(all), db.thumbs.bulkDelete(all)]);
  });
}

function trashedBefore(db: AtelierDatabase, time: number) {
  return db.images.where('[deletedAt+createdAt]').between([1, -Infinity], [time, Infinity], true, true);
}

export async function emptyTrash(db: AtelierDatabase): Promise<number> {
  return purge(db, Infinity);
}

/** Removes what has been in the trash longer than TRASH_DAYS. Returns how many rows went. */
export async function purgeExpired(db: AtelierDatabase, now = Date.now()): Promise<number> {
  return purge(db, now - TRASH_DAYS * DAY);
}

async function purge(db: AtelierDatabase, deletedBefore: number): Promise<number> {
  return db.transaction('rw', [db.images, db.blobs, db.thumbs], async () => {
    const ids = await trashedBefore(db, deletedBefore).primaryKeys();
    await Promise.all([db.images.bulkDelete(ids), db.blobs.bulkDelete(ids), db.thumbs.bulkDelete(ids)]);
    return ids.length;
  });
}
