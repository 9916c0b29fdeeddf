import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { healthRoutes } from './routes/health.ts';
import { staticApp } from './plugins/static-app.ts';

export interface RelayOptions {
  /** Folder holding the built app (adapter-static output); null serves no app. */
  appDir?: string | null;
  /** Log level for the relay's own logger; 'silent' by default so tests stay quiet. */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export const defaultAppDir = fileURLToPath(new URL('../build', import.meta.url));

/** Builds the relay without listening, so tests can `inject()` or listen on an ephemeral port. */
export async function buildRelay(options: RelayOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'silent',
      // Nothing secret may reach a log line.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-goog-api-key"]'], censor: '[redacted]' }
    },
    // Per-request lines cost throughput on the static hot path; request logging is the relay's own job.
    logController: new LogController({ disableRequestLogging: true }),
    // Long image generations stream for minutes; the relay must not cut them.
    requestTimeout: 0,
    trustProxy: false
  });

  await app.register(healthRoutes);
  const appDir = options.appDir === undefined ? defaultAppDir : options.appDir;
  if (appDir !== null) await app.register(staticApp, { root: appDir });
  return app;
}
