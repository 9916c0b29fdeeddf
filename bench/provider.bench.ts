// The provider layer on a big answer: one ~22 MB PNG (noise, zlib level 0) as ~30 MB of base64, streamed as SSE
// (`image_generation.completed`) and as a plain JSON body (`data[0].b64_json`) from a loopback server, read and
// decoded by app/lib/core. Peak memory is measured in a fresh child process as RSS growth (VmHWM after the peak
// counter is reset, STACK.md trap 19), because heap figures hide the buffers that matter.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { BenchRow } from './bench.ts';

const SIDE = 2740; // 2740 x 2740 RGB, stored deflate: about 22.5 MB
const MAX_GROWTH_RATIO = 3;
const MAX_SECONDS = 5;
const CHILD_ENV = 'ATELIER_PROVIDER_BENCH_URL';
// When the runtime collects fetch's spent chunks varies from run to run (±0.3x here): report the median of a few.
const RUNS = 3;

type Mode = 'sse' | 'json' | 'drain' | 'memory-sse' | 'memory-json';

interface ChildReport {
  ms: number;
  growthBytes: number;
  imageBytes: number;
  sha256: string;
  peakSource: string;
}

function noisePng(): Buffer {
  const png = new PNG({ width: SIDE, height: SIDE, colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 0 });
  let state = 0x9e3779b9;
  const data = Buffer.alloc(SIDE * SIDE * 3);
  for (let i = 0; i < data.length; i += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data.writeUInt32LE(state >>> 0, Math.min(i, data.length - 4));
  }
  png.data = data;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 0 });
}

function bodies(png: Buffer): Record<string, { type: string; body: Buffer }> {
  const b64 = png.toString('base64');
  const event = JSON.stringify({ type: 'image_generation.completed', b64_json: b64, created_at: 1, size: `${SIDE}x${SIDE}`, quality: 'high', background: 'opaque', output_format: 'png', usage: { input_tokens: 10, output_tokens: 4160, total_tokens: 4170 } });
  return {
    '/sse': { type: 'text/event-stream', body: Buffer.from(`event: image_generation.completed\ndata: ${event}\n\n`) },
    '/json': { type: 'application/json', body: Buffer.from(JSON.stringify({ created: 1, output_format: 'png', data: [{ b64_json: b64 }] })) },
    '/small': { type: 'application/json', body: Buffer.from(JSON.stringify({ data: [{ b64_json: PNG.sync.write(Object.assign(new PNG({ width: 4, height: 4 }), { data: Buffer.alloc(64, 255) })).toString('base64') }] })) }
  };
}

async function serve(routes: Record<string, { type: string; body: Buffer }>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (!route) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length });
    // 64 KB writes that respect backpressure, as a network would deliver them.
    let offset = 0;
    const pump = () => {
      while (offset < route.body.length) {
        const chunk = route.body.subarray(offset, offset + 65536);
        offset += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function medianInChildren(url: string, path: string, mode: Mode): Promise<ChildReport> {
  const reports: ChildReport[] = [];
  for (let i = 0; i < RUNS; i++) reports.push(await measureInChild(url, path, mode));
  reports.sort((a, b) => a.growthBytes - b.growthBytes);
  const median = reports[Math.floor(reports.length / 2)]!;
  const times = reports.map((r) => r.ms).sort((a, b) => a - b);
  return { ...median, ms: times[Math.floor(times.length / 2)]! };
}

function measureInChild(url: string, path: string, mode: Mode): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [CHILD_ENV]: `${mode} ${url}${path}` },
      stdio: ['ignore', 'pipe', 'inherit']
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`measuring child exited with ${code}: ${out}`));
      resolve(JSON.parse(line) as ChildReport);
    });
  });
}

