import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from '$lib/db/database';
import { newId } from '$lib/db/ids';
import { createProvider, listProviders } from '$lib/db/providers.repo';
import type { TaskRecord } from '$lib/db/records';
import { getSavedRelay } from '$lib/db/relay.repo';
import { readProviderList, relayOriginOf, RelayState } from './relay.svelte';

const page = 'http://127.0.0.1:51130';
const other = 'https://relay.example.com';

/**
 * A relay as the app sees it over fetch. The browser's cookie jar is modelled by `cookie`: set by a
 * login on the page's own origin, sent only there; another origin needs the bearer token.
 */
function fakeRelay(origin: string, options: { password?: string; providers?: unknown[] } = {}) {
  const state = { cookie: false, providers: options.providers ?? [{ id: 'team', label: 'Team', dialect: 'openai-images', models: ['gpt-image-1'], concurrency: 2 }] };
  const calls: { url: string; authorization: string | null }[] = [];
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    calls.push({ url, authorization: headers.get('authorization') });
    if (!url.startsWith(origin)) throw new TypeError('Failed to fetch');
    const path = url.slice(origin.length);
    const authed = !options.password || (origin === page && state.cookie) || headers.get('authorization') === 'Bearer tok-1';
    switch (path) {
      case '/api/health':
        return json(200, { ok: true, version: '1.2.3' });
      case '/api/session':
        return json(200, { authRequired: !!options.password, authenticated: authed, expiresAt: null });
      case '/api/login': {
        const { password } = JSON.parse(String(init.body)) as { password: string };
        if (password !== options.password) return json(401, { error: { message: 'Wrong password.', type: 'auth' } });
        if (origin === page) state.cookie = true;
        return json(200, { token: 'tok-1', expiresAt: Date.now() + 1000 });
      }
      case '/api/logout':
        state.cookie = false;
        return new Response(null, { status: 204 });
      case '/api/providers':
        return authed ? json(200, { providers: state.providers }) : json(401, { error: { message: 'Log in first.', type: 'auth' } });
      default:
        return json(404, {});
    }
  };
  return { state, calls, fetch };
}

