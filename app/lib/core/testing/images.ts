// Real, decodable images for tests, made without Node modules: PNG with stored (uncompressed) deflate blocks,
// plus minimal GIF and WebP files. Test support only; product code never imports this.

import { encodeBase64 } from '../extract/base64';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typed = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) typed[i] = type.charCodeAt(i);
  typed.set(data, 4);
  return Uint8Array.from([...u32(data.length), ...typed, ...u32(crc32(typed))]);
}

/** An RGB PNG whose pixels are a pattern derived from `seed`, so different seeds give different bytes. */
export function pngBytes(width: number, height: number, seed = 1): Uint8Array {
  const row = 1 + width * 3;
  const raw = new Uint8Array(row * height);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * 3; x++) {
      state = (state * 1103515245 + 12345) >>> 0;
      raw[y * row + 1 + x] = state >>> 24;
    }
  }
  // zlib stream of stored blocks
  const blocks: number[] = [0x78, 0x01];
  for (let offset = 0; offset < raw.length || offset === 0; offset += 65535) {
    const size = Math.min(65535, raw.length - offset);
    const last = offset + size >= raw.length ? 1 : 0;
    blocks.push(last, size & 0xff, size >> 8, ~size & 0xff, (~size >> 8) & 0xff);
    for (let i = 0; i < size; i++) blocks.push(raw[offset + i]!);
    if (last) break;
  }
  let a = 1;
  let b = 0;
  for (const byte of raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  blocks.push(...u32(((b << 16) | a) >>> 0));
  const ihdr = Uint8Array.from([...u32(width), ...u32(height), 8, 2, 0, 0, 0]);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Uint8Array.from(blocks)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A 1-frame GIF89a of the given size (one-colour). */
export function gifBytes(width: number, height: number): Uint8Array {
  return Uint8Array.from([
    ...'GIF89a'.split('').map((c) => c.charCodeAt(0)),
    width & 0xff, width >> 8, height & 0xff, height >> 8, 0x80, 0, 0,
    0, 0, 0, 255, 255, 255,
    0x2c, 0, 0, 0, 0, width & 0xff, width >> 8, height & 0xff, height >> 8, 0,
    2, 2, 0x44, 0x01, 0,
    0x3b
  ]);
}

/** A lossless WebP header (VP8L) declaring the given size; enough for sniffing and measuring. */
export function webpBytes(width: number, height: number): Uint8Array {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  const payload = [0x2f, bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, (bits >>> 24) & 0xff, 0, 0, 0];
  const size = 4 + 8 + payload.length;
  return Uint8Array.from([
    ...'RIFF'.split('').map((c) => c.charCodeAt(0)), size & 0xff, (size >> 8) & 0xff, 0, 0,
    ...'WEBPVP8L'.split('').map((c) => c.charCodeAt(0)), payload.length, 0, 0, 0,
    ...payload
  ]);
}

export function b64(bytes: Uint8Array): string {
  return encodeBase64(bytes);
}

export function dataUrlOf(bytes: Uint8Array, label = 'image/png'): string {
  return `data:${label};base64,${encodeBase64(bytes)}`;
}

/** A Response with the given body split into chunks of `chunkSize` bytes, as a network would deliver it. */
export function chunkedResponse(body: string | Uint8Array, contentType: string, init: { status?: number; chunkSize?: number; headers?: Record<string, string> } = {}): Response {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const size = init.chunkSize ?? 7;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    }
  });
  return new Response(stream, { status: init.status ?? 200, headers: { 'content-type': contentType, ...init.headers } });
}

/** SSE text from events: each `[event, data]` pair (or data alone) framed with the given line ending. */
export function sse(events: Array<unknown | [string, unknown]>, eol = '\n'): string {
  return events
    .map((e) => {
      const [name, data] = Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' ? (e as [string, unknown]) : [undefined, e];
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      return `${name ? `event: ${name}${eol}` : ''}data: ${text}${eol}${eol}`;
    })
    .join('');
}

/** Every event of an async iterable, or the error it ended with. */
export async function collect<T>(events: AsyncIterable<T>): Promise<{ events: T[]; error?: unknown }> {
  const out: T[] = [];
  try {
    for await (const event of events) out.push(event);
    return { events: out };
  } catch (error) {
    return { events: out, error };
  }
}
