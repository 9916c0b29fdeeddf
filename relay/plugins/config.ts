import fp from 'fastify-plugin';
import type { RelayConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated configuration (see relay/config.ts). Holds secrets: never send or log it whole. */
    config: RelayConfig;
  }
}

/** Makes the validated configuration available to every plugin and route. */
export const configPlugin = fp<{ config: RelayConfig }>(
  async (app, { config }) => {
    app.decorate('config', config);
  },
  { name: 'config', fastify: '5.x' }
);
