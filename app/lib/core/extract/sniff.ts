// Image type and size from the bytes themselves: labels (mimeType, output_format, data-URL types) are often wrong.

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif' | 'image/avif';

export interface ImageInfo {
  mime: ImageMime;
  width: number;
  height: number;
}

const EXTENSIONS: Record<ImageMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif'
};

export function extensionFor(mime: ImageMime): string {
  return EXTENSIONS[mime];
}

function ascii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u24le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
}
function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** The type announced by the magic bytes, or null. */
export function sniffMime(bytes: Uint8Array): ImageMime | null {
  if (bytes.length >= 8 && ascii(bytes, 1, 'PNG') && bytes[0] === 0x89 && bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif';
  if (ascii(bytes, 4, 'ftyp') && isAvifBrand(bytes)) return 'image/avif';
  return null;
}

function isAvifBrand(bytes: Uint8Array): boolean {
  const boxSize = Math.min(u32be(bytes, 0), bytes.length, 256);
  for (let o = 8; o + 4 <= boxSize; o += 4) {
    if (o === 12) continue; // minor version, not a brand
    if (ascii(bytes, o, 'avif') || ascii(bytes, o, 'avis')) return true;
  }
  return false;
}

/** Type, width and height when the bytes start like a real image with a readable header; otherwise null. */
export function imageInfo(bytes: Uint8Array): ImageInfo | null {
  const mime = sniffMime(bytes);
  if (!mime) return null;
  const size = dimensions(mime, bytes);
  if (!size || size.width <= 0 || size.height <= 0) return null;
  return { mime, ...size };
}

function dimensions(mime: ImageMime, b: Uint8Array): { width: number; height: number } | null {
  switch (mime) {
    case 'image/png':
      return b.length >= 24 && ascii(b, 12, 'IHDR') ? { width: u32be(b, 16), height: u32be(b, 20) } : null;
    case 'image/gif':
      return b.length >= 10 ? { width: u16le(b, 6), height: u16le(b, 8) } : null;
    case 'image/webp':
      return webpDimensions(b);
    case 'image/jpeg':
      return jpegDimensions(b);
    case 'image/avif':
      return avifDimensions(b);
  }
}

function webpDimensions(b: Uint8Array): { width: number; height: number } | null {
  if (ascii(b, 12, 'VP8 ') && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (ascii(b, 12, 'VP8L') && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(b, 12, 'VP8X') && b.length >= 30) {
    return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  }
  return null;
}

function jpegDimensions(b: Uint8Array): { width: number; height: number } | null {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1]!;
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2; // markers without a length
      continue;
    }
    const length = u16be(b, o + 2);
    if (length < 2) return null;
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      return o + 9 <= b.length ? { height: u16be(b, o + 5), width: u16be(b, o + 7) } : null;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame header
    o += 2 + length;
  }
  return null;
}

function avifDimensions(b: Uint8Array): { width: number; height: number } | null {
  const limit = Math.min(b.length - 16, 1 << 16);
  for (let o = 4; o <= limit; o++) {
    if (b[o] === 0x69 && ascii(b, o, 'ispe')) return { width: u32be(b, o + 8), height: u32be(b, o + 12) };
  }
  return null;
}
