// Listing models per dialect, and a cheap connection test that tells a bad key from an unreachable host.

import { ProviderError, errorFromResponse, isAbortError, networkError } from './errors';
import { asArray, asRecord, asString, bearerHeaders, joinUrl } from './providers/http';
import { geminiHeaders, geminiModelName, geminiRoot } from './providers/gemini/adapter';
import { resolveDialect } from './providers/index';
import type { ProviderConfig } from './types';

export interface ModelInfo {
  id: string;
  label?: string;
  /** True or false when the upstream says whether the model outputs images; absent when it does not say. */
  imageOutput?: boolean;
}

export interface ListOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_GEMINI_PAGES = 20;

/** Lists the models behind a base URL. Throws ProviderError (auth, network, timeout, not-found, ...). */
export async function listModels(config: ProviderConfig, options: ListOptions = {}): Promise<ModelInfo[]> {
  const { dialect } = resolveDialect(config, '');
  const secrets = [config.apiKey];
  if (dialect === 'gemini') {
    const models: ModelInfo[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_GEMINI_PAGES; page++) {
      const url = new URL(joinUrl(geminiRoot(config.baseUrl), 'models'));
      url.searchParams.set('pageSize', '1000');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const body = asRecord(await getJson(url.toString(), geminiHeaders(config), options, secrets));
      for (const model of asArray(body?.models)) {
        const record = asRecord(model);
        const name = asString(record?.name);
        if (!record || !name) continue;
        const methods = asArray(record.supportedGenerationMethods).filter((m): m is string => typeof m === 'string');
        if (methods.length > 0 && !methods.includes('generateContent')) continue;
        const id = geminiModelName(name);
        models.push(withLabel({ id, imageOutput: /image/i.test(id) }, asString(record.displayName)));
      }
      pageToken = asString(body?.nextPageToken);
      if (!pageToken) break;
    }
    return models;
  }
  const body = asRecord(await getJson(joinUrl(config.baseUrl, 'models'), bearerHeaders(config), options, secrets));
  const models: ModelInfo[] = [];
  for (const model of asArray(body?.data)) {
    const record = asRecord(model);
    const rawId = asString(record?.id);
    if (!record || !rawId) continue;
    // Gemini's OpenAI-compatible list prefixes ids with `models/`; requests take the bare name.
    const info: ModelInfo = withLabel({ id: geminiModelName(rawId) }, asString(record.name));
    const outputs = asRecord(record.architecture)?.output_modalities;
    if (Array.isArray(outputs)) info.imageOutput = outputs.includes('image');
    models.push(info);
  }
  return models;
}

function withLabel(info: ModelInfo, label: string | undefined): ModelInfo {
  if (label && label !== info.id) info.label = label;
  return info;
}

async function getJson(url: string, headers: Headers, options: ListOptions, secrets: (string | undefined)[]): Promise<unknown> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  try {
    const res = await (options.fetch ?? fetch)(url, { headers, signal });
    if (!res.ok) throw await errorFromResponse(res, secrets);
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderError('parse', `The model list is not JSON (HTTP ${res.status})`, { status: res.status });
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (timeout.signal.aborted) throw new ProviderError('timeout', 'The model list did not arrive in time');
    if (error instanceof ProviderError || isAbortError(error)) throw error;
    throw networkError(error, secrets);
  } finally {
    clearTimeout(timer);
  }
}

export type ConnectionResult =
  | { ok: true; models: ModelInfo[]; latencyMs: number }
  | {
      ok: false;
      /** bad-key: reached, key refused. unreachable: no answer. cors: reachable but the browser may not read it. */
      reason: 'bad-key' | 'unreachable' | 'cors' | 'timeout' | 'error';
      message: string;
      error: ProviderError;
    };

/** Lists models as the cheapest authenticated call and explains a failure. */
export async function testConnection(config: ProviderConfig, options: ListOptions = {}): Promise<ConnectionResult> {
  const started = Date.now();
  try {
    const models = await listModels(config, options);
    return { ok: true, models, latencyMs: Date.now() - started };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (error.kind === 'auth') return { ok: false, reason: 'bad-key', message: error.message, error };
    if (error.kind === 'timeout') return { ok: false, reason: 'timeout', message: error.message, error };
    if (error.kind === 'network') {
      const blocked = await corsBlocked(config.baseUrl, options);
      return blocked
        ? { ok: false, reason: 'cors', message: 'The server answers, but it does not allow this page to read its replies (CORS). Use the relay.', error }
        : { ok: false, reason: 'unreachable', message: error.message, error };
    }
    return { ok: false, reason: 'error', message: error.message, error };
  }
}

/**
 * Best effort, browsers only: a failed CORS request looks like a network error, but a `no-cors` request to the same
 * host still succeeds (with an opaque reply) when the server is up.
 */
async function corsBlocked(baseUrl: string, options: ListOptions): Promise<boolean> {
  const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
  if (!inBrowser) return false;
  try {
    const res = await (options.fetch ?? fetch)(baseUrl, { mode: 'no-cors', signal: AbortSignal.timeout(5000) });
    return res.type === 'opaque' || res.ok;
  } catch {
    return false;
  }
}
