// Base64 without Node's Buffer or atob (atob builds a binary string: one more full copy of a large image).
// Accepts the standard and the URL-safe alphabets, skips whitespace, and stops at padding.

const INVALID = 255;
const SKIP = 254;
const PAD = 253;

/** Byte value -> 6-bit value, SKIP for whitespace, PAD for '=', INVALID otherwise. */
export const BASE64_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(INVALID);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  for (const c of ['\n', '\r', ' ', '\t']) table[c.charCodeAt(0)] = SKIP;
  table['='.charCodeAt(0)] = PAD;
  return table;
})();

export function isBase64Byte(byte: number): boolean {
  return (BASE64_TABLE[byte] ?? INVALID) < 64;
}

/**
 * Incremental decoder: feed base64 bytes in any slicing, get decoded chunks.
 * Whitespace is skipped; after '=' padding, further input is ignored. Invalid bytes mark the input invalid.
 */
export class Base64StreamDecoder {
  readonly #chunks: Uint8Array[] = [];
  #quad = 0;
  #quadLength = 0;
  #length = 0;
  #ended = false;
  #invalid = false;

  get invalid(): boolean {
    return this.#invalid;
  }

  get byteLength(): number {
    return this.#length;
  }

  write(input: Uint8Array): void {
    if (this.#ended || this.#invalid || input.length === 0) return;
    const out = new Uint8Array(Math.floor(((input.length + this.#quadLength) * 3) / 4));
    let o = 0;
    let quad = this.#quad;
    let quadLength = this.#quadLength;
    for (let i = 0; i < input.length; i++) {
      const v = BASE64_TABLE[input[i]!]!;
      if (v < 64) {
        quad = (quad << 6) | v;
        if (++quadLength === 4) {
          out[o++] = (quad >> 16) & 0xff;
          out[o++] = (quad >> 8) & 0xff;
          out[o++] = quad & 0xff;
          quad = 0;
          quadLength = 0;
        }
      } else if (v === SKIP) {
        continue;
      } else if (v === PAD) {
        this.#ended = true;
        break;
      } else {
        this.#invalid = true;
        break;
      }
    }
    this.#quad = quad;
    this.#quadLength = quadLength;
    if (o > 0) this.#push(o === out.length ? out : out.slice(0, o));
  }

  /** Flushes the trailing 2 or 3 characters (unpadded input is accepted) and returns all bytes. */
  end(): Uint8Array {
    const quad = this.#quad;
    if (this.#quadLength === 2) this.#push(Uint8Array.of((quad >> 4) & 0xff));
    else if (this.#quadLength === 3) this.#push(Uint8Array.of((quad >> 10) & 0xff, (quad >> 2) & 0xff));
    else if (this.#quadLength === 1) this.#invalid = true;
    this.#quad = 0;
    this.#quadLength = 0;
    this.#ended = true;
    return concatBytes(this.#chunks.splice(0), this.#length);
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }
}

export function concatBytes(chunks: Uint8Array[], totalLength?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const total = totalLength ?? chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Decodes a whole base64 string; null when it holds anything but base64 and whitespace. */
export function decodeBase64(text: string): Uint8Array | null {
  const decoder = new Base64StreamDecoder();
  const encoder = new TextEncoder();
  const step = 1 << 16;
  // Non-ASCII characters encode to bytes >= 0x80, which the decoder rejects.
  const buffer = new Uint8Array(step * 3);
  for (let start = 0; start < text.length; start += step) {
    const { written } = encoder.encodeInto(text.slice(start, start + step), buffer);
    decoder.write(buffer.subarray(0, written));
    if (decoder.invalid) return null;
  }
  const bytes = decoder.end();
  return decoder.invalid ? null : bytes;
}

const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD_BYTE = 0x3d;

export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[n >> 18]!;
    out[o++] = ALPHABET[(n >> 12) & 63]!;
    out[o++] = ALPHABET[(n >> 6) & 63]!;
    out[o++] = ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET[n >> 18]!;
    out[o++] = ALPHABET[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? ALPHABET[(n >> 6) & 63]! : PAD_BYTE;
    out[o++] = PAD_BYTE;
  }
  return new TextDecoder().decode(out);
}
