// Whole-library backup and restore as one ZIP.
//
// Layout (all entries stored, see imaging/zip.ts):
//   manifest.json        { format: "atelier-backup", version, createdAt, counts }
//   images.json          every ImageRecord (searchTokens left out: rebuilt on import)
//   sessions.json  prompts.json  presets.json  providers.json (API keys removed)
//   images/<id>.<ext>    the original bytes        thumbs/<id>.webp    the thumbnails
//   thumbs.json          each thumbnail's id, width and height
//
// Export yields entries one at a time and hands the image Blobs through by reference, so the
// archive is assembled without holding the library in memory. Import is all-or-nothing: the
// whole archive is checked first (directory, manifest, every entry's CRC-32, every image's
// SHA-256), then everything is written in one transaction whose Blobs are lazy slices of the
// file. Images whose content hash is already in the library are skipped (merge, no duplicates).

import { recipeOf, sidecarName, type Recipe } from '$lib/imaging/recipe';
import { entryBlob, readEntry, readZipDirectory, zipBlob, ZipError, type ZipEntry, type ZipFileEntry } from '$lib/imaging/zip';
import type { EntityTable, IDType } from 'dexie';
import type { AtelierDatabase } from './database';
import { getImages, sha256Hex } from './images.repo';
import type { ImageRecord, PresetRecord, PromptRecord, ProviderRecord, SessionRecord } from './records';
import { searchTokens } from './search';

export const BACKUP_FORMAT = 'atelier-backup';
export const BACKUP_VERSION = 1;
const BATCH = 50;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: number;
  counts: { images: number; sessions: number; prompts: number; presets: number; providers: number };
}

export type BackupProgress = (done: number, total: number) => void;

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/gif': 'gif', 'image/avif': 'avif' };

export function imageFileName(image: Pick<ImageRecord, 'id' | 'mime'>): string {
  return `${image.id}.${EXTENSIONS[image.mime] ?? 'bin'}`;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function* backupEntries(db: AtelierDatabase, onProgress?: BackupProgress): AsyncGenerator<ZipEntry> {
  const [images, sessions, prompts, presets, providers] = await Promise.all([
    db.images.toArray(),
    db.sessions.toArray(),
    db.prompts.toArray(),
    db.presets.toArray(),
    // A relay's rows belong to that relay (and may hold its session token); it lists them again.
    db.providers.filter((provider) => !provider.relay).toArray()
  ]);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: Date.now(),
    counts: { images: images.length, sessions: sessions.length, prompts: prompts.length, presets: presets.length, providers: providers.length }
  };
  yield { name: 'manifest.json', data: json(manifest) };
  yield { name: 'images.json', data: json(images.map(({ searchTokens: _tokens, ...row }) => row)) };
  yield { name: 'sessions.json', data: json(sessions) };
  yield { name: 'prompts.json', data: json(prompts) };
  yield { name: 'presets.json', data: json(presets) };
  yield { name: 'providers.json', data: json(providers.map((provider) => ({ ...provider, apiKey: '' }))) };
  const thumbSizes: { id: string; width: number; height: number }[] = [];
  for (let i = 0; i < images.length; i += BATCH) {
    const rows = images.slice(i, i + BATCH);
    const ids = rows.map((row) => row.id);
    const [blobs, thumbs] = await Promise.all([db.blobs.bulkGet(ids), db.thumbs.bulkGet(ids)]);
    for (const [k, row] of rows.entries()) {
      const blob = blobs[k]?.blob;
      if (blob) yield { name: `images/${imageFileName(row)}`, data: blob, modifiedAt: row.createdAt };
      const thumb = thumbs[k];
      if (thumb) {
        thumbSizes.push({ id: row.id, width: thumb.width, height: thumb.height });
        yield { name: `thumbs/${row.id}.webp`, data: thumb.blob, modifiedAt: row.createdAt };
      }
      onProgress?.(i + k + 1, images.length);
    }
  }
  yield { name: 'thumbs.json', data: json(thumbSizes) };
}

/** The whole library as a ZIP Blob (parts referenced, not copied). */
export function exportBackup(db: AtelierDatabase, onProgress?: BackupProgress): Promise<Blob> {
  return zipBlob(backupEntries(db, onProgress));
}

const SELECTION_BATCH = 24;

