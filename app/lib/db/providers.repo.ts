// Providers: endpoint presets with their keys. Keys stay in this browser's IndexedDB; exports leave
// them out unless the person asks for them.

import { liveQuery } from 'dexie';
import type { DialectChoice } from '$lib/core/types';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import type { ProviderRecord } from './records';

export type ProviderInput = Pick<ProviderRecord, 'name' | 'dialect' | 'baseUrl' | 'apiKey' | 'model'> &
  Partial<Pick<ProviderRecord, 'concurrency' | 'timeoutMs' | 'params'>>;

export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_TIMEOUT_MS = 180_000;

const DIALECTS: readonly DialectChoice[] = ['openai-images', 'openai-chat', 'openai-responses', 'gemini', 'auto'];

/** All providers, oldest first (the order people added them in). */
export function listProviders(db: AtelierDatabase): Promise<ProviderRecord[]> {
  return db.providers.orderBy('createdAt').toArray();
}

export async function getProvider(db: AtelierDatabase, id: string): Promise<ProviderRecord | undefined> {
  return db.providers.get(id);
}

/** Adds a provider; the first one becomes the default. */
export async function createProvider(db: AtelierDatabase, input: ProviderInput): Promise<ProviderRecord> {
  return db.transaction('rw', db.providers, async () => {
    const record: ProviderRecord = {
      id: newId(),
      createdAt: Date.now(),
      name: input.name.trim(),
      dialect: input.dialect,
      baseUrl: input.baseUrl.trim(),
      apiKey: input.apiKey.trim(),
      model: input.model.trim(),
      concurrency: clampConcurrency(input.concurrency ?? DEFAULT_CONCURRENCY),
      timeoutMs: clampTimeout(input.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      isDefault: (await db.providers.count()) === 0 ? 1 : 0,
      params: input.params ?? {}
    };
    await db.providers.add(record);
    return record;
  });
}

export async function updateProvider(db: AtelierDatabase, id: string, changes: Partial<ProviderInput>): Promise<void> {
  const patch: Partial<ProviderRecord> = {};
  if (changes.name !== undefined) patch.name = changes.name.trim();
  if (changes.dialect !== undefined) patch.dialect = changes.dialect;
  if (changes.baseUrl !== undefined) patch.baseUrl = changes.baseUrl.trim();
  if (changes.apiKey !== undefined) patch.apiKey = changes.apiKey.trim();
  if (changes.model !== undefined) patch.model = changes.model.trim();
  if (changes.concurrency !== undefined) patch.concurrency = clampConcurrency(changes.concurrency);
  if (changes.timeoutMs !== undefined) patch.timeoutMs = clampTimeout(changes.timeoutMs);
  if (changes.params !== undefined) patch.params = changes.params;
  await db.providers.update(id, patch);
}

/** Remembers the studio parameters last used with a provider. */
export async function rememberParams(db: AtelierDatabase, id: string, params: Record<string, unknown>): Promise<void> {
  await db.providers.update(id, { params });
}

/** Deletes a provider; when it was the default, the oldest remaining one becomes the default. */
export async function deleteProvider(db: AtelierDatabase, id: string): Promise<void> {
  await db.transaction('rw', db.providers, async () => {
    const row = await db.providers.get(id);
    await db.providers.delete(id);
    if (row?.isDefault !== 1) return;
    const next = await db.providers.orderBy('createdAt').first();
    if (next) await db.providers.update(next.id, { isDefault: 1 });
  });
}

export async function duplicateProvider(db: AtelierDatabase, id: string, name: string): Promise<ProviderRecord | undefined> {
  const row = await db.providers.get(id);
  if (!row) return undefined;
  return createProvider(db, { ...row, name });
}

export async function setDefaultProvider(db: AtelierDatabase, id: string): Promise<void> {
  await db.transaction('rw', db.providers, async () => {
    await db.providers.where('isDefault').equals(1).modify({ isDefault: 0 });
    await db.providers.update(id, { isDefault: 1 });
  });
}

/** The JSON file people move providers with. */
export interface ProvidersExport {
  format: 'atelier.providers';
  version: 1;
  providers: Array<Omit<ProviderRecord, 'id' | 'createdAt' | 'isDefault' | 'apiKey'> & { apiKey?: string }>;
}

export async function exportProviders(db: AtelierDatabase, options: { includeKeys: boolean }): Promise<ProvidersExport> {
  // A relay's rows are the relay's to list; a file would only carry stale copies of them.
  const rows = (await listProviders(db)).filter((row) => !row.relay);
  return {
    format: 'atelier.providers',
    version: 1,
    providers: rows.map(({ id: _id, createdAt: _createdAt, isDefault: _isDefault, apiKey, ...rest }) =>
      options.includeKeys && apiKey ? { ...rest, apiKey } : rest
    )
  };
}

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

/** Adds every provider of an export (never replaces existing ones). Returns how many were added. */
export async function importProviders(db: AtelierDatabase, data: unknown): Promise<number> {
  const entries = readExport(data);
  await db.transaction('rw', db.providers, async () => {
    for (const entry of entries) await createProvider(db, entry);
  });
  return entries.length;
}

function readExport(data: unknown): ProviderInput[] {
  const root = data as Partial<ProvidersExport> | null;
  if (!root || typeof root !== 'object' || root.format !== 'atelier.providers' || !Array.isArray(root.providers)) {
    throw new ImportError('not an Atelier providers file');
  }
  return root.providers.map((raw, index) => {
    const entry = raw as unknown as Record<string, unknown>;
    const text = (key: string): string => (typeof entry[key] === 'string' ? (entry[key] as string) : '');
    const dialect = text('dialect') as DialectChoice;
    if (!text('name') || !text('baseUrl') || !DIALECTS.includes(dialect)) throw new ImportError(`provider ${index + 1} is incomplete`);
    return {
      name: text('name'),
      dialect,
      baseUrl: text('baseUrl'),
      apiKey: text('apiKey'),
      model: text('model'),
      concurrency: typeof entry.concurrency === 'number' ? entry.concurrency : DEFAULT_CONCURRENCY,
      timeoutMs: typeof entry.timeoutMs === 'number' ? entry.timeoutMs : DEFAULT_TIMEOUT_MS,
      params: entry.params && typeof entry.params === 'object' ? (entry.params as Record<string, unknown>) : {}
    };
  });
}

function clampConcurrency(value: number): number {
  return Number.isFinite(value) ? Math.min(16, Math.max(1, Math.round(value))) : DEFAULT_CONCURRENCY;
}

function clampTimeout(value: number): number {
  return Number.isFinite(value) ? Math.min(3_600_000, Math.max(5_000, Math.round(value))) : DEFAULT_TIMEOUT_MS;
}

/** The provider list, kept current as it changes in any tab. */
export function watchProviders(db: AtelierDatabase) {
  return liveQuery(() => listProviders(db));
}
