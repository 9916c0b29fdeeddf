// The images repository: the one place that writes ImageRecords, their full-size Blobs and their
// thumbnails, and the queries the gallery runs over them.
//
// Writing from the engine (issue 4). Hashing is asynchronous (crypto.subtle), and an IndexedDB
// transaction commits as soon as it waits on anything but IndexedDB, so saving is split in two:
//
//   const prepared = await prepareImageSet(input);            // outside any transaction
//   await db.transaction('rw', [...IMAGE_SET_TABLES, 'tasks'], async () => {
//     await putImageSet(db, prepared);                         // inside the caller's transaction
//     await db.tasks.update(taskId, { status: 'succeeded', resultIds: prepared.ids, ... });
//   });
//
// or, when nothing else has to commit with the images, `await saveImageSet(db, input)`.
//
// Reading for the grid. The grid needs the order of every matching image (to size the scroll
// area and find neighbours) but only the rows on screen. `galleryOrder()` walks an index and
// returns ids only (10,000 ids are a few hundred KB); `galleryMatches()` intersects key sets from
// other indexes. The two are separate so typing a search reads only the (small) token ranges
// while the order stays in memory; rows/thumbnails are fetched by key for the visible window.
// No query ever skips rows by offset.

import { liveQuery } from 'dexie';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import { onTableChanged, type LiveRead } from './live-read';
import type { BlobRecord, ImageRecord, ThumbRecord } from './records';
import { isEmptySearch, parseSearch, searchTokens } from './search';

/** Tables a transaction around putImageSet() must include. */
export const IMAGE_SET_TABLES = ['images', 'blobs', 'thumbs'] as const;

export interface ImageInput {
  /** The image file as received (PNG, JPEG, WebP); its `type` is stored as the mime. */
  blob: Blob;
  width: number;
  height: number;
  /** A WebP of about 384 px on the long side, made by the engine with OffscreenCanvas. */
  thumb: { blob: Blob; width: number; height: number };
}

export interface ImageSetInput {
  prompt: string;
  params: ImageRecord['params'];
  providerId: string;
  providerLabel: string;
  dialect: ImageRecord['dialect'];
  model: string;
  /** sha256 of each input image, in order; any input makes the set 'edited'. */
  sources?: string[];
  sessionId?: string | null;
  taskId?: string | null;
  batchId?: string | null;
  durationMs: number;
  tags?: string[];
  /** Defaults to now. */
  createdAt?: number;
  /** Every final image of one answer. The largest (by pixels; first on a tie) becomes the main image. */
  images: ImageInput[];
}

export interface PreparedImageSet {
  /** Ids in the order of `input.images`. */
  ids: string[];
  main: ImageRecord;
  records: ImageRecord[];
  blobs: BlobRecord[];
  thumbs: ThumbRecord[];
}

