import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { gifBytes, pngBytes, webpBytes } from '../testing/images';
import { extensionFor, imageInfo, sniffMime } from './sniff';

function jpegBytes(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4, 0x80);
  return new Uint8Array(jpeg.encode({ data, width, height }, 80).data);
}

function avifHeader(width: number, height: number): Uint8Array {
  const ftyp = [0, 0, 0, 24, ...'ftypavif'.split('').map((c) => c.charCodeAt(0)), 0, 0, 0, 0, ...'mif1miaf'.split('').map((c) => c.charCodeAt(0))];
  const ispe = [0, 0, 0, 20, ...'ispe'.split('').map((c) => c.charCodeAt(0)), 0, 0, 0, 0, 0, 0, width >> 8, width & 0xff, 0, 0, height >> 8, height & 0xff];
  return Uint8Array.from([...ftyp, ...ispe]);
}

describe('image sniffing', () => {
  it.each([
    ['png', pngBytes(7, 5), 'image/png', 7, 5],
    ['jpeg', jpegBytes(9, 4), 'image/jpeg', 9, 4],
    ['gif', gifBytes(3, 2), 'image/gif', 3, 2],
    ['webp (VP8L)', webpBytes(640, 480), 'image/webp', 640, 480],
    ['avif', avifHeader(300, 200), 'image/avif', 300, 200]
  ])('reads type and size of %s from the bytes', (_name, bytes, mime, width, height) => {
    expect(imageInfo(bytes)).toEqual({ mime, width, height });
  });

  it('ignores what the data claims and rejects non-images', () => {
    expect(sniffMime(new TextEncoder().encode('<html>502 Bad Gateway</html>'))).toBeNull();
    expect(imageInfo(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull(); // PNG magic, no header
    expect(imageInfo(new Uint8Array(0))).toBeNull();
  });

  it('names files by what the bytes are', () => {
    expect(extensionFor('image/jpeg')).toBe('jpg');
    expect(extensionFor('image/webp')).toBe('webp');
  });
});
