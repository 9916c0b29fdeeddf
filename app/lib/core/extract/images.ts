// Turning the strings upstreams put images in (bare base64, data URLs, URLs, spilled-blob tokens, markdown)
// into verified images. Nothing is an image until its bytes say so.

import { decodeBase64 } from './base64';
import { imageInfo } from './sniff';
import { BLOB_TOKEN_PREFIX, type BlobTable } from './spill';
import type { ImageResult } from '../types';

export type ImageSource = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'url'; url: string };

export interface ImageMeta {
  index: number;
  id?: string;
  revisedPrompt?: string;
  thoughtSignature?: string;
}

const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*?);base64,/i;
const BASE64_ONLY = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * What an image field holds: bytes (from base64, a data URL or a spilled token) or an http(s) URL.
 * Null for `""`, the literal `"error"` padding of grok2api, and anything else that is not an image source.
 */
export function resolveImageSource(value: unknown, blobs?: BlobTable): ImageSource | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length === 0 || text.toLowerCase() === 'error') return null;
  if (text.startsWith(BLOB_TOKEN_PREFIX)) {
    const blob = blobs?.get(text);
    return blob && blob.bytes.length > 0 ? { kind: 'bytes', bytes: blob.bytes } : null;
  }
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) {
    const bytes = decodeBase64(text.slice(dataUrl[0].length));
    return bytes && bytes.length > 0 ? { kind: 'bytes', bytes } : null;
  }
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text };
  if (text.length >= 16 && BASE64_ONLY.test(text.replace(/\s+/g, ''))) {
    const bytes = decodeBase64(text);
    return bytes && bytes.length > 0 ? { kind: 'bytes', bytes } : null;
  }
  return null;
}

/** An ImageResult when the bytes are a real image (magic bytes and a readable header); otherwise null. */
export function toImageResult(bytes: Uint8Array, meta: ImageMeta): ImageResult | null {
  const info = imageInfo(bytes);
  if (!info) return null;
  const result: ImageResult = { bytes, mime: info.mime, width: info.width, height: info.height, index: meta.index };
  if (meta.id) result.id = meta.id;
  if (meta.revisedPrompt) result.revisedPrompt = meta.revisedPrompt;
  if (meta.thoughtSignature) result.thoughtSignature = meta.thoughtSignature;
  return result;
}

// `![alt](target "title")`; a nested `[![t](thumb)](link)` matches its inner image.
const MARKDOWN_IMAGE = /!\[[^\]\n]*\]\(\s*<?([^\s)>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;

/** Image targets of markdown images in text, in order, without duplicates. */
export function markdownImageTargets(text: string): string[] {
  const targets: string[] = [];
  for (const match of text.matchAll(MARKDOWN_IMAGE)) {
    const target = match[1]!;
    if (!targets.includes(target)) targets.push(target);
  }
  return targets;
}

/** Text with markdown images removed, for showing the words that came with them. */
export function withoutMarkdownImages(text: string): string {
  return text
    .replace(/\[(!\[[^\]\n]*\]\([^)]*\))\]\([^)]*\)/g, '$1')
    .replace(MARKDOWN_IMAGE, '')
    .trim();
}
