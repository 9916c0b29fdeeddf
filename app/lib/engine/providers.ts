// A task's providerId resolved to what the provider layer takes, plus the limits it runs under.

import { adapters, resolveDialect } from '$lib/core/providers';
import type { DialectAdapter, ProviderConfig } from '$lib/core/types';
import type { AtelierDatabase } from '$lib/db/database';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, getProvider } from '$lib/db/providers.repo';
import type { ProviderRecord } from '$lib/db/records';

export interface ResolvedProvider {
  id: string;
  label: string;
  model: string;
  config: ProviderConfig;
  /** Requests this provider may have in flight at once. */
  concurrency: number;
  /** Longest a single attempt may take. */
  timeoutMs: number;
}

export function resolveRecord(record: ProviderRecord): ResolvedProvider {
  const config: ProviderConfig = { dialect: record.dialect, baseUrl: record.baseUrl };
  if (record.apiKey) config.apiKey = record.apiKey;
  // A relay on another origin takes its session token as a bearer header (relay.repo.ts).
  if (record.headers) config.headers = record.headers;
  return {
    id: record.id,
    label: record.name,
    model: record.model,
    config,
    // Rows leave their limits at 0 when the person never set them.
    concurrency: record.concurrency > 0 ? Math.floor(record.concurrency) : DEFAULT_CONCURRENCY,
    timeoutMs: record.timeoutMs > 0 ? record.timeoutMs : DEFAULT_TIMEOUT_MS
  };
}

/** Null when the provider was deleted (its tasks then fail with a clear message). */
export async function resolveProvider(db: AtelierDatabase, id: string): Promise<ResolvedProvider | null> {
  const record = await getProvider(db, id);
  return record ? resolveRecord(record) : null;
}

/** The provider module that speaks this config's dialect (`auto` detected from the base URL and model). */
export function adapterFor(config: ProviderConfig, model: string): DialectAdapter {
  return adapters[resolveDialect(config, model).dialect];
}
