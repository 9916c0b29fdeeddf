import type { FastifyPluginAsync } from 'fastify';
import { errorBody } from '../plugins/errors.ts';

const ErrorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' } }, required: ['message', 'type'] } },
  required: ['error']
} as const;

const LoginSchema = {
  body: {
    type: 'object',
    properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
    required: ['password'],
    additionalProperties: false
  },
  response: {
    200: {
      type: 'object',
      properties: { token: { type: 'string' }, expiresAt: { type: 'integer' } },
      required: ['token', 'expiresAt']
    },
    400: ErrorSchema,
    401: ErrorSchema,
    429: ErrorSchema
  }
} as const;

const SessionSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        authRequired: { type: 'boolean' },
        authenticated: { type: 'boolean' },
        expiresAt: { type: ['integer', 'null'] }
      },
      required: ['authRequired', 'authenticated', 'expiresAt']
    }
  }
} as const;

const LogoutSchema = { response: { 204: { type: 'null' } } } as const;

const WINDOW_MS = 60_000;

/**
 * Counts login attempts per client address in a fixed one-minute window. Every attempt counts,
 * right or wrong, so a guesser cannot reset the count with one good password it already knows.
 */
class LoginLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  constructor(readonly perMinute: number) {}

  /** Returns 0 when the attempt may go ahead, else the seconds until it may. */
  take(client: string): number {
    const now = Date.now();
    if (this.#windows.size > 10_000) {
      // Bounded memory under a spray of addresses: drop windows that have ended.
      for (const [key, window] of this.#windows) if (now - window.start >= WINDOW_MS) this.#windows.delete(key);
    }
    const window = this.#windows.get(client);
    if (!window || now - window.start >= WINDOW_MS) {
      this.#windows.set(client, { start: now, count: 1 });
      return 0;
    }
    if (window.count >= this.perMinute) return Math.ceil((window.start + WINDOW_MS - now) / 1000);
    window.count++;
    return 0;
  }
}

/** `POST /api/login`, `POST /api/logout`, `GET /api/session`: the app's way in. */
export const sessionRoutes: FastifyPluginAsync = async (app) => {
  const limiter = new LoginLimiter(app.config.auth.loginAttemptsPerMinute);

  app.post<{ Body: { password: string } }>('/api/login', { schema: LoginSchema }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!app.auth.required) return reply.code(400).send(errorBody('This relay has no password; no login is needed.', 'bad_request'));
    const wait = limiter.take(request.ip);
    if (wait > 0) {
      request.log.warn({ client: request.ip }, 'login rate limit reached');
      return reply.code(429).header('retry-after', String(wait)).send(errorBody(`Too many login attempts; try again in ${wait} s.`, 'rate_limit'));
    }
    const session = await app.auth.login(request.body.password);
    if (!session) {
      request.log.warn({ client: request.ip }, 'login failed');
      return reply.code(401).send(errorBody('Wrong password.', 'auth'));
    }
    app.auth.setCookie(request, reply, session.token, session.expiresAt);
    request.log.info({ client: request.ip }, 'logged in');
    return session;
  });

  app.post('/api/logout', { schema: LogoutSchema }, async (request, reply) => {
    // Sessions are stateless, so logging out forgets the cookie; a copied token lives until it
    // expires or the password changes.
    app.auth.clearCookie(request, reply);
    return reply.code(204).send();
  });

  app.get('/api/session', { schema: SessionSchema }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const expiresAt = app.auth.sessionOf(request);
    return { authRequired: app.auth.required, authenticated: !app.auth.required || expiresAt !== null, expiresAt };
  });
};
