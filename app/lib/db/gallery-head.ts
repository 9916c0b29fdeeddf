// The gallery's first screen, read before the app's code has arrived. On a cold visit to /gallery
// the app's own database connection (Dexie, in database.ts) can only start once every module has
// loaded and run, and opening IndexedDB with a large library then took 100-170 ms in Chromium: the
// first thumbnails waited for both. readGalleryHead() is plain IndexedDB with no imports, so it can
// run as an inline script in index.html (galleryHeadScript()) while the app's code downloads; the
// gallery takes its answer (takeGalleryHead()) instead of reading the same rows again.
//
// It reads exactly what firstScreen() in images.repo.ts reads (newest main images of the library
// by the [listed+deletedAt+id] index, their rows and thumbnails), and the thumbnails' bytes too, so
// the grid can draw them as data: URLs without another round trip. It never creates the database
// (a first visit leaves that to the app's schema), gives way to any version change, and closes its
// connection when done; any surprise (no database, an older schema, an error) answers null and
// the gallery reads as usual.

import type { ImageRecord } from './records';

/** What readGalleryHead() answers: the first screen, thumbnails as bytes with their type. */
export interface GalleryHead {
  ids: string[];
  rows: ImageRecord[];
  thumbs: { id: string; type: string; bytes: ArrayBuffer }[];
}

/** The global the inline script leaves its promise on. */
const GLOBAL = '__atelierGalleryHead';

/**
 * Reads the newest `count` main images with their thumbnails' bytes, with the raw IndexedDB API,
 * on `opened` when given (the app's own connection, left open) or on a connection of its own.
 * Self-contained on purpose (no imports, no module variables, nothing a compiler adds): its source
 * text is what index.html runs.
 *
 * The newest rows come from one getAllRecords() request where the browser has it (Chromium 141+:
 * index keys, primary keys and values, newest first); a cursor otherwise, whose 48 steps each
 * waited for the main thread while the app's code was starting (over 100 ms measured).
 */
export function readGalleryHead(count: number, opened?: IDBDatabase): Promise<GalleryHead | null> {
  // Arrow functions only as arguments and handlers: a named one would get a helper call from
  // compilers that keep function names (esbuild's keepNames), which the page does not have.
  return new Promise<IDBDatabase | null>((resolve) => {
    if (opened) return resolve(opened);
    let request: IDBOpenDBRequest;
    try {
      request = indexedDB.open('atelier');
    } catch {
      return resolve(null);
    }
    // No database yet: abort, so the app's schema creates it (an aborted first upgrade leaves none).
    request.onupgradeneeded = () => request.transaction?.abort();
    request.onerror = (event) => {
      event.preventDefault();
      resolve(null);
    };
    request.onsuccess = () => {
      request.result.onversionchange = () => request.result.close();
      resolve(request.result);
    };
  }).then(
    (db) =>
      new Promise<GalleryHead | null>((resolve) => {
        if (!db) return resolve(null);
        const ids: string[] = [];
        const rows: ImageRecord[] = [];
        const thumbs: { id: string; blob: Blob }[] = [];
        try {
          const tx = db.transaction(['images', 'thumbs'], 'readonly');
          const images = tx.objectStore('images');
          const store = tx.objectStore('thumbs');
          const index = images.index('[listed+deletedAt+id]') as IDBIndex & {
            getAllRecords?: (options: object) => IDBRequest<{ primaryKey: IDBValidKey; value: ImageRecord }[]>;
          };
          const range = IDBKeyRange.bound([1, 0, ''], [1, 0, '\uffff']);
          // The ids (and rows), then the thumbnails of those ids, all in this transaction.
          new Promise<void>((listed) => {
            if (typeof index.getAllRecords === 'function') {
              index.getAllRecords({ query: range, count, direction: 'prev' }).onsuccess = (event) => {
                for (const record of (event.target as IDBRequest<{ primaryKey: IDBValidKey; value: ImageRecord }[]>).result) {
                  ids.push(record.primaryKey as string);
                  rows.push(record.value);
                }
                listed();
              };
              return;
            }
            index.openKeyCursor(range, 'prev').onsuccess = (event) => {
              const cursor = (event.target as IDBRequest<IDBCursor | null>).result;
              if (cursor && ids.length < count) {
                ids.push(cursor.primaryKey as string);
                cursor.continue();
                return;
              }
              ids.forEach((id, i) => {
                images.get(id).onsuccess = (got) => {
                  rows[i] = (got.target as IDBRequest<ImageRecord>).result;
                };
              });
              listed();
            };
          }).then(() =>
            // Still inside the success event's microtasks, so the transaction is active.
            ids.forEach((id) => {
              store.get(id).onsuccess = (event) => {
                const thumb = (event.target as IDBRequest<{ blob?: unknown } | undefined>).result;
                if (thumb && thumb.blob instanceof Blob) thumbs.push({ id, blob: thumb.blob });
              };
            })
          );
          tx.oncomplete = () => {
            if (db !== opened) db.close();
            // The bytes are read after the transaction: Blobs stay readable, and nothing holds
            // the database meanwhile.
            Promise.all(thumbs.map((thumb) => thumb.blob.arrayBuffer().then((bytes) => ({ id: thumb.id, type: thumb.blob.type, bytes }))))
              .then((bytes) => resolve({ ids, rows: rows.filter(Boolean), thumbs: bytes }))
              .catch(() => resolve(null));
          };
          tx.onabort = () => {
            if (db !== opened) db.close();
            resolve(null);
          };
        } catch {
          // An older schema without the stores or the index.
          if (db !== opened) db.close();
          resolve(null);
        }
      })
  );
}

/** The first screen's size, the same as the gallery's own read (gallery.svelte.ts FIRST_SCREEN). */
export const GALLERY_HEAD_COUNT = 48;

/**
 * The inline <script> for index.html's <head>: on a visit to /gallery, starts readGalleryHead()
 * at once and leaves its promise for the gallery. Anywhere else it does nothing.
 */
export function galleryHeadScript(count = GALLERY_HEAD_COUNT): string {
  return `<script>
      // The gallery's first screen, read while the app's code downloads (app/lib/db/gallery-head.ts).
      if (/^\\/gallery\\/?$/.test(location.pathname)) window.${GLOBAL} = (${readGalleryHead.toString()})(${count});
    </script>`;
}

/**
 * The inline script's answer, once: later visits in the same page read the database as usual.
 * Null when the page did not start one (another first page, a dev server) or its answer is not
 * the shape expected.
 */
export function takeGalleryHead(): Promise<GalleryHead | null> | null {
  const scope = globalThis as { [GLOBAL]?: Promise<unknown> };
  const pending = scope[GLOBAL];
  if (!pending || typeof pending.then !== 'function') return null;
  delete scope[GLOBAL];
  return pending.then(
    (head) => (isGalleryHead(head) ? head : null),
    () => null
  );
}

function isGalleryHead(value: unknown): value is GalleryHead {
  if (!value || typeof value !== 'object') return false;
  const head = value as Partial<GalleryHead>;
  return (
    Array.isArray(head.ids) &&
    head.ids.every((id) => typeof id === 'string') &&
    Array.isArray(head.rows) &&
    head.rows.every((row) => row !== null && typeof row === 'object' && typeof (row as ImageRecord).id === 'string') &&
    Array.isArray(head.thumbs) &&
    head.thumbs.every((thumb) => typeof thumb?.id === 'string' && typeof thumb.type === 'string' && thumb.bytes instanceof ArrayBuffer)
  );
}
