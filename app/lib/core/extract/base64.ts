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

/** Largest image the incremental decoder keeps; beyond it the input is marked invalid (never an image). */
export const MAX_DECODED_BYTES = 128 * 1024 * 1024;

// Feature checks: resizable buffers are in Node 20 and current browsers; transferToFixedLength is newer.
const canResize = typeof (ArrayBuffer.prototype as Partial<ArrayBuffer>).resize === 'function';
const canTransfer = typeof (ArrayBuffer.prototype as Partial<ArrayBuffer>).transferToFixedLength === 'function';

/**
 * Where decoded bytes go. A resizable ArrayBuffer grows in place, so the image is never copied into a final array:
 * the whole point for 20-30 MB images (STACK.md trap 19). Without resizable buffers, chunks are joined at the end.
 */
class ByteSink {
  #buffer: ArrayBuffer | null = null;
  #view: Uint8Array = new Uint8Array(0);
  readonly #chunks: Uint8Array[] = [];
  length = 0;

  /** A writable region of at least `size` bytes at the end; commit() what was written. */
  reserve(size: number): Uint8Array {
    if (!canResize) return new Uint8Array(size);
    if (!this.#buffer) {
      this.#buffer = new ArrayBuffer(Math.min(Math.max(size, 1 << 16), MAX_DECODED_BYTES), { maxByteLength: MAX_DECODED_BYTES });
    }
    const needed = this.length + size;
    // Growing in place is cheap; growing by small steps keeps untouched capacity from becoming resident.
    if (needed > this.#buffer.byteLength) this.#buffer.resize(Math.min(MAX_DECODED_BYTES, needed + (1 << 20)));
    this.#view = new Uint8Array(this.#buffer);
    return this.#view.subarray(this.length, needed);
  }

  commit(region: Uint8Array, written: number): void {
    if (written === 0) return;
    if (!canResize) this.#chunks.push(written === region.length ? region : region.slice(0, written));
    this.length += written;
  }

  finish(): Uint8Array {
    if (!canResize) return concatBytes(this.#chunks.splice(0), this.length);
    const buffer = this.#buffer;
    if (!buffer) return new Uint8Array(0);
    buffer.resize(this.length);
    // A fixed-length buffer where the runtime can make one without copying.
    const fixed = canTransfer ? buffer.transferToFixedLength() : buffer;
    this.#buffer = null;
    return new Uint8Array(fixed, 0, this.length);
  }
}

/**
 * Incremental decoder: feed base64 bytes in any slicing, get the bytes at the end.
 * Whitespace is skipped; after '=' padding, further input is ignored. Invalid bytes mark the input invalid.
 */
export class Base64StreamDecoder {
  readonly #sink = new ByteSink();
  #quad = 0;
  #quadLength = 0;
  #ended = false;
  #invalid = false;

  get invalid(): boolean {
    return this.#invalid;
  }

  get byteLength(): number {
    return this.#sink.length;
  }

  /** Decodes all of `input`; a byte outside base64 marks the input invalid. */
  write(input: Uint8Array): void {
    const consumed = this.writeRun(input, true);
    if (consumed < input.length) this.#invalid = true;
  }

  /**
   * Decodes up to the first byte that cannot continue a base64 run (anything but the alphabet and '=';
   * whitespace too unless `skipWhitespace`) and returns how many bytes it consumed.
   */
  writeRun(input: Uint8Array, skipWhitespace = false): number {
    if (this.#invalid) return input.length;
    const n = input.length;
    if (this.#ended) {
      let i = 0;
      while (i < n && input[i] === 0x3d) i++;
      return i;
    }
    if (this.#sink.length + (n * 3) / 4 > MAX_DECODED_BYTES) {
      this.#invalid = true;
      return n;
    }
    const region = this.#sink.reserve(Math.floor(((n + this.#quadLength) * 3) / 4) + 3);
    const table = BASE64_TABLE;
    let o = 0;
    let i = 0;
    let quad = this.#quad;
    let quadLength = this.#quadLength;
    while (i < n) {
      if (quadLength === 0) {
        // Fast path: whole quads of alphabet characters.
        while (i + 4 <= n) {
          const a = table[input[i]!]!;
          const b = table[input[i + 1]!]!;
          const c = table[input[i + 2]!]!;
          const d = table[input[i + 3]!]!;
          if ((a | b | c | d) >= 64) break;
          region[o] = (a << 2) | (b >> 4);
          region[o + 1] = ((b & 15) << 4) | (c >> 2);
          region[o + 2] = ((c & 3) << 6) | d;
          o += 3;
          i += 4;
        }
        if (i >= n) break;
      }
      const v = table[input[i]!]!;
      if (v < 64) {
        quad = (quad << 6) | v;
        if (++quadLength === 4) {
          region[o++] = (quad >> 16) & 0xff;
          region[o++] = (quad >> 8) & 0xff;
          region[o++] = quad & 0xff;
          quad = 0;
          quadLength = 0;
        }
        i++;
      } else if (v === PAD) {
        this.#ended = true;
        while (i < n && input[i] === 0x3d) i++;
        break;
      } else if (v === SKIP && skipWhitespace) {
        i++;
      } else {
        break;
      }
    }
    this.#quad = quad;
    this.#quadLength = quadLength;
    this.#sink.commit(region, o);
    return i;
  }

  /** Flushes the trailing 2 or 3 characters (unpadded input is accepted) and returns all bytes. */
  end(): Uint8Array {
    const quad = this.#quad;
    const tail = this.#quadLength === 2 ? [(quad >> 4) & 0xff] : this.#quadLength === 3 ? [(quad >> 10) & 0xff, (quad >> 2) & 0xff] : [];
    if (this.#quadLength === 1) this.#invalid = true;
    if (tail.length && !this.#invalid) {
      const region = this.#sink.reserve(tail.length);
      region.set(tail);
      this.#sink.commit(region, tail.length);
    }
    this.#quad = 0;
    this.#quadLength = 0;
    this.#ended = true;
    return this.#sink.finish();
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
  // Native where the runtime has it (Chromium 140+, Firefox 133+, Safari 18.2+; not Node 20).
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
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
