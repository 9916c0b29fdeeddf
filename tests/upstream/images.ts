// Synthetic but real images: decodable PNG / JPEG / WebP files whose pixels are a pure function of
// the prompt, the image index and the stage, so tests can tell images apart and compare them.
import { createHash } from 'node:crypto';
import jpeg from 'jpeg-js';
import { encodePng } from './png.ts';
import { encodeWebpLossless } from './webp.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const MIME_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp'
};

export const FILE_EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpeg', webp: 'webp' };

export interface Dimensions {
  width: number;
  height: number;
}

export interface ImageSpec extends Dimensions {
  prompt: string;
  /** Position of the image within one answer (0-based); different index, different picture. */
  index: number;
  format: ImageFormat;
  /** Transparent background (PNG and WebP keep alpha; JPEG cannot). */
  transparent?: boolean;
  /** Per-pixel noise so the file cannot compress: for benchmarks that need tens of MB. */
  noise?: boolean;
  /** Partial-image stage (0 = coarsest preview); undefined for the final image. */
  partialStage?: number;
}

export const DEFAULT_DIMENSIONS: Dimensions = { width: 1024, height: 1024 };

/** Above this many pixels the requested size is scaled down so tests stay fast (Gemini 4K fits). */
export const MAX_PIXELS = 17_100_000;
const MAX_SIDE = 8192;

/** The benchmark size that `[big]` asks for: a noisy PNG of about 28 MB (37 MB as base64). */
export const BIG_DIMENSIONS: Dimensions = { width: 3072, height: 3072 };

export function clampDimensions({ width, height }: Dimensions): Dimensions {
  let w = Math.max(1, Math.min(MAX_SIDE, Math.round(width)));
  let h = Math.max(1, Math.min(MAX_SIDE, Math.round(height)));
  if (w * h > MAX_PIXELS) {
    const scale = Math.sqrt(MAX_PIXELS / (w * h));
    w = Math.max(1, Math.floor(w * scale));
    h = Math.max(1, Math.floor(h * scale));
  }
  return { width: w, height: h };
}

/** Parses "WxH" (also "W*H", as some Chinese gateways write it); anything else gives undefined. */
export function parseSize(size: unknown): Dimensions | undefined {
  if (typeof size !== 'string') return undefined;
  const match = /^\s*(\d{1,5})\s*[x*×]\s*(\d{1,5})\s*$/i.exec(size);
  if (!match) return undefined;
  return clampDimensions({ width: Number(match[1]), height: Number(match[2]) });
}