/** Lower-case hex SHA-256 of a Blob or bytes. */
export async function sha256Hex(data: Blob | Uint8Array): Promise<string> {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Builds the rows of one answer: ids, hashes, search tokens, main/candidate links. No writes. */
export async function prepareImageSet(input: ImageSetInput): Promise<PreparedImageSet> {
  if (input.images.length === 0) throw new Error('prepareImageSet: an image set needs at least one image');
  const createdAt = input.createdAt ?? Date.now();
  const hashes = await Promise.all(input.images.map((image) => sha256Hex(image.blob)));
  let mainIndex = 0;
  input.images.forEach((image, index) => {
    const best = input.images[mainIndex]!;
    if (image.width * image.height > best.width * best.height) mainIndex = index;
  });
  const ids = input.images.map(() => newId(createdAt));
  const mainId = ids[mainIndex]!;
  const tokens = searchTokens(input.prompt);
  const sources = input.sources ?? [];
  const records = input.images.map((image, index): ImageRecord => ({
    id: ids[index]!,
    createdAt,
    prompt: input.prompt,
    params: input.params,
    providerId: input.providerId,
    providerLabel: input.providerLabel,
    dialect: input.dialect,
    model: input.model,
    width: image.width,
    height: image.height,
    bytes: image.blob.size,
    mime: image.blob.type || 'application/octet-stream',
    sha256: hashes[index]!,
    favorite: 0,
    tags: input.tags ?? [],
    kind: sources.length > 0 ? 'edited' : 'generated',
    sessionId: input.sessionId ?? null,
    taskId: input.taskId ?? null,
    batchId: input.batchId ?? null,
    sources,
    candidateOf: index === mainIndex ? null : mainId,
    listed: index === mainIndex ? 1 : 0,
    durationMs: input.durationMs,
    deletedAt: 0,
    searchTokens: tokens
  }));
  return {
    ids,
    main: records[mainIndex]!,
    records,
    blobs: input.images.map((image, index) => ({ id: ids[index]!, blob: image.blob })),
    thumbs: input.images.map((image, index) => ({ id: ids[index]!, ...image.thumb }))
  };
}

/** Writes a prepared set. Call inside a 'rw' transaction that includes IMAGE_SET_TABLES. */
export async function putImageSet(db: AtelierDatabase, prepared: PreparedImageSet): Promise<void> {
  await db.images.bulkAdd(prepared.records);
  await db.blobs.bulkAdd(prepared.blobs);
  await db.thumbs.bulkAdd(prepared.thumbs);
}

/** Prepares and writes one answer's images in a transaction of its own. */
export async function saveImageSet(db: AtelierDatabase, input: ImageSetInput): Promise<PreparedImageSet> {
  const prepared = await prepareImageSet(input);
  await db.transaction('rw', [...IMAGE_SET_TABLES], () => putImageSet(db, prepared));
  return prepared;
}

// ---- Queries -------------------------------------------------------------------------------------

export type GallerySort = 'newest' | 'oldest' | 'largest';

export interface GalleryFilter {
  /** Prompt search, English or Chinese. */
  text: string;
  favorites: boolean;
  /** Inclusive creation-time bounds (ms), or null. */
  from: number | null;
  to: number | null;
  model: string | null;
  kind: ImageRecord['kind'] | null;
  sessionId: string | null;
  batchId: string | null;
  sort: GallerySort;
  /** The trash instead of the library (then ordered by deletion time, newest first). */
  trash: boolean;
}

export const defaultFilter: GalleryFilter = {
  text: '',
  favorites: false,
  from: null,
  to: null,
  model: null,
  kind: null,
  sessionId: null,
  batchId: null,
  sort: 'newest',
  trash: false
};

// Range ends for compound keys. Plain values, not Dexie.minKey/maxKey: IndexedDB rejects a key
// holding the same array object twice (its cycle check), and these positions are numbers or ids.
const LOW = -Infinity;
const HIGH = Infinity;
const FIRST_ID = '';
const LAST_ID = '\uffff';

/**
 * Ids of main images in display order, before the key-set filters. Depends only on `trash`,
 * `sort` and `favorites`, so the gallery keeps it while the other filters change. Ranges are
 * always read forward and reversed here: Dexie answers a forward primaryKeys() with one
 * getAllKeys() call, while a reverse one may walk a cursor key by key.
 */
export async function galleryOrder(db: AtelierDatabase, filter: Pick<GalleryFilter, 'trash' | 'sort' | 'favorites'>): Promise<string[]> {
  if (filter.trash) {
    return (await db.images.where('[listed+deletedAt+id]').between([1, 1, FIRST_ID], [1, HIGH, LAST_ID]).primaryKeys()).reverse();
  }
  if (filter.sort === 'largest') {
    return (await db.images.where('[listed+deletedAt+bytes+id]').between([1, 0, LOW, FIRST_ID], [1, 0, HIGH, LAST_ID]).primaryKeys()).reverse();
  }
  const range = filter.favorites
    ? db.images.where('[listed+favorite+deletedAt+id]').between([1, 1, 0, FIRST_ID], [1, 1, 0, LAST_ID])
    : db.images.where('[listed+deletedAt+id]').between([1, 0, FIRST_ID], [1, 0, LAST_ID]);
  const keys = await range.primaryKeys();
  return filter.sort === 'newest' ? keys.reverse() : keys;
}

/** Smallest set first, so the membership tests run over the fewest keys. */
function intersect(sets: Set<string>[]): Set<string> | null {
  if (sets.length === 0) return null;
  sets.sort((a, b) => a.size - b.size);
  const [smallest, ...rest] = sets;
  return new Set([...smallest!].filter((key) => rest.every((set) => set.has(key))));
}

/** Whether a filter narrows galleryOrder() at all (if not, galleryMatches() is null). */
export function narrows(filter: GalleryFilter): boolean {
  return (
    !isEmptySearch(parseSearch(filter.text)) ||
    filter.from !== null ||
    filter.to !== null ||
    filter.model !== null ||
    filter.kind !== null ||
    filter.sessionId !== null ||
    filter.batchId !== null ||
    (filter.favorites && (filter.sort === 'largest' || filter.trash))
  );
}

/**
 * The ids a filter allows, as the intersection of key sets from single-field indexes (one per
 * active filter), or null when nothing narrows the order. Keys only: a search for two tokens
 * reads two index ranges of ids, never a row.
 */
export async function galleryMatches(db: AtelierDatabase, filter: GalleryFilter): Promise<Set<string> | null> {
  const lookups: (() => Promise<string[]>)[] = [];
  const search = parseSearch(filter.text);
  if (!isEmptySearch(search)) {
    for (const token of search.exact) lookups.push(() => db.images.where('searchTokens').equals(token).primaryKeys());
    if (search.prefix !== null) {
      const prefix = search.prefix;
      lookups.push(() => db.images.where('searchTokens').startsWith(prefix).primaryKeys());
    }
  }
  if (filter.from !== null || filter.to !== null) {
    const { from, to } = filter;
    lookups.push(() => db.images.where('createdAt').between(from ?? -Infinity, to ?? Infinity, true, true).primaryKeys());
  }
  const { model, kind, sessionId, batchId } = filter;
  if (model !== null) lookups.push(() => db.images.where('model').equals(model).primaryKeys());
  if (kind !== null) lookups.push(() => db.images.where('kind').equals(kind).primaryKeys());
  if (sessionId !== null) lookups.push(() => db.images.where('sessionId').equals(sessionId).primaryKeys());
  if (batchId !== null) lookups.push(() => db.images.where('batchId').equals(batchId).primaryKeys());
  if (filter.favorites && (filter.sort === 'largest' || filter.trash)) {
    lookups.push(() => db.images.where('[listed+favorite+deletedAt+id]').between([1, 1, 0, FIRST_ID], [1, 1, HIGH, LAST_ID]).primaryKeys());
  }
  // One transaction for all of them, not one each.
  const all = lookups.length > 1 ? await db.transaction('r', db.images, () => Promise.all(lookups.map((lookup) => lookup()))) : await Promise.all(lookups.map((lookup) => lookup()));
  return intersect(all.map((keys) => new Set(keys)));
}

/** The order filtered by the allowed set (null: everything in the order). */
export function applyMatches(order: readonly string[], allowed: ReadonlySet<string> | null): string[] {
  return allowed ? order.filter((id) => allowed.has(id)) : [...order];
}

/** Every id the gallery shows for a filter, in display order (read rows for the visible part with getImages()). */
export async function galleryKeys(db: AtelierDatabase, filter: GalleryFilter): Promise<string[]> {
  const [order, allowed] = await Promise.all([galleryOrder(db, filter), galleryMatches(db, filter)]);
  return applyMatches(order, allowed);
}

/** Rows for ids, in the same order; missing ones (deleted meanwhile) are left out. */
export async function getImages(db: AtelierDatabase, ids: readonly string[]): Promise<ImageRecord[]> {
  return (await db.images.bulkGet([...ids])).filter((row): row is ImageRecord => row !== undefined);
}

export function getImage(db: AtelierDatabase, id: string): Promise<ImageRecord | undefined> {
  return db.images.get(id);
}

export async function getImageBlob(db: AtelierDatabase, id: string): Promise<Blob | undefined> {
  return (await db.blobs.get(id))?.blob;
}

export async function getThumbs(db: AtelierDatabase, ids: readonly string[]): Promise<(ThumbRecord | undefined)[]> {
  return db.thumbs.bulkGet([...ids]);
}

/** The other images of the same answer as a main image, oldest first. */
export async function candidatesOf(db: AtelierDatabase, mainId: string): Promise<ImageRecord[]> {
  return db.images.where('candidateOf').equals(mainId).sortBy('id');
}

/** Ids of a set of main images and all their candidates. */
export async function withCandidates(db: AtelierDatabase, ids: readonly string[]): Promise<string[]> {
  const candidates = await db.images.where('candidateOf').anyOf([...ids]).primaryKeys();
  return [...new Set([...ids, ...candidates])];
}

export async function setFavorite(db: AtelierDatabase, ids: readonly string[], favorite: boolean): Promise<void> {
  await db.images.where('id').anyOf([...ids]).modify({ favorite: favorite ? 1 : 0 });
}

function cleanTag(tag: string): string {
  return tag.trim().replace(/\s+/g, ' ').slice(0, 64);
}

export async function addTags(db: AtelierDatabase, ids: readonly string[], tags: readonly string[]): Promise<void> {
  const clean = tags.map(cleanTag).filter(Boolean);
  if (clean.length === 0) return;
  await db.images
    .where('id')
    .anyOf([...ids])
    .modify((row) => {
      row.tags = [...new Set([...row.tags, ...clean])];
    });
}

export async function removeTag(db: AtelierDatabase, ids: readonly string[], tag: string): Promise<void> {
  await db.images
    .where('id')
    .anyOf([...ids])
    .modify((row) => {
      row.tags = row.tags.filter((t) => t !== tag);
    });
}

/** Models with at least one image, for the filter menu. */
export async function modelsInUse(db: AtelierDatabase): Promise<string[]> {
  return (await db.images.orderBy('model').uniqueKeys()).map(String);
}

/** Sessions and batches with images, for the filter menus (sessions with their titles). */
export async function groupsInUse(db: AtelierDatabase): Promise<{ sessions: { id: string; title: string }[]; batches: string[] }> {
  const [sessionIds, batchIds] = await Promise.all([db.images.orderBy('sessionId').uniqueKeys(), db.images.orderBy('batchId').uniqueKeys()]);
  const sessions = await db.sessions.bulkGet(sessionIds.map(String));
  return {
    sessions: sessionIds.map((id, i) => ({ id: String(id), title: sessions[i]?.title ?? String(id) })),
    batches: batchIds.map(String)
  };
}

// ---- Storage -------------------------------------------------------------------------------------

export interface TableCounts {
  /** All image rows, candidates and trashed ones included. */
  images: number;
  /** Main images in the trash. */
  trashed: number;
  blobs: number;
  thumbs: number;
  sessions: number;
  prompts: number;
  presets: number;
  tasks: number;
}

export async function tableCounts(db: AtelierDatabase): Promise<TableCounts> {
  const [images, trashed, blobs, thumbs, sessions, prompts, presets, tasks] = await Promise.all([
    db.images.count(),
    db.images.where('[listed+deletedAt+id]').between([1, 1, FIRST_ID], [1, HIGH, LAST_ID]).count(),
    db.blobs.count(),
    db.thumbs.count(),
    db.sessions.count(),
    db.prompts.count(),
    db.presets.count(),
    db.tasks.count()
  ]);
  return { images, trashed, blobs, thumbs, sessions, prompts, presets, tasks };
}

/**
 * Bytes of every image kept (trash and candidates included), from the keys of the index that
 * carries `bytes`: Settings asks on every visit, and reading 10,000 whole rows for one number
 * kept IndexedDB busy for the page opened next.
 */
export async function libraryBytes(db: AtelierDatabase): Promise<number> {
  const keys = (await db.images.orderBy('[listed+deletedAt+bytes+id]').keys()) as unknown as [number, number, number, string][];
  return keys.reduce((total, key) => total + key[2], 0);
}

export interface EvictionPlan {
  /** Main images to remove (their candidates go with them), oldest first. */
  ids: string[];
  /** Bytes freed, candidates included. */
  bytes: number;
  /** Library size before. */
  total: number;
}

/**
 * Which images to remove to bring the library under a size cap: trashed ones first, then the
 * oldest live images that are not favorites. Favorites are never evicted, so a plan may still
 * leave the library above the cap. Nothing is removed here; see trash.ts deleteForever().
 */
export async function planEviction(db: AtelierDatabase, capBytes: number): Promise<EvictionPlan> {
  const rows = await db.images.toArray();
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  const groupBytes = new Map<string, number>();
  for (const row of rows) {
    const main = row.candidateOf ?? row.id;
    groupBytes.set(main, (groupBytes.get(main) ?? 0) + row.bytes);
  }
  const mains = rows.filter((row) => row.listed === 1 && row.favorite === 0);
  mains.sort((a, b) => (a.deletedAt > 0) === (b.deletedAt > 0) ? (a.id < b.id ? -1 : 1) : a.deletedAt > 0 ? -1 : 1);
  const ids: string[] = [];
  let freed = 0;
  for (const row of mains) {
    if (total - freed <= capBytes) break;
    ids.push(row.id);
    freed += groupBytes.get(row.id) ?? 0;
  }
  return { ids, bytes: freed, total };
}

// ---- Live reads (Dexie liveQuery observables; state classes subscribe, see gallery.svelte.ts) -----

export const watchGalleryOrder = (db: AtelierDatabase, filter: Pick<GalleryFilter, 'trash' | 'sort' | 'favorites'>) =>
  followImages(db, () => galleryOrder(db, filter));
export const watchGalleryMatches = (db: AtelierDatabase, filter: GalleryFilter) => followImages(db, () => galleryMatches(db, filter));
export const watchImage = (db: AtelierDatabase, id: string) =>
  liveQuery(async () => {
    const image = await db.images.get(id);
    const mainId = image?.candidateOf ?? id;
    const [main, candidates] = await Promise.all([db.images.get(mainId), candidatesOf(db, mainId)]);
    return { image, main, candidates };
  });
export const watchTableCounts = (db: AtelierDatabase) => liveQuery(() => tableCounts(db));
export const watchFilterOptions = (db: AtelierDatabase) =>
  liveQuery(async () => ({ models: await modelsInUse(db), ...(await groupsInUse(db)) }));

/**
 * A live read for the gallery's key lists, shaped like a liveQuery but without its bookkeeping:
 * liveQuery records every primary key an index query returns (a tree insert per key, to wake
 * only for writes touching them), which profiled at tens of milliseconds of main thread for
 * 10,000 ids and about as much for a search's token ranges. Here any committed write to `images`
 * reruns the query instead: writes come a generation at a time and a rerun reads ids only.
 */
function followImages<T>(db: AtelierDatabase, query: () => Promise<T>): LiveRead<T> {
  return {
    subscribe({ next, error }) {
      let stopped = false;
      let running = false;
      let again = false;
      const run = async (): Promise<void> => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const value = await query();
            // A write landed while reading: read again rather than show what it changed.
            if (!stopped && !again) next(value);
          } while (again && !stopped);
        } catch (cause) {
          if (!stopped) error?.(cause);
        } finally {
          running = false;
        }
      };
      const stop = onTableChanged(db, 'images', () => void run());
      void run();
      return {
        unsubscribe: () => {
          stopped = true;
          stop();
        }
      };
    }
  };
}
