// PNG text chunks (tEXt, zTXt, iTXt): how a downloaded PNG carries its recipe. Writing adds one
// uncompressed iTXt chunk (UTF-8, so Chinese prompts survive) right after IHDR; reading accepts
// all three kinds, as other tools write them.

import { crc32 } from './zip';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((byte, i) => bytes[i] === byte);
}

interface Chunk {
  type: string;
  /** Offset of the chunk's length field. */
  start: number;
  dataStart: number;
  length: number;
}

function* chunks(bytes: Uint8Array): Generator<Chunk> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = latin1.decode(bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) return; // truncated: stop, keep what was read
    yield { type, start: at, dataStart: at + 8, length };
    if (type === 'IEND') return;
    at += 12 + length;
  }
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every text chunk's keyword and text, in file order. */
export async function readPngText(bytes: Uint8Array): Promise<{ keyword: string; text: string }[]> {
  if (!isPng(bytes)) return [];
  const out: { keyword: string; text: string }[] = [];
  for (const chunk of chunks(bytes)) {
    if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') continue;
    const data = bytes.subarray(chunk.dataStart, chunk.dataStart + chunk.length);
    const nul = data.indexOf(0);
    if (nul < 1) continue;
    const keyword = latin1.decode(data.subarray(0, nul));
    try {
      if (chunk.type === 'tEXt') {
        out.push({ keyword, text: latin1.decode(data.subarray(nul + 1)) });
      } else if (chunk.type === 'zTXt') {
        out.push({ keyword, text: latin1.decode(await inflate(data.subarray(nul + 2))) });
      } else {
        const compressed = data[nul + 1] === 1;
        const languageEnd = data.indexOf(0, nul + 3);
        const translatedEnd = data.indexOf(0, languageEnd + 1);
        if (languageEnd < 0 || translatedEnd < 0) continue;
        const text = data.subarray(translatedEnd + 1);
        out.push({ keyword, text: utf8.decode(compressed ? await inflate(text) : text) });
      }
    } catch {
      // A damaged compressed chunk is skipped; the image itself is still fine.
    }
  }
  return out;
}

function chunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(encoder.encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A copy of a PNG with an iTXt chunk `keyword` = `text` after IHDR, replacing any text chunk with
 * the same keyword. The image data is untouched.
 */
export function withPngText(bytes: Uint8Array, keyword: string, text: string): Uint8Array {
  if (!isPng(bytes)) throw new Error('not a PNG');
  const keywordBytes = encoder.encode(keyword);
  const textBytes = encoder.encode(text);
  // keyword \0, compression flag 0, method 0, empty language \0, empty translated keyword \0, text
  const data = new Uint8Array(keywordBytes.length + 5 + textBytes.length);
  data.set(keywordBytes);
  data.set(textBytes, keywordBytes.length + 5);
  const inserted = chunkBytes('iTXt', data);

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const chunk of chunks(bytes)) {
    const whole = bytes.subarray(chunk.start, chunk.dataStart + chunk.length + 4);
    const isText = chunk.type === 'tEXt' || chunk.type === 'zTXt' || chunk.type === 'iTXt';
    const sameKeyword = isText && latin1.decode(bytes.subarray(chunk.dataStart, chunk.dataStart + keywordBytes.length + 1)) === `${keyword}\0`;
    if (!sameKeyword) parts.push(whole);
    if (chunk.type === 'IHDR') parts.push(inserted);
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
