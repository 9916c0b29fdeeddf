import { parseArgs } from 'node:util';
import { ConfigError, defaultConfigFile, loadConfig, type RelayConfig } from '../config.ts';
import { classifyAddress } from '../net/address.ts';
import { buildRelay, defaultAppDir } from '../server.ts';

export const summary = 'Serve the app, its API and the relay on one port';

export const usage = `Usage: atelier serve [options]

Serves the built app at /, its API at /api/* (login, providers, the upstream proxy, logs) and the
health check at /api/health, all on one port.

Options:
  --config <file>  Relay config (env ATELIER_CONFIG; default ./${defaultConfigFile} if it exists)
  --port <n>       Port to listen on (env PORT; overrides the config; default 51130)
  --host <addr>    Address to bind (env HOST; overrides the config; default 127.0.0.1)
  --app-dir <dir>  Folder of the built app (default: build/ in the project)
  --log-level <l>  silent, error, warn, info or debug (env LOG_LEVEL; default info)
  -h, --help       Show this help

Without auth.passwordHash in the config the relay listens only on a loopback address.
Make a hash with: atelier hash-password`;

const logLevels = ['silent', 'error', 'warn', 'info', 'debug'] as const;
type LogLevel = (typeof logLevels)[number];

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || classifyAddress(host)?.kind === 'loopback';
}

/** Why the relay must not listen on `host` with this config, or null when it may. */
export function bindRefusal(host: string, config: RelayConfig): string | null {
  if (config.auth.passwordHash !== null || isLoopbackHost(host)) return null;
  return (
    `refusing to listen on ${host} without a password: anyone who can reach that address could spend the relay's API keys.\n` +
    `Set auth.passwordHash in the config (make one with \`atelier hash-password\`), or listen on 127.0.0.1.`
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'app-dir': { type: 'string' },
      'log-level': { type: 'string' }
    },
    strict: true
  });
  let config: RelayConfig & { source: string | null };
  try {
    config = loadConfig({ path: values.config });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: bad config: ${error.message}`);
    return 2;
  }
  const portText = values.port ?? process.env.PORT;
  const port = portText === undefined ? config.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: --port must be a whole number from 0 to 65535, not '${portText}'`);
    return 2;
  }
  const host = values.host ?? process.env.HOST ?? config.host;
  const logLevel = values['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  if (!logLevels.includes(logLevel as LogLevel)) {
    console.error(`error: --log-level must be one of ${logLevels.join(', ')}`);
    return 2;
  }
  const refusal = bindRefusal(host, config);
  if (refusal) {
    console.error(`error: ${refusal}`);
    return 2;
  }

  const relay = await buildRelay({ config, appDir: values['app-dir'] ?? defaultAppDir, logLevel: logLevel as LogLevel });
  try {
    await relay.listen({ port, host });
  } catch (error) {
    console.error(`error: cannot listen on ${host}:${port}: ${(error as Error).message}`);
    return 1;
  }
  const address = relay.server.address();
  const shown = typeof address === 'object' && address ? `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` : `${host}:${port}`;
  console.log(`Atelier is serving on ${shown}`);
  console.log(`  config: ${config.source ?? `none (no ${defaultConfigFile} here; defaults)`}`);
  console.log(`  providers: ${config.providers.map((provider) => provider.id).join(', ') || 'none'}`);
  if (!config.auth.passwordHash) console.log('  no password: only this machine can reach the relay, and it needs no login');

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Let generations in flight finish for a while, then cut what is left.
      setTimeout(() => relay.server.closeAllConnections(), 10_000).unref();
      void relay.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
