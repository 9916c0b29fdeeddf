import fp from 'fastify-plugin';
import { loggableUrl } from '../logging.ts';

/**
 * One line per finished request: method, URL (secret query values replaced), status, time.
 * Fastify's own request logging is off because it logs two lines with headers; this logs one
 * line with none, and only when the level lets it through (the check costs nothing otherwise).
 */
export const requestLogPlugin = fp(
  async (app) => {
    // The level is fixed at start; below info the hook is not even added.
    if (!['trace', 'debug', 'info'].includes(app.log.level)) return;
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        { method: request.method, url: loggableUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), client: request.ip },
        'request'
      );
    });
  },
  { name: 'request-log', fastify: '5.x' }
);
