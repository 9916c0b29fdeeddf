// Recipes travel with files. A downloaded image carries what made it (prompt, dialect, model,
// parameters, source hashes) so dropping the file onto Atelier again restores it:
//   PNG        an iTXt chunk "atelier:recipe" holding the recipe as JSON
//   JPEG/WebP  XMP (APP1 segment / "XMP " chunk) with the JSON in <atelier:recipe>, plus the
//              prompt as dc:description so photo tools show it
//   anything   a sidecar "<name>.recipe.json" (what bulk ZIPs and backups use)
// Reading accepts all of these; it never trusts the file beyond the recipe's own shape.

import { isPng, readPngText, withPngText } from './png-text';

export const RECIPE_KEYWORD = 'atelier:recipe';
const XMP_NAMESPACE = 'http://ns.adobe.com/xap/1.0/\0';
const ATELIER_NS = 'https://atelier.app/ns/recipe/1.0/';

export interface Recipe {
  format: 'atelier-recipe';
  version: 1;
  prompt: string;
  dialect: string;
  model: string;
  providerLabel: string;
  params: Record<string, unknown>;
  /** sha256 of each input image, in order. */
  sources: string[];
  width: number;
  height: number;
  createdAt: number;
  sha256: string;
}

/** The fields of an image row a recipe is made from (ImageRecord has them all). */
export interface RecipeSource {
  prompt: string;
  dialect: string;
  model: string;
  providerLabel: string;
  params: object;
  sources: string[];
  width: number;
  height: number;
  createdAt: number;
  sha256: string;
}

export function recipeOf(image: RecipeSource): Recipe {
  return {
    format: 'atelier-recipe',
    version: 1,
    prompt: image.prompt,
    dialect: image.dialect,
    model: image.model,
    providerLabel: image.providerLabel,
    params: { ...image.params },
    sources: [...image.sources],
    width: image.width,
    height: image.height,
    createdAt: image.createdAt,
    sha256: image.sha256
  };
}

/** A recipe from parsed JSON, or null when it is not one (wrong shape, other tool's data). */
export function toRecipe(value: unknown): Recipe | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.format !== 'atelier-recipe' || typeof v.prompt !== 'string') return null;
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return {
    format: 'atelier-recipe',
    version: 1,
    prompt: v.prompt,
    dialect: str(v.dialect),
    model: str(v.model),
    providerLabel: str(v.providerLabel),
    params: typeof v.params === 'object' && v.params !== null && !Array.isArray(v.params) ? (v.params as Record<string, unknown>) : {},
    sources: Array.isArray(v.sources) ? v.sources.filter((s): s is string => typeof s === 'string') : [],
    width: num(v.width),
    height: num(v.height),
    createdAt: num(v.createdAt),
    sha256: str(v.sha256)
  };
}

function parseRecipe(text: string): Recipe | null {
  try {
    return toRecipe(JSON.parse(text));
  } catch {
    return null;
  }
}

