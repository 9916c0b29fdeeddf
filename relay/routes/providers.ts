import type { FastifyPluginAsync } from 'fastify';

const ProvidersSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        providers: {
          type: 'array',
          items: {
            type: 'object',
            // The response schema is also the allowlist: fast-json-stringify drops any other field.
            properties: {
              id: { type: 'string' },
              label: { type: 'string' },
              dialect: { type: 'string' },
              models: { type: 'array', items: { type: 'string' } },
              concurrency: { type: 'integer' }
            },
            required: ['id', 'label', 'dialect', 'models', 'concurrency'],
            additionalProperties: false
          }
        }
      },
      required: ['providers']
    }
  }
} as const;

/** `GET /api/providers`: the relay's providers as the app lists them, never with keys. */
export const providerRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/providers', { schema: ProvidersSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { providers: app.vault.list() };
  });
};
