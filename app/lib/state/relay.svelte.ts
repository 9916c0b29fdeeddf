// Relay mode: finds the relay (the one serving the app, answering `/api/health` on this origin, or
// one the person added in Settings), logs in to it, and mirrors its providers into the providers
// table (relay.repo.ts). The studio and the engine then need no special path: same-origin requests
// carry the relay's httpOnly cookie, and a relay on another origin gets its session token as a
// bearer header. The token is a session, not an API key: upstream keys never leave the relay.

import type { AtelierDatabase } from '$lib/db/database';
import { database } from '$lib/db/database';
import type { TaskRecord } from '$lib/db/records';
import {
  getSavedRelay,
  removeRelayProviders,
  saveRelay,
  setRelayHeaders,
  syncRelayProviders,
  type ListedRelayProvider
} from '$lib/db/relay.repo';
import { watchTasks } from '$lib/db/tasks.repo';
import type { DialectId } from '$lib/core/types';

export type RelayStatus =
  /** No relay: the app is not served by one and none was added. */
  | 'none'
  | 'checking'
  /** The relay did not answer as a relay (down, offline, or not an Atelier relay). */
  | 'unreachable'
  /** The relay refuses this app's origin (it is not in the relay's `cors.origins`). */
  | 'forbidden'
  | 'logged-out'
  | 'connected';

export type LoginResult =
  | { ok: true }
  | { ok: false; reason: 'wrong' | 'unreachable' }
  | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };

export type ConnectResult = { ok: true } | { ok: false; reason: 'invalid' | 'unreachable' | 'forbidden' };

export interface RelayDeps {
  db: () => AtelierDatabase;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  /** The origin the app was loaded from. */
  pageOrigin: () => string;
  /** Runs a failed task again (the engine's retry). */
  retryTask: (taskId: string) => Promise<unknown>;
}

const DIALECTS: readonly DialectId[] = ['openai-images', 'openai-chat', 'openai-responses', 'gemini'];

/** The relay's provider list, checked field by field: it comes over the network. */
export function readProviderList(body: unknown): ListedRelayProvider[] {
  const list = (body as { providers?: unknown } | null)?.providers;
  if (!Array.isArray(list)) throw new Error('not a provider list');
  return list.flatMap((raw): ListedRelayProvider[] => {
    const item = raw as Record<string, unknown>;
    if (typeof item.id !== 'string' || !item.id || !DIALECTS.includes(item.dialect as DialectId)) return [];
    return [
      {
        id: item.id,
        label: typeof item.label === 'string' && item.label ? item.label : item.id,
        dialect: item.dialect as DialectId,
        models: Array.isArray(item.models) ? item.models.filter((model): model is string => typeof model === 'string') : [],
        concurrency: typeof item.concurrency === 'number' ? item.concurrency : 0
      }
    ];
  });
}