// ---- XMP ----------------------------------------------------------------------------------------

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function xmpPacket(recipe: Recipe): string {
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atelier="${ATELIER_NS}">` +
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(recipe.prompt)}</rdf:li></rdf:Alt></dc:description>` +
    `<atelier:recipe>${escapeXml(JSON.stringify(recipe))}</atelier:recipe>` +
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

function recipeFromXmp(xmp: string): Recipe | null {
  const match = /<atelier:recipe>([\s\S]*?)<\/atelier:recipe>/.exec(xmp);
  return match ? parseRecipe(unescapeXml(match[1]!)) : null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// ---- JPEG ---------------------------------------------------------------------------------------

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** Marker segments before the image data: [marker, start, end) of each. */
function* jpegSegments(bytes: Uint8Array): Generator<{ marker: number; start: number; end: number }> {
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
    const marker = bytes[at + 1]!;
    if (marker === 0xda || marker === 0xd9) return; // start of scan / end of image
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    yield { marker, start: at, end: at + 2 + length };
    at += 2 + length;
  }
}

function isXmpSegment(bytes: Uint8Array, segment: { marker: number; start: number }): boolean {
  return segment.marker === 0xe1 && decoder.decode(bytes.subarray(segment.start + 4, segment.start + 4 + XMP_NAMESPACE.length)) === XMP_NAMESPACE;
}

function jpegWithXmp(bytes: Uint8Array, xmp: string): Uint8Array {
  const payload = concat([encoder.encode(XMP_NAMESPACE), encoder.encode(xmp)]);
  if (payload.length + 2 > 0xffff) throw new Error('recipe too large for one XMP segment');
  const segment = new Uint8Array(4 + payload.length);
  segment.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  segment.set(payload, 4);
  // After SOI and JFIF/EXIF headers (readers expect APP0/APP1 EXIF first), dropping an older XMP.
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  let rest = 2;
  let inserted = false;
  for (const seg of jpegSegments(bytes)) {
    const isHeader = seg.marker === 0xe0 || (seg.marker === 0xe1 && !isXmpSegment(bytes, seg));
    if (!isHeader && !inserted) {
      parts.push(segment);
      inserted = true;
    }
    if (!isXmpSegment(bytes, seg)) parts.push(bytes.subarray(seg.start, seg.end));
    rest = seg.end;
  }
  if (!inserted) parts.push(segment);
  parts.push(bytes.subarray(rest));
  return concat(parts);
}

function jpegXmp(bytes: Uint8Array): string | null {
  for (const seg of jpegSegments(bytes)) {
    if (isXmpSegment(bytes, seg)) return decoder.decode(bytes.subarray(seg.start + 4 + XMP_NAMESPACE.length, seg.end));
  }
  return null;
}

// ---- WebP ---------------------------------------------------------------------------------------

function isWebp(bytes: Uint8Array): boolean {
  return decoder.decode(bytes.subarray(0, 4)) === 'RIFF' && decoder.decode(bytes.subarray(8, 12)) === 'WEBP';
}

function* riffChunks(bytes: Uint8Array): Generator<{ type: string; start: number; dataStart: number; size: number; end: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    const end = Math.min(bytes.length, at + 8 + size + (size & 1));
    yield { type: decoder.decode(bytes.subarray(at, at + 4)), start: at, dataStart: at + 8, size, end };
    at = end;
  }
}

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(encoder.encode(type));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** Canvas size and alpha of a simple (VP8 or VP8L) WebP, needed to write its VP8X header. */
function simpleWebpInfo(bytes: Uint8Array, chunk: { type: string; dataStart: number }): { width: number; height: number; alpha: boolean } | null {
  const d = chunk.dataStart;
  if (chunk.type === 'VP8L' && bytes[d] === 0x2f) {
    const bits = bytes[d + 1]! | (bytes[d + 2]! << 8) | (bytes[d + 3]! << 16) | (bytes[d + 4]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  if (chunk.type === 'VP8 ') {
    return { width: (bytes[d + 6]! | (bytes[d + 7]! << 8)) & 0x3fff, height: (bytes[d + 8]! | (bytes[d + 9]! << 8)) & 0x3fff, alpha: false };
  }
  return null;
}

function webpWithXmp(bytes: Uint8Array, xmp: string): Uint8Array {
  const list = [...riffChunks(bytes)];
  const kept = list.filter((c) => c.type !== 'XMP ');
  const parts: Uint8Array[] = [];
  const vp8x = kept.find((c) => c.type === 'VP8X');
  if (vp8x) {
    for (const c of kept) {
      const whole = bytes.slice(c.start, c.end);
      if (c === vp8x) whole[8] = whole[8]! | 0x04; // XMP present
      parts.push(whole);
    }
  } else {
    const image = kept[0];
    const info = image ? simpleWebpInfo(bytes, image) : null;
    if (!info) throw new Error('unrecognised WebP');
    const header = new Uint8Array(10);
    header[0] = 0x04 | (info.alpha ? 0x10 : 0);
    const w = info.width - 1;
    const h = info.height - 1;
    header.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 4);
    parts.push(riffChunk('VP8X', header));
    for (const c of kept) parts.push(bytes.subarray(c.start, c.end));
  }
  parts.push(riffChunk('XMP ', encoder.encode(xmp)));
  const body = concat(parts);
  const out = new Uint8Array(12 + body.length);
  out.set(encoder.encode('RIFF'));
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(encoder.encode('WEBP'), 8);
  out.set(body, 12);
  return out;
}

function webpXmp(bytes: Uint8Array): string | null {
  for (const c of riffChunks(bytes)) if (c.type === 'XMP ') return decoder.decode(bytes.subarray(c.dataStart, c.dataStart + c.size));
  return null;
}

// ---- Entry points -------------------------------------------------------------------------------

/**
 * A copy of an image with its recipe embedded, or null for a format that cannot carry one (then
 * offer a sidecar, see sidecarName()).
 */
export async function embedRecipe(image: Blob, recipe: Recipe): Promise<Blob | null> {
  const bytes = new Uint8Array(await image.arrayBuffer());
  if (isPng(bytes)) return new Blob([withPngText(bytes, RECIPE_KEYWORD, JSON.stringify(recipe)) as BlobPart], { type: 'image/png' });
  if (isJpeg(bytes)) return new Blob([jpegWithXmp(bytes, xmpPacket(recipe)) as BlobPart], { type: 'image/jpeg' });
  if (isWebp(bytes)) return new Blob([webpWithXmp(bytes, xmpPacket(recipe)) as BlobPart], { type: 'image/webp' });
  return null;
}

/** "poster.webp" -> "poster.recipe.json". */
export function sidecarName(fileName: string): string {
  return `${fileName.replace(/\.[^./]+$/, '')}.recipe.json`;
}

/** The recipe a dropped file carries (PNG text chunk, XMP, or a sidecar JSON file), or null. */
export async function readRecipe(file: Blob): Promise<Recipe | null> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isPng(bytes)) {
    const chunk = (await readPngText(bytes)).find((c) => c.keyword === RECIPE_KEYWORD);
    return chunk ? parseRecipe(chunk.text) : null;
  }
  if (isJpeg(bytes)) {
    const xmp = jpegXmp(bytes);
    return xmp ? recipeFromXmp(xmp) : null;
  }
  if (isWebp(bytes)) {
    const xmp = webpXmp(bytes);
    return xmp ? recipeFromXmp(xmp) : null;
  }
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  return first === 0x7b /* { */ ? parseRecipe(decoder.decode(bytes)) : null;
}
