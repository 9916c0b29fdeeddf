import type { FastifyPluginAsync } from 'fastify';
import { version } from '../version.ts';

const HealthSchema = {
  response: {
    200: {
      type: 'object',
      properties: { ok: { type: 'boolean' }, version: { type: 'string' } },
      required: ['ok', 'version']
    }
  }
} as const;

/** `GET /api/health`: the one route that never needs a login; the app uses it to find its relay. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/health', { schema: HealthSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { ok: true, version };
  });
};
