// Providers for the UI: the live list, the default, templates, and the checks the editor offers
// (fetch models, test connection). Writes go through providers.repo; reads are live.

import type { ConnectionResult, ModelInfo } from '$lib/core/models';
import type { DialectChoice, ProviderConfig } from '$lib/core/types';
import { database, type AtelierDatabase } from '$lib/db/database';
import {
  createProvider,
  deleteProvider,
  duplicateProvider,
  exportProviders,
  importProviders,
  rememberParams,
  setDefaultProvider,
  updateProvider,
  watchProviders,
  type ProviderInput
} from '$lib/db/providers.repo';
import type { ProviderRecord } from '$lib/db/records';
import { Live } from './studio-live.svelte';

export interface ProviderTemplate {
  id: 'openai' | 'openrouter' | 'gemini' | 'xai' | 'grok2api';
  name: string;
  dialect: DialectChoice;
  baseUrl: string;
  model: string;
}

/** Ready-made starting points; a person only adds a key (and the host, for self-hosted grok2api). */
export const providerTemplates: readonly ProviderTemplate[] = [
  { id: 'openai', name: 'OpenAI', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', model: 'gpt-image-1' },
  { id: 'openrouter', name: 'OpenRouter', dialect: 'openai-chat', baseUrl: 'https://openrouter.ai/api/v1', model: 'google/gemini-2.5-flash-image' },
  { id: 'gemini', name: 'Gemini', dialect: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', model: 'gemini-2.5-flash-image' },
  { id: 'xai', name: 'xAI', dialect: 'openai-images', baseUrl: 'https://api.x.ai/v1', model: 'grok-imagine-image' },
  { id: 'grok2api', name: 'grok2api', dialect: 'openai-chat', baseUrl: 'http://localhost:8000/v1', model: 'grok-imagine-image' }
];

export const dialectChoices: readonly DialectChoice[] = ['openai-images', 'openai-chat', 'openai-responses', 'gemini', 'auto'];

/** What the provider layer needs to talk to a provider (a saved record or the editor's draft). */
export function configOf(provider: Pick<ProviderRecord, 'dialect' | 'baseUrl' | 'apiKey'>): ProviderConfig {
  return { dialect: provider.dialect, baseUrl: provider.baseUrl, ...(provider.apiKey ? { apiKey: provider.apiKey } : {}) };
}

export class ProvidersState {
  #db: () => AtelierDatabase;
  #list: Live<ProviderRecord[]>;

  constructor(db: () => AtelierDatabase = database) {
    this.#db = db;
    this.#list = new Live<ProviderRecord[]>(() => watchProviders(this.#db()), []);
  }

  get all(): ProviderRecord[] {
    return this.#list.current;
  }

  get loaded(): boolean {
    return this.#list.loaded;
  }

  get defaultProvider(): ProviderRecord | undefined {
    const all = this.all;
    return all.find((provider) => provider.isDefault === 1) ?? all[0];
  }

  byId(id: string | null | undefined): ProviderRecord | undefined {
    return id ? this.all.find((provider) => provider.id === id) : undefined;
  }

  create(input: ProviderInput): Promise<ProviderRecord> {
    return createProvider(this.#db(), input);
  }

  update(id: string, changes: Partial<ProviderInput>): Promise<void> {
    return updateProvider(this.#db(), id, changes);
  }

  remove(id: string): Promise<void> {
    return deleteProvider(this.#db(), id);
  }

  duplicate(id: string, name: string): Promise<ProviderRecord | undefined> {
    return duplicateProvider(this.#db(), id, name);
  }

  makeDefault(id: string): Promise<void> {
    return setDefaultProvider(this.#db(), id);
  }

  rememberParams(id: string, params: Record<string, unknown>): Promise<void> {
    return rememberParams(this.#db(), id, params);
  }

  async exportJson(includeKeys: boolean): Promise<string> {
    return JSON.stringify(await exportProviders(this.#db(), { includeKeys }), null, 2);
  }

  /** Adds the providers of an export file; throws a readable error for files that are not one. */
  importJson(text: string): Promise<number> {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return Promise.reject(new Error('not JSON'));
    }
    return importProviders(this.#db(), data);
  }

  // The provider layer loads only when the editor asks: the studio's first paint does not need it.
  async fetchModels(draft: Pick<ProviderRecord, 'dialect' | 'baseUrl' | 'apiKey'>, signal?: AbortSignal): Promise<ModelInfo[]> {
    const { listModels } = await import('$lib/core/models');
    return listModels(configOf(draft), signal ? { signal } : {});
  }

  async testConnection(draft: Pick<ProviderRecord, 'dialect' | 'baseUrl' | 'apiKey'>, signal?: AbortSignal): Promise<ConnectionResult> {
    const { testConnection } = await import('$lib/core/models');
    return testConnection(configOf(draft), signal ? { signal } : {});
  }
}

export const providers = new ProvidersState();
