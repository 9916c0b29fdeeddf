import fp from 'fastify-plugin';
import type { ProviderConfigEntry } from '../config.ts';

/** What the app may know about a provider: everything but the key and the extra headers. */
export interface PublicProvider {
  id: string;
  label: string;
  dialect: ProviderConfigEntry['dialect'];
  models: string[];
  concurrency: number;
}

export interface Vault {
  /** The full entry, key included, for the proxy; undefined for an unknown id. */
  get(id: string): ProviderConfigEntry | undefined;
  list(): PublicProvider[];
  /** Every configured key, for scrubbing text that might echo one. */
  readonly secrets: readonly string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    vault: Vault;
  }
}

/** The upstream providers and their keys; the only place the relay's routes read keys from. */
export const vaultPlugin = fp(
  async (app) => {
    const byId = new Map(app.config.providers.map((provider) => [provider.id, provider]));
    const listed: PublicProvider[] = app.config.providers.map(({ id, label, dialect, models, concurrency }) => ({ id, label, dialect, models, concurrency }));
    app.decorate('vault', {
      get: (id: string) => byId.get(id),
      list: () => listed,
      secrets: app.config.providers.flatMap((provider) => (provider.apiKey ? [provider.apiKey] : []))
    });
  },
  { name: 'vault', dependencies: ['config'], fastify: '5.x' }
);