/** Parses "16:9" into width/height ratio. */
export function parseAspectRatio(ratio: unknown): number | undefined {
  if (typeof ratio !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(ratio);
  if (!match) return undefined;
  const value = Number(match[1]) / Number(match[2]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Dimensions with about `side`² pixels at the given ratio, rounded to multiples of 16. */
export function dimensionsForRatio(ratio: number, side: number): Dimensions {
  const width = Math.round((side * Math.sqrt(ratio)) / 16) * 16;
  const height = Math.round(side / Math.sqrt(ratio) / 16) * 16;
  return clampDimensions({ width, height });
}

export function formatSize({ width, height }: Dimensions): string {
  return `${width}x${height}`;
}

// ---- pixels ---------------------------------------------------------------------------------

function seedOf(spec: ImageSpec): Buffer {
  return createHash('sha256').update(`${spec.prompt}\u0000${spec.index}`).digest();
}

function colour(seed: Buffer, offset: number): [number, number, number] {
  return [seed[offset] ?? 0, seed[offset + 1] ?? 0, seed[offset + 2] ?? 0];
}

/** RGBA pixels: a diagonal two-colour gradient crossed by stripes, all derived from the seed. */
export function renderPixels(spec: ImageSpec): Uint8Array {
  const { width, height } = spec;
  const seed = seedOf(spec);
  const from = colour(seed, 0);
  const to = colour(seed, 3);
  const stripe = colour(seed, 6);
  const angle = ((seed[9] ?? 0) / 256) * Math.PI;
  const period = 24 + ((seed[10] ?? 0) % 72);
  const stripeWidth = Math.max(4, Math.floor(period / (2 + ((seed[11] ?? 0) % 3))));
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Partial images are blocky previews of the final one, getting finer with each stage.
  const block = spec.partialStage === undefined ? 1 : Math.max(2, 64 >> spec.partialStage);
  const alpha = spec.transparent ? 0 : 255;
  let noiseState = seed.readUInt32LE(12) || 1;

  // Clamped, so noise saturates at black/white instead of wrapping around.
  const pixels = new Uint8ClampedArray(width * height * 4);
  const diagonal = width + height;
  const [fromR, fromG, fromB] = from;
  const [spanR, spanG, spanB] = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  let at = 0;
  for (let y = 0; y < height; y++) {
    const by = y - (y % block);
    const rowAlong = by * sin + period * 1024; // offset keeps `along` positive, so one % suffices
    for (let x = 0; x < width; x++, at += 4) {
      const bx = block === 1 ? x : x - (x % block);
      const inStripe = (bx * cos + rowAlong) % period < stripeWidth;
      const t = (bx + by) / diagonal;
      let r = inStripe ? stripe[0] : fromR + spanR * t;
      let g = inStripe ? stripe[1] : fromG + spanG * t;
      let b = inStripe ? stripe[2] : fromB + spanB * t;
      if (spec.noise) {
        // xorshift32: cheap and deterministic
        noiseState ^= noiseState << 13;
        noiseState ^= noiseState >>> 17;
        noiseState ^= noiseState << 5;
        r += (noiseState & 0x3f) - 32;
        g += ((noiseState >>> 8) & 0x3f) - 32;
        b += ((noiseState >>> 16) & 0x3f) - 32;
      }
      pixels[at] = r;
      pixels[at + 1] = g;
      pixels[at + 2] = b;
      // A transparent background keeps the stripes opaque, like a cut-out subject.
      pixels[at + 3] = inStripe ? 255 : alpha;
    }
  }
  return new Uint8Array(pixels.buffer);
}

// ---- encoding -------------------------------------------------------------------------------

function encode(pixels: Uint8Array, spec: ImageSpec): Buffer {
  switch (spec.format) {
    case 'png':
      // Noise does not compress: storing it is as small and much faster.
      return encodePng(pixels, spec.width, spec.height, { keepAlpha: !!spec.transparent, level: spec.noise ? 0 : 1 });
    case 'jpeg':
      return jpeg.encode({ data: pixels, width: spec.width, height: spec.height }, 85).data;
    case 'webp':
      return encodeWebpLossless(pixels, spec.width, spec.height);
  }
}

// Encoded files by spec, evicted oldest-first past a byte budget so benchmarks can repeat big
// requests without re-encoding and without holding unbounded memory.
const CACHE_BUDGET_BYTES = 512 * 1024 * 1024;
const cache = new Map<string, Buffer>();
let cachedBytes = 0;

function cacheKey(spec: ImageSpec): string {
  return JSON.stringify([spec.prompt, spec.width, spec.height, spec.index, spec.format, !!spec.transparent, !!spec.noise, spec.partialStage ?? -1]);
}

/** The encoded image for `spec`, from the cache when it was made before. */
export function renderImage(spec: ImageSpec): Buffer {
  const key = cacheKey(spec);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const file = encode(renderPixels(spec), spec);
  cache.set(key, file);
  cachedBytes += file.length;
  for (const [oldKey, oldFile] of cache) {
    if (cachedBytes <= CACHE_BUDGET_BYTES || oldKey === key) break;
    cache.delete(oldKey);
    cachedBytes -= oldFile.length;
  }
  return file;
}

/** Detects the real format of an encoded image by its magic bytes. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}
