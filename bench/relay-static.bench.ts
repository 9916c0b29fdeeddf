// How fast the relay serves the built app: the shell for deep links and a hashed asset,
// 50 keep-alive connections from a load generator in this process, the relay in its own.
import autocannon from 'autocannon';
import { readdirSync } from 'node:fs';
import { startRelayProcess, type BenchRow } from './bench.ts';

const SECONDS = 5;
// Static files come from memory; the STACK.md figures put a Fastify proxy at 7-10k req/s on this
// machine, with the load generator sharing its two cores.
const TARGET_RPS = 6000;

async function load(url: string): Promise<autocannon.Result> {
  return autocannon({ url, connections: 50, duration: SECONDS, headers: { 'accept-encoding': 'br, gzip' } });
}

export async function run(): Promise<BenchRow[]> {
  const asset = readdirSync('build/_app/immutable/entry').find((file) => file.endsWith('.js'));
  if (!asset) throw new Error('build/ has no entry script: run `vite build` first');
  const relay = await startRelayProcess();
  try {
    await load(`${relay.url}/`); // warm-up: JIT and the in-memory file cache
    const shell = await load(`${relay.url}/gallery`);
    const script = await load(`${relay.url}/_app/immutable/entry/${asset}`);
    const rows: BenchRow[] = [];
    for (const [name, result] of [['deep link (shell)', shell], ['hashed script', script]] as const) {
      const errors = result.errors + result.non2xx;
      rows.push(
        { figure: `static ${name}, requests/s`, value: result.requests.average, unit: 'req/s', target: `>= ${TARGET_RPS}`, ok: result.requests.average >= TARGET_RPS && errors === 0 },
        { figure: `static ${name}, p99 latency`, value: result.latency.p99, unit: 'ms', target: '< 50 ms', ok: result.latency.p99 < 50 }
      );
    }
    return rows;
  } finally {
    await relay.stop();
  }
}
