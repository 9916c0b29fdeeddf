// The share inbox: files another app shared to Atelier (Web Share Target), kept between the
// service worker that receives the POST and the studio that opens them as reference images.
//
//   service worker: const id = await putShared(db, files, { title, text });  -> 303 to /?shared=<id>
//   studio:         const shared = await takeShared(db, id);                 -> files, then gone
//
// The worker cannot hand Files to a page that does not exist yet, so they wait here. An entry is
// taken once (read and deleted in one transaction, so two tabs never both add the same files);
// entries nobody opened are dropped after a day, on the next share.

import type { AtelierDatabase } from './database';
import { newId } from './ids';

export interface InboxFile {
  name: string;
  type: string;
  /** Stored as a Blob: a File's name does not survive structured cloning everywhere. */
  blob: Blob;
}

export interface InboxRecord {
  id: string;
  createdAt: number;
  /** What the sharing app sent along (a page title, a caption); often empty. */
  title: string;
  text: string;
  files: InboxFile[];
}

export interface SharedFiles {
  title: string;
  text: string;
  /** In the order they were shared. */
  files: File[];
}

/** More than this in one share is almost certainly a mistake (a whole camera roll); the rest are dropped. */
export const MAX_SHARED_FILES = 16;

/** Shares not opened within this time are removed; the studio opens them immediately, so this is generous. */
export const INBOX_TTL_MS = 24 * 60 * 60 * 1000;

/** Only images can be references; anything else the sharing app sent along is ignored. */
export function isShareableImage(file: Blob): boolean {
  return file.type.startsWith('image/') && file.size > 0;
}

/**
 * Stores the images of one share and returns its id, or null when nothing in it is an image.
 * Old unopened shares are removed in the same transaction.
 */
export async function putShared(
  db: AtelierDatabase,
  files: readonly File[],
  meta: { title?: string; text?: string } = {},
  now = Date.now()
): Promise<string | null> {
  const images = files.filter(isShareableImage).slice(0, MAX_SHARED_FILES);
  if (images.length === 0) return null;
  const record: InboxRecord = {
    id: newId(now),
    createdAt: now,
    title: meta.title ?? '',
    text: meta.text ?? '',
    files: images.map((file, index) => ({ name: file.name || `shared-${index + 1}`, type: file.type, blob: file }))
  };
  await db.transaction('rw', db.inbox, async () => {
    await db.inbox.where('createdAt').below(now - INBOX_TTL_MS).delete();
    await db.inbox.add(record);
  });
  return record.id;
}

/** Takes a share out of the inbox: its files, or undefined when it was already taken or expired. */
export async function takeShared(db: AtelierDatabase, id: string): Promise<SharedFiles | undefined> {
  const record = await db.transaction('rw', db.inbox, async () => {
    const found = await db.inbox.get(id);
    if (found) await db.inbox.delete(id);
    return found;
  });
  if (!record) return undefined;
  return {
    title: record.title,
    text: record.text,
    files: record.files.map((file) => new File([file.blob], file.name, { type: file.type }))
  };
}
