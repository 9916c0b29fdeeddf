// Shared helpers for the upstream's own tests: a strict SSE splitter (so framing is checked, not
// forgiven) and image decoding.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll } from 'vitest';
import { sniffFormat, type Dimensions } from './images.ts';
import { startUpstream, type TestUpstream } from './server.ts';

export interface SseFrame {
  event?: string;
  data?: string;
  comments: string[];
}

/** Splits an SSE body on blank lines of the given line ending, keeping comments for inspection. */
export function parseSse(text: string, lineEnding: '\n' | '\r\n' = '\n'): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(lineEnding + lineEnding)) {
    if (block === '') continue;
    const frame: SseFrame = { comments: [] };
    for (const line of block.split(lineEnding)) {
      if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) frame.event = line.slice(7);
      else if (line.startsWith('data: ')) frame.data = frame.data === undefined ? line.slice(6) : `${frame.data}\n${line.slice(6)}`;
      else throw new Error(`unexpected SSE line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    frames.push(frame);
  }
  return frames;
}

/** The JSON payloads of the data frames, [DONE] excluded. */
export function sseJson<T = Record<string, unknown>>(frames: SseFrame[]): T[] {
  return frames.filter((frame) => frame.data !== undefined && frame.data !== '[DONE]').map((frame) => JSON.parse(frame.data!) as T);
}

/** Decodes PNG or JPEG (by magic bytes) and returns its size and RGBA pixels. */
export function decodeImage(bytes: Buffer): Dimensions & { format: string; data: Uint8Array } {
  const format = sniffFormat(bytes);
  if (format === 'png') {
    const png = PNG.sync.read(bytes);
    return { format, width: png.width, height: png.height, data: png.data };
  }
  if (format === 'jpeg') {
    const image = jpeg.decode(bytes, { useTArray: true });
    return { format, width: image.width, height: image.height, data: image.data };
  }
  throw new Error(`not a PNG or JPEG: ${bytes.subarray(0, 12).toString('hex')}`);
}

export function fromBase64(value: unknown): Buffer {
  if (typeof value !== 'string') throw new Error(`expected base64, got ${typeof value}`);
  return Buffer.from(value.replace(/^data:[^,]*,/, ''), 'base64');
}

/** Starts one upstream for the file's tests and resets it before each use. */
export function useUpstream(): () => TestUpstream {
  let upstream: TestUpstream | undefined;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });
  return () => {
    if (!upstream) throw new Error('upstream not started');
    return upstream;
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-upstream-key', ...headers },
    body: JSON.stringify(body)
  });
}
