// A relay's providers, mirrored into the providers table so the studio, presets and the engine use
// them like any other provider: their base URL is the relay's proxy and they carry no key (the relay
// adds it). The app follows one relay at a time; a relay the person added by URL is kept in settings.

import type { DialectId } from '$lib/core/types';
import type { AtelierDatabase } from './database';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from './providers.repo';
import type { ProviderRecord } from './records';

/** A provider as the relay's `GET /api/providers` lists it. */
export interface ListedRelayProvider {
  id: string;
  label: string;
  dialect: DialectId;
  models: string[];
  concurrency: number;
}

/** A relay the person added in Settings (a relay that serves the app is found without one). */
export interface SavedRelay {
  origin: string;
  /** The session token, kept for a relay on another origin (its cookie is not sent there). */
  token?: string;
}

const SETTING_KEY = 'relay';

/** Deterministic, so two tabs syncing at once write the same rows instead of duplicates. */
export function relayRowId(origin: string, providerId: string): string {
  return `relay:${origin}/${providerId}`;
}

/**
 * Where the provider layer sends this provider's requests. The relay forwards the rest of the path
 * to its own base URL, so the dialect's habits hold: OpenAI-style paths append to a base that
 * already ends in `/v1` on the relay, and Gemini's `/v1beta` is added here because this URL names
 * no version (the relay's Gemini base URL is the bare host).
 */
export function relayBaseUrl(origin: string, providerId: string): string {
  return `${origin}/api/upstream/${encodeURIComponent(providerId)}`;
}

export async function getSavedRelay(db: AtelierDatabase): Promise<SavedRelay | null> {
  const row = await db.settings.get(SETTING_KEY);
  const value = row?.value as Partial<SavedRelay> | undefined;
  if (!value || typeof value.origin !== 'string') return null;
  return typeof value.token === 'string' ? { origin: value.origin, token: value.token } : { origin: value.origin };
}

export async function saveRelay(db: AtelierDatabase, relay: SavedRelay | null): Promise<void> {
  if (relay) await db.settings.put({ key: SETTING_KEY, value: relay });
  else await db.settings.delete(SETTING_KEY);
}

/**
 * Makes the relay rows match what `origin` lists: new ones added, listed ones updated (keeping the
 * person's default choice, model and remembered parameters), unlisted ones and any other relay's
 * rows removed. Local providers are never touched. `headers` go on every row (the bearer token for
 * a relay on another origin; none for the app's own relay, whose cookie the browser sends).
 */
export async function syncRelayProviders(
  db: AtelierDatabase,
  origin: string,
  listed: readonly ListedRelayProvider[],
  headers?: Record<string, string>
): Promise<void> {
  await db.transaction('rw', db.providers, async () => {
    const rows = await db.providers.toArray();
    const previous = new Map(rows.filter((row) => row.relay).map((row) => [row.id, row]));
    const now = Date.now();
    const keep = new Set<string>();
    const next: ProviderRecord[] = listed.map((provider, index) => {
      const id = relayRowId(origin, provider.id);
      keep.add(id);
      const before = previous.get(id);
      const model = before && provider.models.includes(before.model) ? before.model : (provider.models[0] ?? '');
      const row: ProviderRecord = {
        id,
        // New rows keep the relay's order after every existing provider.
        createdAt: before?.createdAt ?? now + index,
        name: provider.label,
        dialect: provider.dialect,
        baseUrl: relayBaseUrl(origin, provider.id),
        apiKey: '',
        model,
        concurrency: provider.concurrency > 0 ? Math.min(16, Math.round(provider.concurrency)) : DEFAULT_CONCURRENCY,
        timeoutMs: before?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        isDefault: before?.isDefault ?? 0,
        params: before?.params ?? {},
        relay: { origin, providerId: provider.id, models: [...provider.models] }
      };
      if (headers) row.headers = { ...headers };
      return row;
    });
    await db.providers.bulkDelete([...previous.keys()].filter((id) => !keep.has(id)));
    await db.providers.bulkPut(next);
    await ensureDefault(db);
  });
}

/** Removes every relay row (the person forgot the relay). */
export function removeRelayProviders(db: AtelierDatabase): Promise<void> {
  return db.transaction('rw', db.providers, async () => {
    const ids = (await db.providers.toArray()).filter((row) => row.relay).map((row) => row.id);
    await db.providers.bulkDelete(ids);
    await ensureDefault(db);
  });
}

/** Replaces the relay rows' headers (a new token after a login; none after a logout). */
export async function setRelayHeaders(db: AtelierDatabase, headers: Record<string, string> | undefined): Promise<void> {
  await db.providers
    .filter((row) => row.relay !== undefined)
    .modify((row) => {
      if (headers) row.headers = { ...headers };
      else delete row.headers;
    });
}

/** One default, as the providers repo keeps it: when none is left, the oldest provider. */
async function ensureDefault(db: AtelierDatabase): Promise<void> {
  if ((await db.providers.where('isDefault').equals(1).count()) > 0) return;
  const first = await db.providers.orderBy('createdAt').first();
  if (first) await db.providers.update(first.id, { isDefault: 1 });
}
