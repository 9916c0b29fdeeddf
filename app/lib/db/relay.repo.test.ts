import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { createProvider, exportProviders, listProviders, setDefaultProvider } from './providers.repo';
import { getSavedRelay, relayBaseUrl, relayRowId, removeRelayProviders, saveRelay, setRelayHeaders, syncRelayProviders, type ListedRelayProvider } from './relay.repo';

const origin = 'https://relay.example.com';

function listed(overrides: Partial<ListedRelayProvider> = {}): ListedRelayProvider {
  return { id: 'openai', label: 'OpenAI', dialect: 'openai-images', models: ['gpt-image-1', 'dall-e-3'], concurrency: 3, ...overrides };
}

describe('relay.repo', () => {
  let sut: AtelierDatabase;
  beforeEach(() => {
    sut = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await sut.delete();
  });

  it('adds the listed providers as keyless rows pointing at the proxy, the first one the default when nothing else exists', async () => {
    await syncRelayProviders(sut, origin, [listed(), listed({ id: 'gemini', label: 'Gemini', dialect: 'gemini', models: [] })]);

    const rows = await listProviders(sut);
    expect(rows.map((row) => [row.id, row.name, row.baseUrl, row.apiKey, row.model, row.isDefault])).toEqual([
      [relayRowId(origin, 'openai'), 'OpenAI', `${origin}/api/upstream/openai`, '', 'gpt-image-1', 1],
      [relayRowId(origin, 'gemini'), 'Gemini', `${origin}/api/upstream/gemini`, '', '', 0]
    ]);
    expect(rows[0]!.relay).toEqual({ origin, providerId: 'openai', models: ['gpt-image-1', 'dall-e-3'] });
    expect(rows[0]!.concurrency).toBe(3);
    expect(rows[0]!.headers).toBeUndefined();
  });

  it('keeps the person’s choices across syncs, removes what the relay no longer lists and never touches local rows', async () => {
    const local = await createProvider(sut, { name: 'Mine', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-local', model: 'gpt-image-1' });
    await syncRelayProviders(sut, origin, [listed(), listed({ id: 'old' })]);
    const id = relayRowId(origin, 'openai');
    await setDefaultProvider(sut, id);
    await sut.providers.update(id, { model: 'dall-e-3', params: { size: '1024x1024' } });

    await syncRelayProviders(sut, origin, [listed({ label: 'OpenAI (team)' })]);

    const rows = await listProviders(sut);
    expect(rows.map((row) => row.id)).toEqual([local.id, id]);
    expect(rows[1]).toMatchObject({ name: 'OpenAI (team)', model: 'dall-e-3', params: { size: '1024x1024' }, isDefault: 1 });
    expect(rows[0]).toMatchObject({ apiKey: 'sk-local', isDefault: 0 });
  });

  it('follows one relay: another relay’s rows go, and the default falls back to the oldest row', async () => {
    await syncRelayProviders(sut, origin, [listed()]);
    await syncRelayProviders(sut, 'http://127.0.0.1:51130', [listed({ id: 'other' })]);
    const rows = await listProviders(sut);
    expect(rows.map((row) => [row.id, row.isDefault])).toEqual([[relayRowId('http://127.0.0.1:51130', 'other'), 1]]);

    await removeRelayProviders(sut);
    expect(await listProviders(sut)).toEqual([]);
  });

  it('puts a session token on the relay rows only, and takes it off again', async () => {
    const local = await createProvider(sut, { name: 'Mine', dialect: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', apiKey: 'k', model: 'm' });
    await syncRelayProviders(sut, origin, [listed()], { authorization: 'Bearer t1' });
    expect((await sut.providers.get(relayRowId(origin, 'openai')))!.headers).toEqual({ authorization: 'Bearer t1' });

    await setRelayHeaders(sut, undefined);
    expect((await sut.providers.get(relayRowId(origin, 'openai')))!.headers).toBeUndefined();
    await setRelayHeaders(sut, { authorization: 'Bearer t2' });
    expect((await sut.providers.get(relayRowId(origin, 'openai')))!.headers).toEqual({ authorization: 'Bearer t2' });
    expect((await sut.providers.get(local.id))!.headers).toBeUndefined();
  });

  it('leaves relay rows out of provider exports', async () => {
    await createProvider(sut, { name: 'Mine', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: '', model: 'gpt-image-1' });
    await syncRelayProviders(sut, origin, [listed()], { authorization: 'Bearer t1' });
    const exported = await exportProviders(sut, { includeKeys: true });
    expect(exported.providers.map((provider) => provider.name)).toEqual(['Mine']);
  });

  it('remembers an added relay', async () => {
    expect(await getSavedRelay(sut)).toBeNull();
    await saveRelay(sut, { origin, token: 'tok' });
    expect(await getSavedRelay(sut)).toEqual({ origin, token: 'tok' });
    await saveRelay(sut, null);
    expect(await getSavedRelay(sut)).toBeNull();
  });

  it('builds proxy URLs the dialects extend as they would the provider’s own', () => {
    expect(relayBaseUrl(origin, 'a b')).toBe(`${origin}/api/upstream/a%20b`);
  });
});
