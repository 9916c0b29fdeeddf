import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from './password.ts';
import { json, send, startRelay, testConfig, type RunningRelay } from './test-helpers.ts';
import { buildRelay } from './server.ts';

// A cheap scrypt cost keeps the many logins below fast; the format and checks are the same.
const cheap = { ln: 10, r: 8, p: 1 };
const password = 'correct horse battery staple';

async function login(relay: RunningRelay, pass = password) {
  return send(relay.url, '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: pass }) });
}

describe('a relay with a password', () => {
  let sut: RunningRelay;
  let passwordHash: string;
  let dataDir: string;

  beforeAll(async () => {
    passwordHash = await hashPassword(password, cheap);
    const config = testConfig({
      auth: { passwordHash, loginAttemptsPerMinute: 5 },
      providers: [{ id: 'openai', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-never-shown' }]
    });
    dataDir = config.dataDir;
    sut = await startRelay(config);
  });
  afterAll(() => sut.close());
  afterEach(() => vi.useRealTimers());

  it('answers 401 to every API call without a session, but serves health and the session probe', async () => {
    for (const [method, path] of [
      ['GET', '/api/providers'],
      ['GET', '/api/logs'],
      ['GET', '/api/logs/events'],
      ['POST', '/api/upstream/openai/images/generations'],
      ['GET', '/api/upstream/openai/models'],
      ['GET', '/api/nothing-here'],
      ['GET', '/v1/models'],
      ['POST', '/v1/images/generations']
    ] as const) {
      const res = await send(sut.url, path, { method, headers: { authorization: 'Bearer not-a-session', cookie: 'atelier_session=forged.token.x.y' } });
      expect(res.status, path).toBe(401);
      expect(json(res), path).toEqual({ error: { message: 'Log in to use this relay.', type: 'auth' } });
    }
    expect((await send(sut.url, '/api/health')).status).toBe(200);
    expect(json(await send(sut.url, '/api/session'))).toEqual({ authRequired: true, authenticated: false, expiresAt: null });
  });

  it('exchanges the password for an httpOnly SameSite=Strict cookie that lasts 7 days, also usable as a bearer token', async () => {
    const wrong = await login(sut, 'wrong password');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const res = await login(sut);
    expect(res.status).toBe(200);
    const { token, expiresAt } = json(res) as { token: string; expiresAt: number };
    expect(expiresAt - Date.now()).toBeGreaterThan(7 * 86400_000 - 60_000);
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^atelier_session=${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; `));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeLessThanOrEqual(7 * 86400);
    expect(maxAge).toBeGreaterThan(7 * 86400 - 10);

    const viaCookie = await send(sut.url, '/api/providers', { headers: { cookie: `theme=dark; atelier_session=${token}` } });
    expect(viaCookie.status).toBe(200);
    const viaBearer = await send(sut.url, '/api/providers', { headers: { authorization: `Bearer ${token}` } });
    expect(viaBearer.status).toBe(200);
    expect(json(await send(sut.url, '/api/session', { headers: { authorization: `Bearer ${token}` } }))).toEqual({ authRequired: true, authenticated: true, expiresAt });
  });

  it('refuses a token whose signature was changed or whose expiry was pushed out', async () => {
    const { token } = json(await login(sut)) as { token: string };
    const [v, exp, nonce, mac] = token.split('.') as [string, string, string, string];
    const tampered = [
      `${v}.${exp}.${nonce}.${mac.slice(0, -2)}AA`,
      `${v}.${(parseInt(exp, 36) + 86400_000).toString(36)}.${nonce}.${mac}`,
      `${v}.${exp}.${nonce}`
    ];
    for (const bad of tampered) expect((await send(sut.url, '/api/providers', { headers: { authorization: `Bearer ${bad}` } })).status, bad).toBe(401);
  });

  it('ends a session when it expires', async () => {
    const { token } = json(await login(sut)) as { token: string };
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 7 * 86400_000 - 60_000 });
    expect((await send(sut.url, '/api/providers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    vi.setSystemTime(Date.now() + 2 * 60_000);
    expect((await send(sut.url, '/api/providers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('keeps sessions across a restart, and revokes all of them when the password changes', async () => {
    const { token } = json(await login(sut)) as { token: string };
    const restarted = await startRelay(testConfig({ dataDir, auth: { passwordHash } }));
    const changed = await startRelay(testConfig({ dataDir, auth: { passwordHash: await hashPassword('a new password', cheap) } }));
    try {
      expect((await send(restarted.url, '/api/providers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await send(changed.url, '/api/providers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await restarted.close();
      await changed.close();
    }
  });

  it('logs out by clearing the cookie', async () => {
    const res = await send(sut.url, '/api/logout', { method: 'POST' });
    expect(res.status).toBe(204);
    expect(res.headers['set-cookie']?.[0]).toMatch(/^atelier_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
  });

  it('limits login attempts per client, right password or not, and says when to retry', async () => {
    const app = await buildRelay({ config: testConfig({ auth: { passwordHash, loginAttemptsPerMinute: 3 } }), appDir: null });
    try {
      const attempt = (remoteAddress: string, pass: string) => app.inject({ method: 'POST', url: '/api/login', remoteAddress, payload: { password: pass } });
      for (let i = 0; i < 3; i++) expect((await attempt('203.0.113.7', 'guess ' + i)).statusCode).toBe(401);
      const limited = await attempt('203.0.113.7', password);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.headers['set-cookie']).toBeUndefined();
      // Another client is not held back by the first one's guesses.
      expect((await attempt('203.0.113.8', password)).statusCode).toBe(200);
      // The window ends after a minute.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
      expect((await attempt('203.0.113.7', password)).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('never echoes the body of a malformed login', async () => {
    const res = await send(sut.url, '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"password":"${password}"` });
    expect(res.status).toBe(400);
    expect(res.body.toString()).not.toContain(password.slice(0, 8));
  });
});

describe('a relay without a password', () => {
  it('needs no login on loopback and says so', async () => {
    const sut = await startRelay(testConfig({}));
    try {
      expect((await send(sut.url, '/api/providers')).status).toBe(200);
      expect(json(await send(sut.url, '/api/session'))).toEqual({ authRequired: false, authenticated: true, expiresAt: null });
      expect((await login(sut)).status).toBe(400);
    } finally {
      await sut.close();
    }
  });
});

describe('CORS', () => {
  it('is same-origin unless the origin is on the allowlist', async () => {
    const sut = await startRelay(testConfig({ cors: { origins: ['https://studio.example.com'] } }));
    try {
      const same = await send(sut.url, '/api/providers', { headers: { origin: sut.url } });
      expect(same.status).toBe(200);
      expect(same.headers['access-control-allow-origin']).toBeUndefined();

      const foreign = await send(sut.url, '/api/providers', { headers: { origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();

      const listed = await send(sut.url, '/api/providers', { headers: { origin: 'https://studio.example.com' } });
      expect(listed.status).toBe(200);
      expect(listed.headers['access-control-allow-origin']).toBe('https://studio.example.com');
      expect(listed.headers['access-control-allow-credentials']).toBe('true');
      expect(listed.headers['access-control-expose-headers']).toBe('retry-after');

      const preflight = await send(sut.url, '/api/upstream/x/images/generations', {
        method: 'OPTIONS',
        headers: { origin: 'https://studio.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
    } finally {
      await sut.close();
    }
  });
});
