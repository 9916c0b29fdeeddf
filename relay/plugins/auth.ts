// One work password, exchanged for a session token. Tokens are stateless (an expiry and a MAC),
// signed with a key derived from a secret in the data dir AND the password hash: changing the
// password changes the key, which revokes every session at once without a session store.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { parsePasswordHash, verifyPassword, type ParsedHash } from '../password.ts';
import { errorBody } from './errors.ts';

export const sessionCookie = 'atelier_session';

export interface Auth {
  /** False when no password is configured (then the relay only listens on loopback). */
  readonly required: boolean;
  /** Checks a password; resolves to a new session or null. */
  login(password: string): Promise<{ token: string; expiresAt: number } | null>;
  /** The session's expiry (ms since epoch) if the request carries a valid one. */
  sessionOf(request: FastifyRequest): number | null;
  setCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number): void;
  clearCookie(request: FastifyRequest, reply: FastifyReply): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: Auth;
  }
}

/** Routes anyone may call: the app needs them to find its relay and to log in. */
const publicApi = new Set(['/api/health', '/api/login', '/api/logout', '/api/session']);

function needsSession(url: string): boolean {
  if (!url.startsWith('/api/') && !url.startsWith('/v1/') && url !== '/api' && url !== '/v1') return false;
  const q = url.indexOf('?');
  return !publicApi.has(q === -1 ? url : url.slice(0, q));
}

/** 32 random bytes kept in the data dir, so sessions survive a restart but not a new data dir. */
function loadSecret(dataDir: string): Buffer {
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) {
    const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('base64') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

function cookieValue(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === sessionCookie) return part.slice(eq + 1).trim();
  }
  return null;
}

function tokenOf(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  return cookieValue(request.headers.cookie);
}

class SessionAuth implements Auth {
  readonly required = true;
  readonly #hash: ParsedHash;
  readonly #key: Buffer;
  readonly #ttlMs: number;

  constructor(passwordHash: string, secret: Buffer, sessionDays: number) {
    this.#hash = parsePasswordHash(passwordHash)!;
    this.#key = createHmac('sha256', secret).update(passwordHash).digest();
    this.#ttlMs = sessionDays * 24 * 60 * 60 * 1000;
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(payload).digest();
  }

  async login(password: string) {
    if (!(await verifyPassword(password, this.#hash))) return null;
    const expiresAt = Date.now() + this.#ttlMs;
    const payload = `v1.${expiresAt.toString(36)}.${randomBytes(9).toString('base64url')}`;
    return { token: `${payload}.${this.#mac(payload).toString('base64url')}`, expiresAt };
  }

  sessionOf(request: FastifyRequest): number | null {
    const token = tokenOf(request);
    if (!token) return null;
    const dot = token.lastIndexOf('.');
    const payload = token.slice(0, dot);
    const parts = payload.split('.');
    if (dot === -1 || parts.length !== 3 || parts[0] !== 'v1') return null;
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.#mac(payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    const expiresAt = parseInt(parts[1]!, 36);
    return Number.isFinite(expiresAt) && expiresAt > Date.now() ? expiresAt : null;
  }

  setCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number) {
    const maxAge = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    reply.header('set-cookie', `${sessionCookie}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`);
  }

  clearCookie(request: FastifyRequest, reply: FastifyReply) {
    reply.header('set-cookie', `${sessionCookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`);
  }
}

/** Without a password there is nothing to log in to; the loopback-only bind is the protection. */
const openAuth: Auth = {
  required: false,
  login: async () => null,
  sessionOf: () => null,
  setCookie: () => {},
  clearCookie: () => {}
};

export const authPlugin = fp(
  async (app) => {
    const { passwordHash, sessionDays } = app.config.auth;
    const auth = passwordHash ? new SessionAuth(passwordHash, loadSecret(app.config.dataDir), sessionDays) : openAuth;
    app.decorate('auth', auth);
    if (!auth.required) return;
    // A callback hook, not an async one: it runs on every request, and a promise per request shows in req/s.
    app.addHook('onRequest', (request, reply, done) => {
      if (!needsSession(request.url) || auth.sessionOf(request) !== null) return done();
      reply.code(401).header('cache-control', 'no-store').send(errorBody('Log in to use this relay.', 'auth'));
    });
  },
  { name: 'auth', dependencies: ['config'], fastify: '5.x' }
);