async function* selectionEntries(db: AtelierDatabase, ids: readonly string[], onProgress?: BackupProgress): AsyncGenerator<ZipEntry> {
  const listed: (Recipe & { id: string; file: string })[] = [];
  for (let i = 0; i < ids.length; i += SELECTION_BATCH) {
    const rows = await getImages(db, ids.slice(i, i + SELECTION_BATCH));
    const blobs = await db.blobs.bulkGet(rows.map((row) => row.id));
    for (const [k, row] of rows.entries()) {
      const blob = blobs[k]?.blob;
      if (!blob) continue;
      const file = imageFileName(row);
      const recipe = recipeOf(row);
      yield { name: `images/${file}`, data: blob, modifiedAt: row.createdAt };
      yield { name: `images/${sidecarName(file)}`, data: new TextEncoder().encode(JSON.stringify(recipe, null, 2)), modifiedAt: row.createdAt };
      listed.push({ id: row.id, file: `images/${file}`, ...recipe });
      onProgress?.(i + k + 1, ids.length);
    }
  }
  yield { name: 'metadata.json', data: new TextEncoder().encode(JSON.stringify({ format: 'atelier-images', images: listed }, null, 2)) };
}

/**
 * Chosen images as a ZIP: each original with a recipe sidecar, and metadata.json listing them.
 * Images are fetched a few at a time and referenced, not copied, so size is no memory problem.
 */
export function exportSelection(db: AtelierDatabase, ids: readonly string[], onProgress?: BackupProgress): Promise<Blob> {
  return zipBlob(selectionEntries(db, ids, onProgress));
}

export type BackupErrorKind = 'not-a-backup' | 'truncated' | 'corrupt' | 'newer-version';

/** Why an archive was refused; nothing was written. */
export class BackupError extends Error {
  override name = 'BackupError';
  constructor(readonly kind: BackupErrorKind, detail?: string) {
    super(detail ? `${kind}: ${detail}` : kind);
  }
}

export interface ImportResult {
  added: number;
  /** Images already in the library (same content hash). */
  skipped: number;
  sessions: number;
  prompts: number;
  presets: number;
  providers: number;
}

function isImageRow(value: unknown): value is Omit<ImageRecord, 'searchTokens'> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.sha256 === 'string' &&
    typeof v.prompt === 'string' &&
    typeof v.mime === 'string' &&
    typeof v.createdAt === 'number' &&
    typeof v.deletedAt === 'number' &&
    (v.listed === 0 || v.listed === 1) &&
    Array.isArray(v.tags)
  );
}

function isThumbSize(value: unknown): value is { id: string; width: number; height: number } {
  const v = value as { id?: unknown; width?: unknown; height?: unknown } | null;
  return typeof v?.id === 'string' && typeof v.width === 'number' && typeof v.height === 'number';
}

function hasId(value: unknown): value is { id: string } {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string';
}

async function readJson(archive: Blob, entries: Map<string, ZipFileEntry>, name: string): Promise<unknown> {
  const entry = entries.get(name);
  if (!entry) throw new BackupError('corrupt', `${name} missing`);
  try {
    return JSON.parse(new TextDecoder().decode(await readEntry(archive, entry)));
  } catch (error) {
    if (error instanceof ZipError) throw new BackupError('corrupt', name);
    throw new BackupError('corrupt', `${name} is not JSON`);
  }
}

async function readList<T>(archive: Blob, entries: Map<string, ZipFileEntry>, name: string, check: (v: unknown) => v is T): Promise<T[]> {
  const value = await readJson(archive, entries, name);
  if (!Array.isArray(value) || !value.every(check)) throw new BackupError('corrupt', `${name} has unexpected rows`);
  return value;
}

/**
 * Merges a backup into the library. Throws BackupError (and writes nothing) when the file is not
 * an Atelier backup, is cut short, or any byte of it is damaged.
 */