describe('RelayState', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  function make(fetch: (url: string, init?: RequestInit) => Promise<Response>) {
    return new RelayState({ db: () => db, fetch, pageOrigin: () => page, retryTask: async () => {} });
  }

  it('is not in relay mode when the page’s origin answers health with the app instead of JSON', async () => {
    const sut = make(async () => new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    await sut.start();
    expect(sut.status).toBe('none');
    expect(sut.origin).toBeNull();
  });

  it('lists the serving relay’s providers at once when it has no password, in one round trip per question', async () => {
    const relay = fakeRelay(page);
    const sut = make(relay.fetch);
    await sut.start();
    expect(relay.calls.map((call) => call.url.slice(page.length))).toEqual(['/api/health', '/api/session', '/api/providers']);
    expect(sut).toMatchObject({ status: 'connected', served: true, authRequired: false, version: '1.2.3', providerCount: 1, loginOpen: false });
    expect((await listProviders(db)).map((row) => [row.name, row.baseUrl, row.apiKey, row.headers])).toEqual([['Team', `${page}/api/upstream/team`, '', undefined]]);
  });

  it('asks for the login when served by a relay with a password and nothing local, and keeps no token (the cookie does)', async () => {
    const relay = fakeRelay(page, { password: 'pw' });
    const sut = make(relay.fetch);
    await sut.start();
    expect(sut).toMatchObject({ status: 'logged-out', loginOpen: true });
    expect(await listProviders(db)).toEqual([]);

    expect(await sut.login('nope')).toEqual({ ok: false, reason: 'wrong' });
    expect(await sut.login('pw')).toEqual({ ok: true });
    expect(sut).toMatchObject({ status: 'connected', loginOpen: false });
    const rows = await listProviders(db);
    expect(rows.map((row) => [row.name, row.headers])).toEqual([['Team', undefined]]);
    expect(relay.calls.every((call) => call.authorization === null)).toBe(true);
    expect(await getSavedRelay(db)).toBeNull();

    await sut.logout();
    expect(sut.status).toBe('logged-out');
  });

  it('leaves the login closed when local providers exist', async () => {
    await createProvider(db, { name: 'Mine', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk', model: 'gpt-image-1' });
    const sut = make(fakeRelay(page, { password: 'pw' }).fetch);
    await sut.start();
    expect(sut).toMatchObject({ status: 'logged-out', loginOpen: false });
  });

  it('uses a relay added by address with its token as a bearer header, and forgets it on logout', async () => {
    const relay = fakeRelay(other, { password: 'pw' });
    const sut = make(relay.fetch);
    await sut.start();
    expect(sut.status).toBe('none');

    expect(await sut.connect('not a url at all')).toEqual({ ok: false, reason: 'invalid' });
    expect(await sut.connect('relay.example.com/some/path')).toEqual({ ok: true });
    expect(sut).toMatchObject({ origin: other, served: false, saved: true, status: 'logged-out', loginOpen: true });

    expect(await sut.login('pw')).toEqual({ ok: true });
    expect(await getSavedRelay(db)).toEqual({ origin: other, token: 'tok-1' });
    expect((await listProviders(db))[0]!.headers).toEqual({ authorization: 'Bearer tok-1' });
    expect(relay.calls.at(-1)).toEqual({ url: `${other}/api/providers`, authorization: 'Bearer tok-1' });

    await sut.logout();
    expect(await getSavedRelay(db)).toEqual({ origin: other });
    expect((await listProviders(db))[0]!.headers).toBeUndefined();

    // A new page load finds the added relay again.
    const again = make(relay.fetch);
    await again.start();
    expect(again).toMatchObject({ origin: other, saved: true, status: 'logged-out' });

    await again.forget();
    expect(again.status).toBe('none');
    expect(await listProviders(db)).toEqual([]);
    expect(await getSavedRelay(db)).toBeNull();
  });

  it('drops rows the relay stops listing, and keeps them while it cannot be reached', async () => {
    const relay = fakeRelay(page);
    const sut = make(relay.fetch);
    await sut.start();
    relay.state.providers = [];
    await sut.refresh();
    expect(await listProviders(db)).toEqual([]);

    relay.state.providers = [{ id: 'x', label: 'X', dialect: 'gemini', models: [], concurrency: 1 }];
    await sut.refresh();
    const down = make(async () => {
      throw new TypeError('Failed to fetch');
    });
    await down.start();
    expect(down.status).toBe('none');
    expect((await listProviders(db)).map((row) => row.name)).toEqual(['X']);
  });
});

describe('RelayState after a session ends', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  function failedTask(id: string, providerId: string): TaskRecord {
    const now = Date.now() + 1000;
    return {
      id,
      createdAt: now,
      updatedAt: now,
      status: 'failed',
      stage: null,
      stageStartedAt: null,
      priority: 0,
      providerId,
      providerLabel: '',
      dialect: 'openai-images',
      model: 'gpt-image-1',
      request: { prompt: 'p', model: 'gpt-image-1' },
      inputIds: [],
      maskId: null,
      sessionId: null,
      batchId: null,
      attempts: 1,
      retriesLeft: 0,
      notBefore: 0,
      waitingFor: null,
      timings: {},
      error: { kind: 'auth', message: 'Log in first.', status: 401 },
      resultIds: [],
      requestSummary: null,
      startedAt: now,
      finishedAt: now
    };
  }

  it('opens the login for relay tasks refused for an ended session and runs them again after it', async () => {
    const relay = fakeRelay(page, { password: 'pw' });
    const retried: string[] = [];
    const sut = new RelayState({ db: () => db, fetch: relay.fetch, pageOrigin: () => page, retryTask: async (id) => retried.push(id) });
    await createProvider(db, { name: 'Mine', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk', model: 'gpt-image-1' });
    await sut.start();
    await sut.login('pw');
    const relayRow = (await listProviders(db)).find((row) => row.relay)!;
    const local = (await listProviders(db)).find((row) => !row.relay)!;
    const stop = sut.watchAuthFailures();
    try {
      relay.state.cookie = false;
      await db.tasks.bulkPut([failedTask('t-relay', relayRow.id), failedTask('t-local', local.id)]);
      await expect.poll(() => sut.loginOpen).toBe(true);
      expect(sut.status).toBe('logged-out');
      await sut.login('pw');
      expect(retried).toEqual(['t-relay']);
    } finally {
      stop();
    }
  });
});

describe('relay helpers', () => {
  it('reads only well-formed providers from the relay’s list', () => {
    expect(
      readProviderList({
        providers: [
          { id: 'a', label: '', dialect: 'gemini', models: ['m', 3], concurrency: 2 },
          { id: 'b', dialect: 'dall-e' },
          { label: 'no id', dialect: 'gemini' }
        ]
      })
    ).toEqual([{ id: 'a', label: 'a', dialect: 'gemini', models: ['m'], concurrency: 2 }]);
    expect(() => readProviderList('<html>')).toThrow();
  });

  it('takes the origin of what the person typed', () => {
    expect(relayOriginOf('relay.example.com')).toBe('https://relay.example.com');
    expect(relayOriginOf(' http://10.0.0.2:51130/settings ')).toBe('http://10.0.0.2:51130');
    expect(relayOriginOf('ftp://x')).toBeNull();
    expect(relayOriginOf('')).toBeNull();
  });
});
