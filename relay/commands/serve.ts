import { parseArgs } from 'node:util';
import { buildRelay, defaultAppDir } from '../server.ts';

export const summary = 'Serve the app, its API and the relay on one port';

export const usage = `Usage: atelier serve [options]

Serves the built app at /, the health check at /api/health, and (as they land) the relay API.

Options:
  --port <n>       Port to listen on (env PORT; default 51130)
  --host <addr>    Address to bind (env HOST; default 127.0.0.1)
  --app-dir <dir>  Folder of the built app (default: build/ in the project)
  --log-level <l>  silent, error, warn, info or debug (env LOG_LEVEL; default info)
  -h, --help       Show this help`;

const logLevels = ['silent', 'error', 'warn', 'info', 'debug'] as const;
type LogLevel = (typeof logLevels)[number];

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'app-dir': { type: 'string' },
      'log-level': { type: 'string' }
    },
    strict: true
  });
  const port = Number(values.port ?? process.env.PORT ?? 51130);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: --port must be a whole number from 0 to 65535, not '${values.port ?? process.env.PORT}'`);
    return 2;
  }
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const logLevel = values['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  if (!logLevels.includes(logLevel as LogLevel)) {
    console.error(`error: --log-level must be one of ${logLevels.join(', ')}`);
    return 2;
  }

  const relay = await buildRelay({ appDir: values['app-dir'] ?? defaultAppDir, logLevel: logLevel as LogLevel });
  try {
    await relay.listen({ port, host });
  } catch (error) {
    console.error(`error: cannot listen on ${host}:${port}: ${(error as Error).message}`);
    return 1;
  }
  const address = relay.server.address();
  const shown = typeof address === 'object' && address ? `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` : `${host}:${port}`;
  console.log(`Atelier is serving on ${shown}`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void relay.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