export async function importBackup(db: AtelierDatabase, archive: Blob, onProgress?: BackupProgress): Promise<ImportResult> {
  let directory: ZipFileEntry[];
  try {
    directory = await readZipDirectory(archive);
  } catch (error) {
    if (error instanceof ZipError) throw new BackupError(error.message === 'truncated' ? 'truncated' : 'not-a-backup');
    throw error;
  }
  const entries = new Map(directory.map((entry) => [entry.name, entry]));
  if (!entries.has('manifest.json')) throw new BackupError('not-a-backup');
  const manifest = (await readJson(archive, entries, 'manifest.json')) as Partial<BackupManifest> | null;
  if (manifest?.format !== BACKUP_FORMAT) throw new BackupError('not-a-backup');
  if ((manifest.version ?? 0) > BACKUP_VERSION) throw new BackupError('newer-version');

  const images = await readList(archive, entries, 'images.json', isImageRow);
  const sessions = await readList<SessionRecord>(archive, entries, 'sessions.json', hasId as (v: unknown) => v is SessionRecord);
  const prompts = await readList<PromptRecord>(archive, entries, 'prompts.json', hasId as (v: unknown) => v is PromptRecord);
  const presets = await readList<PresetRecord>(archive, entries, 'presets.json', hasId as (v: unknown) => v is PresetRecord);
  const providers = await readList<ProviderRecord>(archive, entries, 'providers.json', hasId as (v: unknown) => v is ProviderRecord);
  const thumbSizes = new Map(
    (await readList(archive, entries, 'thumbs.json', isThumbSize)).map((size) => [size.id, { width: size.width, height: size.height }])
  );

  // Check every image before writing any: the bytes must be intact and be what the row says.
  const files: { row: (typeof images)[number]; image: ZipFileEntry; thumb: ZipFileEntry | undefined }[] = [];
  for (const [index, row] of images.entries()) {
    const image = entries.get(`images/${imageFileName(row)}`);
    if (!image) throw new BackupError('corrupt', `image ${row.id} missing`);
    const thumb = entries.get(`thumbs/${row.id}.webp`);
    try {
      const bytes = await readEntry(archive, image);
      if ((await sha256Hex(bytes)) !== row.sha256) throw new BackupError('corrupt', `image ${row.id} does not match its hash`);
      if (thumb) await readEntry(archive, thumb);
    } catch (error) {
      if (error instanceof ZipError) throw new BackupError('corrupt', `image ${row.id}`);
      throw error;
    }
    files.push({ row, image, thumb });
    onProgress?.(index + 1, images.length);
  }

  return db.transaction('rw', [db.images, db.blobs, db.thumbs, db.sessions, db.prompts, db.presets, db.providers], async () => {
    // Content already here (under any id) is not added again; candidates follow a main image
    // that was merged into an existing one.
    const existing = new Map<string, string>();
    await db.images.each((row) => {
      if (!existing.has(row.sha256)) existing.set(row.sha256, row.id);
    });
    const existingIds = new Set(await db.images.toCollection().primaryKeys());
    const idFor = new Map<string, string>();
    const fresh = files.filter(({ row }) => {
      const same = existing.get(row.sha256);
      if (same !== undefined || existingIds.has(row.id)) {
        idFor.set(row.id, same ?? row.id);
        return false;
      }
      existing.set(row.sha256, row.id);
      return true;
    });
    await db.images.bulkAdd(
      fresh.map(({ row }): ImageRecord => ({
        ...row,
        candidateOf: row.candidateOf === null ? null : (idFor.get(row.candidateOf) ?? row.candidateOf),
        searchTokens: searchTokens(row.prompt)
      }))
    );
    await db.blobs.bulkAdd(fresh.map(({ row, image }) => ({ id: row.id, blob: entryBlob(archive, image, row.mime) })));
    await db.thumbs.bulkAdd(
      fresh.flatMap(({ row, thumb }) => {
        const size = thumbSizes.get(row.id);
        return thumb && size ? [{ id: row.id, blob: entryBlob(archive, thumb, 'image/webp'), ...size }] : [];
      })
    );
    const addMissing = async <T extends { id: string }>(table: EntityTable<T, 'id'>, rows: T[]) => {
      const have = await table.bulkGet(rows.map((row) => row.id as IDType<T, 'id'>));
      const missing = rows.filter((_, i) => have[i] === undefined);
      await table.bulkAdd(missing);
      return missing.length;
    };
    return {
      added: fresh.length,
      skipped: files.length - fresh.length,
      sessions: await addMissing<SessionRecord>(db.sessions, sessions),
      prompts: await addMissing<PromptRecord>(db.prompts, prompts),
      presets: await addMissing<PresetRecord>(db.presets, presets),
      providers: await addMissing<ProviderRecord>(db.providers, providers)
    };
  });
}
