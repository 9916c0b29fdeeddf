// Streaming JSON text scanner that keeps large base64 payloads out of strings.
//
// A 30 MB image inside a JSON string costs 7-8x its size when the text is collected, JSON.parsed and then
// decoded (STACK.md trap 19). This scanner copies JSON text through unchanged except for string values longer
// than a threshold: those are decoded while they arrive. A base64 run (the whole string, or the part after a
// `data:<type>;base64,` prefix anywhere in it, e.g. inside markdown) becomes bytes in a BlobTable and is
// replaced in the text by a short token ("\u0000blob:<n>"), so the small remainder can be JSON.parsed.

import { BASE64_TABLE, Base64StreamDecoder } from './base64';
import { ProviderError } from '../errors';

export const BLOB_TOKEN_PREFIX = '\u0000blob:';

export interface SpilledBlob {
  bytes: Uint8Array;
  /** The type named by a data-URL prefix, if there was one. Never trusted, only reported. */
  label?: string;
}

export type BlobTable = Map<string, SpilledBlob>;

export interface SpillOptions {
  /** String values longer than this many bytes are decoded as they arrive. */
  spillThreshold?: number;
  /** Upper bound for the JSON text left after spilling; hostile bodies hit this instead of exhausting memory. */
  maxTextBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const DEFAULT_SPILL_THRESHOLD = 32 * 1024;
const DEFAULT_MAX_TEXT_BYTES = 64 * 1024 * 1024;
const ENCODER = new TextEncoder();
const DATA_PREFIX = ENCODER.encode('data:');
const BASE64_SUFFIX = ENCODER.encode(';base64,');

/** Growable byte buffer. */
export class ByteBuffer {
  #bytes: Uint8Array;
  #length = 0;
  readonly #max: number;

  constructor(initial = 1024, max = Number.MAX_SAFE_INTEGER) {
    this.#bytes = new Uint8Array(initial);
    this.#max = max;
  }

  get length(): number {
    return this.#length;
  }

  at(index: number): number {
    return this.#bytes[index]!;
  }

  append(chunk: Uint8Array): void {
    this.#reserve(chunk.length);
    this.#bytes.set(chunk, this.#length);
    this.#length += chunk.length;
  }

  appendByte(byte: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = byte;
  }

  truncate(length: number): void {
    this.#length = Math.min(length, this.#length);
  }

  slice(start: number, end = this.#length): Uint8Array {
    return this.#bytes.slice(start, end);
  }

