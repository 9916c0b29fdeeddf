import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { parseConfig, type RelayConfig } from './config.ts';
import { LogRing, redactPaths, type LineSink } from './logging.ts';
import { authPlugin } from './plugins/auth.ts';
import { configPlugin } from './plugins/config.ts';
import { corsPlugin } from './plugins/cors.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { requestLogPlugin } from './plugins/request-log.ts';
import { staticApp } from './plugins/static-app.ts';
import { vaultPlugin } from './plugins/vault.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/logs.ts';
import { providerRoutes } from './routes/providers.ts';
import { sessionRoutes } from './routes/session.ts';
import { upstreamRoutes } from './routes/upstream.ts';

export interface RelayOptions {
  /** A validated config (relay/config.ts `loadConfig`); defaults to an empty one: no password, no providers. */
  config?: RelayConfig;
  /** Folder holding the built app (adapter-static output); null serves no app. */
  appDir?: string | null;
  /** Log level for the relay's own logger; 'silent' by default so tests stay quiet. */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Where log lines go besides the in-memory ring; stdout by default. */
  logDestination?: LineSink;
}

export const defaultAppDir = fileURLToPath(new URL('../build', import.meta.url));

/** Builds the relay without listening, so tests can `inject()` or listen on an ephemeral port. */
export async function buildRelay(options: RelayOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? parseConfig({}, process.cwd());
  const ring = new LogRing(config.logs.ringSize, options.logDestination ?? process.stdout);
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'silent',
      // Nothing secret may reach a log line (see logging.ts for what and why).
      redact: { paths: redactPaths, censor: '[redacted]' },
      stream: ring
    },
    // Per-request lines cost throughput on the static hot path; request logging is the relay's own job.
    logController: new LogController({ disableRequestLogging: true }),
    // Long image generations stream for minutes; the relay must not cut them (the proxy has its own idle timeout).
    requestTimeout: 0,
    // JSON bodies the relay parses itself (login) are tiny; the proxy streams and has its own limit.
    bodyLimit: 1024 * 1024,
    trustProxy: false
  });

  await app.register(configPlugin, { config });
  await app.register(errorsPlugin);
  await app.register(requestLogPlugin);
  await app.register(corsPlugin);
  await app.register(authPlugin);
  await app.register(vaultPlugin);

  await app.register(healthRoutes);
  await app.register(sessionRoutes);
  await app.register(providerRoutes);
  await app.register(upstreamRoutes);
  await app.register(logRoutes, { ring });
  const appDir = options.appDir === undefined ? defaultAppDir : options.appDir;
  if (appDir !== null) await app.register(staticApp, { root: appDir });
  return app;
}
