import fp from 'fastify-plugin';
import { errorBody } from './errors.ts';

/**
 * Same-origin by default: a page on another origin may not call the API with the user's cookie.
 * Origins in `cors.origins` get CORS headers with credentials (an app hosted elsewhere that uses
 * this relay). Requests without an Origin header (curl, the CLI) are not browsers and pass.
 */
export const corsPlugin = fp(
  async (app) => {
    const allowed = new Set(app.config.cors.origins);
    app.addHook('onRequest', (request, reply, done) => {
      const origin = request.headers.origin;
      // Static app files are public anyway; only the API carries the session.
      if (origin === undefined || !(request.url.startsWith('/api/') || request.url.startsWith('/v1/'))) return done();
      const host = request.headers.host;
      // The relay serves its own app, so an Origin equal to the Host it was reached at is itself.
      const sameOrigin = host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
      if (sameOrigin) return done();
      if (!allowed.has(origin)) {
        reply.code(403).send(errorBody('This origin may not use the relay; add it to cors.origins in the relay config.', 'forbidden'));
        return;
      }
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('vary', 'origin');
      // Not a CORS-safelisted response header: without this the app cannot honour a 429's wait.
      reply.header('access-control-expose-headers', 'retry-after');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
        reply.header('access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE');
        const requested = request.headers['access-control-request-headers'];
        if (requested) reply.header('access-control-allow-headers', requested);
        reply.header('access-control-max-age', '600');
        reply.code(204).send();
        return;
      }
      done();
    });
  },
  { name: 'cors', dependencies: ['config'], fastify: '5.x' }
);