  endsWith(suffix: Uint8Array): boolean {
    if (suffix.length > this.#length) return false;
    const offset = this.#length - suffix.length;
    for (let i = 0; i < suffix.length; i++) if (this.#bytes[offset + i] !== suffix[i]) return false;
    return true;
  }

  /** Last index of `needle` starting at or after `from`, or -1. */
  lastIndexOf(needle: Uint8Array, from: number): number {
    outer: for (let start = this.#length - needle.length; start >= from; start--) {
      for (let i = 0; i < needle.length; i++) if (this.#bytes[start + i] !== needle[i]) continue outer;
      return start;
    }
    return -1;
  }

  toText(): string {
    return new TextDecoder().decode(this.#bytes.subarray(0, this.#length));
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed > this.#max) throw new ProviderError('parse', `Response too large to parse (over ${this.#max} bytes of text)`);
    if (needed <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, Math.max(needed, this.#max)));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/** Feed JSON bytes in any slicing; `end()` returns the JSON text with large base64 values swapped for tokens. */
export class JsonSpillScanner {
  readonly #out: ByteBuffer;
  readonly #blobs: BlobTable;
  readonly #threshold: number;
  #inString = false;
  #escapePending = false;
  #contentStart = 0;
  #spill: SpilledString | null = null;

  constructor(blobs: BlobTable, options: SpillOptions = {}) {
    this.#blobs = blobs;
    this.#threshold = options.spillThreshold ?? DEFAULT_SPILL_THRESHOLD;
    this.#out = new ByteBuffer(1024, options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES);
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    let nextQuote = -1;
    let nextBackslash = -1;
    if (this.#escapePending && n > 0) {
      this.#content(chunk.subarray(0, 1));
      this.#escapePending = false;
      i = 1;
    }
    while (i < n) {
      if (!this.#inString) {
        const quote = chunk.indexOf(QUOTE, i);
        if (quote < 0) {
          this.#out.append(chunk.subarray(i));
          return;
        }
        this.#out.append(chunk.subarray(i, quote + 1));
        this.#inString = true;
        this.#contentStart = this.#out.length;
        i = quote + 1;
        continue;
      }
      if (nextQuote < i && nextQuote !== n) nextQuote = indexOr(chunk, QUOTE, i, n);
      if (nextBackslash < i && nextBackslash !== n) nextBackslash = indexOr(chunk, BACKSLASH, i, n);
      if (nextBackslash < nextQuote) {
        if (nextBackslash + 1 >= n) {
          this.#content(chunk.subarray(i));
          this.#escapePending = true;
          return;
        }
        this.#content(chunk.subarray(i, nextBackslash + 2));
        i = nextBackslash + 2;
        continue;
      }
      if (nextQuote === n) {
        this.#content(chunk.subarray(i));
        return;
      }
      this.#content(chunk.subarray(i, nextQuote));
      this.#closeString();
      i = nextQuote + 1;
    }
  }

  /** The remaining JSON text. Also finishes a string left open by a truncated body. */
  end(): string {
    if (this.#spill) {
      this.#spill.end();
      this.#spill = null;
    }
    return this.#out.toText();
  }

  #content(bytes: Uint8Array): void {
    if (this.#spill) {
      this.#spill.write(bytes);
      return;
    }
    this.#out.append(bytes);
    if (this.#out.length - this.#contentStart > this.#threshold) {
      const pending = this.#out.slice(this.#contentStart);
      this.#out.truncate(this.#contentStart);
      this.#spill = new SpilledString(this.#out, this.#blobs, pending);
    }
  }

  #closeString(): void {
    if (this.#spill) {
      this.#spill.end();
      this.#spill = null;
    }
    this.#out.appendByte(QUOTE);
    this.#inString = false;
  }
}

function indexOr(chunk: Uint8Array, byte: number, from: number, fallback: number): number {
  const index = chunk.indexOf(byte, from);
  return index < 0 ? fallback : index;
}

/**
 * The content of one long JSON string (raw, escapes included), written to `out` as JSON text
 * where each base64 run became a token.
 */
class SpilledString {
  readonly #out: ByteBuffer;
  readonly #blobs: BlobTable;
  #decoder: Base64StreamDecoder | null = null;
  #token = '';
  #label: string | undefined;
  #escaped = false;
  #segmentStart: number;

  constructor(out: ByteBuffer, blobs: BlobTable, pending: Uint8Array) {
    this.#out = out;
    this.#blobs = blobs;
    this.#segmentStart = out.length;
    if (startsWithBase64(pending)) this.#startRun(undefined);
    this.write(pending);
  }

  write(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) i = this.#decoder ? this.#writeRun(bytes, i) : this.#writeText(bytes, i);
  }

  end(): void {
    if (this.#decoder) this.#endRun();
  }

  /** Base64 mode: decodes up to the end of the run (or of the bytes); returns where decoding stopped. */
  #writeRun(bytes: Uint8Array, from: number): number {
    const decoder = this.#decoder!;
    let i = from;
    if (this.#escaped) {
      // The byte after a backslash that ended the previous write.
      this.#escaped = false;
      if (!this.#continueAfterEscape(bytes[i]!)) {
        this.#out.appendByte(BACKSLASH);
        this.#escaped = true;
        return i; // the run is over: the escaped byte continues as text
      }
      i++;
    }
    while (i < bytes.length) {
      i += decoder.writeRun(i === 0 ? bytes : bytes.subarray(i));
      if (i >= bytes.length) break;
      if (bytes[i] !== BACKSLASH) {
        this.#endRun();
        return i;
      }
      // JSON escapes inside base64: `\/` is a slash, `\n`/`\r`/`\t` are line wrapping.
      if (i + 1 >= bytes.length) {
        this.#escaped = true;
        return bytes.length;
      }
      if (!this.#continueAfterEscape(bytes[i + 1]!)) {
        this.#endRun();
        return i;
      }
      i += 2;
    }
    return i;
  }

  /** Feeds the escaped character to the decoder when it belongs to base64; false ends the run. */
  #continueAfterEscape(escaped: number): boolean {
    if (escaped === 0x2f) {
      this.#decoder!.writeRun(SLASH);
      return true;
    }
    return escaped === 0x6e || escaped === 0x72 || escaped === 0x74;
  }

  /** Text mode: copies bytes through, watching for a `data:<type>;base64,` prefix. */
  #writeText(bytes: Uint8Array, from: number): number {
    for (let i = from; i < bytes.length; i++) {
      const byte = bytes[i]!;
      this.#out.appendByte(byte);
      if (this.#escaped) {
        this.#escaped = false;
        continue;
      }
      if (byte === BACKSLASH) {
        this.#escaped = true;
        continue;
      }
      if (byte === COMMA && this.#out.endsWith(BASE64_SUFFIX)) {
        const prefixStart = this.#out.lastIndexOf(DATA_PREFIX, Math.max(this.#segmentStart, this.#out.length - 160));
        if (prefixStart >= 0) {
          const label = new TextDecoder()
            .decode(this.#out.slice(prefixStart + DATA_PREFIX.length, this.#out.length - BASE64_SUFFIX.length))
            .replaceAll('\\/', '/');
          this.#out.truncate(prefixStart);
          this.#startRun(label);
          return i + 1;
        }
      }
    }
    return bytes.length;
  }

  #startRun(label: string | undefined): void {
    const id = nextBlobId++;
    this.#token = `${BLOB_TOKEN_PREFIX}${id}`;
    this.#blobs.set(this.#token, { bytes: new Uint8Array(0), label });
    this.#out.append(ENCODER.encode(`\\u0000blob:${id}`));
    this.#decoder = new Base64StreamDecoder();
    this.#label = label;
  }

  #endRun(): void {
    const decoder = this.#decoder!;
    const bytes = decoder.end();
    this.#blobs.set(this.#token, { bytes: decoder.invalid ? new Uint8Array(0) : bytes, label: this.#label });
    this.#decoder = null;
    this.#segmentStart = this.#out.length;
  }
}

const SLASH = Uint8Array.of(0x2f);

/** Tokens are unique across events and bodies, so tables from several SSE events can be merged. */
let nextBlobId = 0;

function startsWithBase64(bytes: Uint8Array): boolean {
  const probe = Math.min(bytes.length, 64);
  for (let i = 0; i < probe; i++) if (BASE64_TABLE[bytes[i]!]! >= 64) return false;
  return probe > 0;
}