export async function run(): Promise<BenchRow[]> {
  const png = noisePng();
  const sha256 = createHash('sha256').update(png).digest('hex');
  const { server, url } = await serve(bodies(png));
  const rows: BenchRow[] = [];
  const imageMb = png.length / 1e6;
  try {
    // From memory: the body arrives in 64 KB slices of one buffer, so the growth is the provider layer's own.
    for (const [mode, label] of [['memory-sse', 'SSE event'], ['memory-json', 'JSON body']] as const) {
      const report = await medianInChildren(url, '/none', mode);
      const intact = report.imageBytes === png.length && report.sha256 === sha256;
      const ratio = report.growthBytes / png.length;
      rows.push(
        { figure: `${imageMb.toFixed(1)} MB PNG as base64 in one ${label}, streamed from memory: parse + decode time`, value: Math.round(report.ms), unit: 'ms', target: `< ${MAX_SECONDS * 1000} ms, bytes intact`, ok: intact && report.ms < MAX_SECONDS * 1000 },
        { figure: `${label} from memory: peak RSS growth / image size (${report.peakSource}, median of ${RUNS})`, value: Math.round(ratio * 100) / 100, unit: 'x', target: `< ${MAX_GROWTH_RATIO}x`, ok: intact && ratio < MAX_GROWTH_RATIO }
      );
    }
    // Over loopback fetch, as the engine reads it. fetch's spent chunks are garbage the runtime collects late; the
    // drain row is that floor (fetch reading the same body and parsing nothing), so these rows are for reading, not verdicts.
    const drain = await medianInChildren(url, '/sse', 'drain');
    rows.push({ figure: 'fetch draining the SSE body, no parsing: peak RSS growth / image size', value: Math.round((drain.growthBytes / png.length) * 100) / 100, unit: 'x', target: 'reference', ok: true });
    for (const [path, mode, label] of [['/sse', 'sse', 'SSE event'], ['/json', 'json', 'JSON body']] as const) {
      const report = await medianInChildren(url, path, mode);
      const intact = report.imageBytes === png.length && report.sha256 === sha256;
      rows.push(
        { figure: `${label} over loopback fetch: read + decode time`, value: Math.round(report.ms), unit: 'ms', target: `< ${MAX_SECONDS * 1000} ms, bytes intact`, ok: intact && report.ms < MAX_SECONDS * 1000 },
        { figure: `${label} over loopback fetch: peak RSS growth / image size (with fetch's garbage)`, value: Math.round((report.growthBytes / png.length) * 100) / 100, unit: 'x', target: 'reference', ok: intact }
      );
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return rows;
}

// ---- the measuring child: a fresh process, so the only large allocations are the ones under test ----

function status(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (Linux: write 5 to clear_refs); false where that is not possible. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function child(mode: Mode, target: string): Promise<void> {
  const { openAiImages } = await import('../app/lib/core/providers/openai-images/adapter.ts');
  const memoryBody = mode.startsWith('memory-') ? bodies(noisePng())[mode === 'memory-sse' ? '/sse' : '/json']! : undefined;
  const open = (url: string): Promise<Response> => {
    if (!memoryBody || url.endsWith('/small')) return fetch(url);
    const bytes = new Uint8Array(memoryBody.body.buffer, memoryBody.body.byteOffset, memoryBody.body.length);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + 65536));
        offset += 65536;
      }
    });
    return Promise.resolve(new Response(stream, { headers: { 'content-type': memoryBody.type } }));
  };
  const read = async (url: string): Promise<Uint8Array> => {
    const res = await open(url);
    if (mode === 'drain') {
      const reader = res.body!.getReader();
      let length = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) length += chunk.value.length;
      return new Uint8Array(length);
    }
    for await (const event of openAiImages.readResponse(res)) if (event.type === 'image') return event.image.bytes;
    throw new Error('no image');
  };
  await read(target.replace(/\/(sse|json|none)$/, '/small')); // warm-up: module loading, fetch, JIT
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const canReset = resetPeak();
  const baseline = canReset ? status('VmRSS') ?? process.memoryUsage().rss : process.memoryUsage().rss;
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const bytes = await read(target);
  const ms = performance.now() - started;
  const peak = canReset ? status('VmHWM') : undefined;
  const growthBytes = peak !== undefined ? peak - baseline : Math.max(0, process.resourceUsage().maxRSS * 1024 - maxRssBefore);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const report: ChildReport = { ms, growthBytes, imageBytes: bytes.length, sha256, peakSource: peak !== undefined ? 'VmHWM' : 'maxRSS' };
  console.log(JSON.stringify(report));
}

const childTask = process.env[CHILD_ENV]?.split(' ');
if (childTask?.[0] && childTask[1]) await child(childTask[0] as Mode, childTask[1]);
