// A minimal lossless WebP (VP8L) encoder: no transforms, no colour cache, and fixed 8-bit prefix
// codes, so every channel byte is stored as itself. The files are as large as raw RGB(A), which is
// fine for a test upstream: what matters is that real decoders (Chromium, libwebp) accept them.
// Bitstream reference: "WebP Lossless Bitstream Specification" (RFC 9649).

const MAX_DIMENSION = 16384;

// Order in which the code-length code lengths are stored (RFC 9649, section 3.7.2.1.2).
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** Bit writer that packs least-significant bit first, as VP8L requires. */
class BitWriter {
  #bytes: Buffer;
  #length = 0;
  #accumulator = 0;
  #bitCount = 0;

  constructor(capacity: number) {
    this.#bytes = Buffer.alloc(capacity);
  }

  /** Writes the low `count` bits of `value` (count <= 24). */
  write(value: number, count: number): void {
    this.#accumulator |= value << this.#bitCount;
    this.#bitCount += count;
    while (this.#bitCount >= 8) {
      this.#push(this.#accumulator & 0xff);
      this.#accumulator >>>= 8;
      this.#bitCount -= 8;
    }
  }

  finish(): Buffer {
    if (this.#bitCount > 0) this.#push(this.#accumulator & 0xff);
    this.#accumulator = 0;
    this.#bitCount = 0;
    return this.#bytes.subarray(0, this.#length);
  }

  #push(byte: number): void {
    if (this.#length === this.#bytes.length) {
      const grown = Buffer.alloc(this.#bytes.length * 2 + 64);
      this.#bytes.copy(grown);
      this.#bytes = grown;
    }
    this.#bytes[this.#length++] = byte;
  }
}

// Prefix codes are read most-significant bit first from an LSB-first stream, so an 8-bit
// canonical code is written bit-reversed.
const REVERSED_BYTE = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let reversed = 0;
  for (let bit = 0; bit < 8; bit++) if (i & (1 << bit)) reversed |= 1 << (7 - bit);
  REVERSED_BYTE[i] = reversed;
}

/**
 * A "normal" prefix code where symbols 0..255 all have length 8 and any symbols above 255 have
 * length 0. The code lengths are themselves coded with a two-symbol code-length code
 * ({0, 8}, one bit each), so symbol s has canonical code s.
 */
function writeFlatByteCode(bits: BitWriter, alphabetSize: number): void {
  bits.write(0, 1); // normal (not simple) code
  const codeLengthCount = CODE_LENGTH_ORDER.indexOf(8) + 1;
  bits.write(codeLengthCount - 4, 4);
  for (let i = 0; i < codeLengthCount; i++) {
    const symbol = CODE_LENGTH_ORDER[i];
    bits.write(symbol === 0 || symbol === 8 ? 1 : 0, 3);
  }
  bits.write(0, 1); // max_symbol not given: one length per symbol of the alphabet
  // Canonical code-length code: symbol 0 -> bit 0, symbol 8 -> bit 1.
  for (let symbol = 0; symbol < alphabetSize; symbol++) bits.write(symbol < 256 ? 1 : 0, 1);
}

/** A "simple" prefix code with one symbol, which then costs zero bits per pixel. */
function writeSingleSymbolCode(bits: BitWriter, symbol: number): void {
  bits.write(1, 1); // simple code
  bits.write(0, 1); // one symbol
  if (symbol < 2) {
    bits.write(0, 1); // symbol stored in 1 bit
    bits.write(symbol, 1);
  } else {
    bits.write(1, 1); // symbol stored in 8 bits
    bits.write(symbol, 8);
  }
}

/** Encodes RGBA pixels (4 bytes per pixel, row-major) as a lossless WebP file. */
export function encodeWebpLossless(rgba: Uint8Array, width: number, height: number): Buffer {
  if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new RangeError(`WebP dimensions must be 1..${MAX_DIMENSION}, got ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) throw new RangeError('RGBA buffer does not match the dimensions');

  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }

  const bits = new BitWriter(width * height * (opaque ? 3 : 4) + 256);
  bits.write(0x2f, 8); // VP8L signature
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(opaque ? 0 : 1, 1); // alpha_is_used (a hint)
  bits.write(0, 3); // version
  bits.write(0, 1); // no transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes: one group of five codes for the whole image

  writeFlatByteCode(bits, 256 + 24); // green + backward-reference length prefixes
  writeFlatByteCode(bits, 256); // red
  writeFlatByteCode(bits, 256); // blue
  if (opaque) writeSingleSymbolCode(bits, 255);
  else writeFlatByteCode(bits, 256); // alpha
  writeSingleSymbolCode(bits, 0); // distance (never used: no backward references)

  for (let i = 0; i < rgba.length; i += 4) {
    const green = REVERSED_BYTE[rgba[i + 1]!]!;
    const red = REVERSED_BYTE[rgba[i]!]!;
    const blue = REVERSED_BYTE[rgba[i + 2]!]!;
    bits.write(green | (red << 8) | (blue << 16), 24);
    if (!opaque) bits.write(REVERSED_BYTE[rgba[i + 3]!]!, 8);
  }
  const payload = bits.finish();

  const padding = payload.length % 2;
  const file = Buffer.alloc(20 + payload.length + padding);
  file.write('RIFF', 0, 'ascii');
  file.writeUInt32LE(file.length - 8, 4);
  file.write('WEBP', 8, 'ascii');
  file.write('VP8L', 12, 'ascii');
  file.writeUInt32LE(payload.length, 16);
  payload.copy(file, 20);
  return file;
}