/** The origin of what the person typed (`relay.example.com` means https), or null. */
export function relayOriginOf(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

export class RelayState {
  readonly #deps: RelayDeps;
  #origin = $state<string | null>(null);
  #status = $state<RelayStatus>('none');
  #version = $state<string | null>(null);
  #authRequired = $state(false);
  #listed = $state(0);
  #saved = $state(false);
  /** Whether the login dialog is open. */
  loginOpen = $state(false);
  /** Only for a relay on another origin; the app's own relay uses its httpOnly cookie. */
  #token: string | undefined;
  #started: Promise<void> | null = null;
  /** Relay tasks that failed because the session ended; retried after the next login. */
  readonly #waitingForLogin = new Set<string>();
  readonly #seenFailures = new Set<string>();
  readonly #since = Date.now();

  constructor(deps: RelayDeps) {
    this.#deps = deps;
  }

  get origin(): string | null {
    return this.#origin;
  }

  get status(): RelayStatus {
    return this.#status;
  }

  get version(): string | null {
    return this.#version;
  }

  /** False for a relay without a password (it only listens on loopback). */
  get authRequired(): boolean {
    return this.#authRequired;
  }

  /** How many providers the relay listed at the last sync. */
  get providerCount(): number {
    return this.#listed;
  }

  /** The relay serves this app (rather than one the person added by URL). */
  get served(): boolean {
    return this.#origin !== null && this.#origin === this.#deps.pageOrigin();
  }

  /** The person added this relay in Settings, so they may forget it again. */
  get saved(): boolean {
    return this.#saved;
  }

  /** Finds the relay and syncs its providers once per page load; later calls wait for the first. */
  start(): Promise<void> {
    this.#started ??= this.#find();
    return this.#started;
  }

  async #find(): Promise<void> {
    const db = this.#deps.db();
    const saved = await getSavedRelay(db);
    if (saved) {
      this.#origin = saved.origin;
      this.#token = saved.token;
      this.#saved = true;
      await this.refresh();
      return;
    }
    const own = this.#deps.pageOrigin();
    this.#status = 'checking';
    if ((await this.#health(own)) !== 'ok') {
      this.#status = 'none';
      return;
    }
    this.#origin = own;
    // Just found healthy: asking again would only add a round trip to the first load.
    await this.#sync(own);
    // Served by a relay with nothing else to generate with: the login is the way in.
    if (this.status === 'logged-out' && (await db.providers.filter((row) => !row.relay).count()) === 0) this.loginOpen = true;
  }

  async #request(path: string, init: RequestInit = {}): Promise<Response> {
    const origin = this.#origin!;
    const headers = new Headers(init.headers);
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    return this.#deps.fetch(`${origin}${path}`, { ...init, headers, cache: 'no-store' });
  }

  async #health(origin: string): Promise<'ok' | 'unreachable' | 'forbidden'> {
    try {
      const response = await this.#deps.fetch(`${origin}/api/health`, { cache: 'no-store' });
      if (response.status === 403) return 'forbidden';
      // A static host answers unknown paths with the app's index.html: only the relay's JSON counts.
      const body = response.ok ? ((await response.json()) as { ok?: unknown; version?: unknown }) : null;
      if (body?.ok !== true) return 'unreachable';
      this.#version = typeof body.version === 'string' ? body.version : null;
      return 'ok';
    } catch {
      return 'unreachable';
    }
  }

  /** Asks the relay for the session and, when logged in, its providers; updates the relay rows. */
  async refresh(): Promise<void> {
    const origin = this.#origin;
    if (!origin) return;
    this.#status = 'checking';
    const health = await this.#health(origin);
    if (health !== 'ok') {
      // The rows stay: a relay that is down for a moment should not lose the person's choices.
      this.#status = health;
      return;
    }
    await this.#sync(origin);
  }

  /** The session and, when logged in, the relay's providers (the relay answered its health check). */
  async #sync(origin: string): Promise<void> {
    try {
      const session = (await (await this.#request('/api/session')).json()) as { authRequired?: unknown; authenticated?: unknown };
      this.#authRequired = session.authRequired === true;
      if (session.authenticated !== true) return await this.#loggedOut();
      const response = await this.#request('/api/providers');
      if (response.status === 401) return await this.#loggedOut();
      if (!response.ok) throw new Error(`status ${response.status}`);
      const listed = readProviderList(await response.json());
      await syncRelayProviders(this.#deps.db(), origin, listed, this.#token ? { authorization: `Bearer ${this.#token}` } : undefined);
      this.#listed = listed.length;
      this.#status = 'connected';
    } catch {
      this.#status = 'unreachable';
    }
  }

  async #loggedOut(): Promise<void> {
    this.#status = 'logged-out';
    if (!this.#token) return;
    // An expired token is of no use; rows keep working again after the next login.
    this.#token = undefined;
    await this.#remember();
    await setRelayHeaders(this.#deps.db(), undefined);
  }

  async #remember(): Promise<void> {
    if (!this.#saved || !this.#origin) return;
    await saveRelay(this.#deps.db(), this.#token ? { origin: this.#origin, token: this.#token } : { origin: this.#origin });
  }

  async login(password: string): Promise<LoginResult> {
    if (!this.#origin) return { ok: false, reason: 'unreachable' };
    let response: Response;
    try {
      response = await this.#request('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password })
      });
    } catch {
      return { ok: false, reason: 'unreachable' };
    }
    if (response.status === 401) return { ok: false, reason: 'wrong' };
    if (response.status === 429) return { ok: false, reason: 'rate-limited', retryAfterSeconds: Number(response.headers.get('retry-after')) || 60 };
    // 400: the relay has no password, so there is nothing to log in to; the refresh below shows that.
    if (response.ok && !this.served) {
      const { token } = (await response.json()) as { token?: unknown };
      if (typeof token === 'string') this.#token = token;
      await this.#remember();
    } else if (!response.ok && response.status !== 400) {
      return { ok: false, reason: 'unreachable' };
    }
    await this.refresh();
    if (this.#status !== 'connected') return { ok: false, reason: 'unreachable' };
    this.loginOpen = false;
    await this.#retryWaiting();
    return { ok: true };
  }

  async logout(): Promise<void> {
    if (!this.#origin) return;
    try {
      await this.#request('/api/logout', { method: 'POST' });
    } catch {
      // Offline: forgetting the token here still logs this app out.
    }
    this.#token = undefined;
    await this.#remember();
    await setRelayHeaders(this.#deps.db(), undefined);
    this.#status = 'logged-out';
  }

  /** Uses the relay at `input` from now on (instead of the one serving the app, if any). */
  async connect(input: string): Promise<ConnectResult> {
    const origin = relayOriginOf(input);
    if (!origin) return { ok: false, reason: 'invalid' };
    const health = await this.#health(origin);
    if (health !== 'ok') return { ok: false, reason: health };
    this.#origin = origin;
    this.#token = undefined;
    this.#saved = true;
    await this.#remember();
    this.#started = Promise.resolve();
    await this.refresh();
    if (this.#status === 'logged-out') this.loginOpen = true;
    return { ok: true };
  }

  /** Stops using the added relay: its providers leave the list; the serving relay, if any, comes back. */
  async forget(): Promise<void> {
    const db = this.#deps.db();
    this.#token = undefined;
    this.#saved = false;
    this.#origin = null;
    this.#listed = 0;
    this.#status = 'none';
    await saveRelay(db, null);
    await removeRelayProviders(db);
    this.#started = this.#find();
    await this.#started;
  }

  /**
   * Watches for relay tasks that fail with an auth error. The relay answers 401 both when the
   * session ended and when the upstream refused its key, so it asks the relay which one it was:
   * only an ended session opens the login, and those tasks run again after it.
   */
  watchAuthFailures(): () => void {
    const db = this.#deps.db();
    const subscription = watchTasks(db, { status: 'failed', limit: 50 }).subscribe({
      next: (tasks) => void this.#checkFailures(tasks),
      error: () => {}
    });
    return () => subscription.unsubscribe();
  }

  async #checkFailures(tasks: readonly TaskRecord[]): Promise<void> {
    const fresh = tasks.filter((task) => task.error?.kind === 'auth' && (task.finishedAt ?? 0) >= this.#since && !this.#seenFailures.has(task.id));
    if (fresh.length === 0 || !this.#origin) return;
    for (const task of fresh) this.#seenFailures.add(task.id);
    const rows = await this.#deps.db().providers.bulkGet(fresh.map((task) => task.providerId));
    const ours = fresh.filter((_task, index) => rows[index]?.relay !== undefined);
    if (ours.length === 0) return;
    await this.refresh();
    if (this.#status !== 'logged-out') return;
    for (const task of ours) this.#waitingForLogin.add(task.id);
    this.loginOpen = true;
  }

  async #retryWaiting(): Promise<void> {
    const ids = [...this.#waitingForLogin];
    if (ids.length === 0) return;
    this.#waitingForLogin.clear();
    await Promise.all(ids.map((id) => this.#deps.retryTask(id)));
  }
}

export const relay = new RelayState({
  db: database,
  fetch: (url, init) => fetch(url, init),
  pageOrigin: () => location.origin,
  // The engine bridge loads on first need, not with the layout: most logins have no task waiting.
  retryTask: async (taskId) => (await import('$lib/engine/bridge')).retry(taskId)
});
