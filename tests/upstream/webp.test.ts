import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPixels } from './images.ts';
import { encodeWebpLossless } from './webp.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('encodeWebpLossless', () => {
  it('writes a RIFF/WEBP container with a VP8L chunk carrying the dimensions', () => {
    const pixels = renderPixels({ prompt: 'header', index: 0, width: 300, height: 7, format: 'webp' });
    const sut = encodeWebpLossless(pixels, 300, 7);

    expect(sut.toString('latin1', 0, 4)).toBe('RIFF');
    expect(sut.readUInt32LE(4)).toBe(sut.length - 8);
    expect(sut.toString('latin1', 8, 16)).toBe('WEBPVP8L');
    expect(sut.length % 2).toBe(0);
    expect(sut[20]).toBe(0x2f);
    const bits = sut.readUInt32LE(21);
    expect((bits & 0x3fff) + 1).toBe(300);
    expect(((bits >>> 14) & 0x3fff) + 1).toBe(7);
  });

  it('rejects sizes VP8L cannot hold', () => {
    expect(() => encodeWebpLossless(new Uint8Array(4), 0, 1)).toThrow(RangeError);
    expect(() => encodeWebpLossless(new Uint8Array(4), 2, 1)).toThrow(RangeError);
  });

  it.skipIf(!existsSync(CHROMIUM))('decodes in Chromium to exactly the encoded pixels, opaque and transparent', { timeout: 30_000 }, async () => {
    const { chromium } = await import('@playwright/test');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      for (const transparent of [false, true]) {
        const width = 37;
        const height = 23;
        const pixels = renderPixels({ prompt: 'chromium', index: 1, width, height, format: 'webp', transparent });
        const src = `data:image/webp;base64,${encodeWebpLossless(pixels, width, height).toString('base64')}`;
        const decoded = await page.evaluate(async (url) => {
          const image = new Image();
          image.src = url;
          await image.decode();
          const canvas = new OffscreenCanvas(image.naturalWidth, image.naturalHeight);
          const context = canvas.getContext('2d')!;
          context.drawImage(image, 0, 0);
          return { width: image.naturalWidth, height: image.naturalHeight, data: Array.from(context.getImageData(0, 0, image.naturalWidth, image.naturalHeight).data) };
        }, src);
        expect({ width: decoded.width, height: decoded.height }).toEqual({ width, height });
        // Canvas stores premultiplied alpha, so compare colour only where a pixel is opaque.
        for (let i = 0; i < pixels.length; i += 4) {
          expect(decoded.data[i + 3]).toBe(pixels[i + 3]);
          if (pixels[i + 3] === 255) expect(decoded.data.slice(i, i + 3)).toEqual(Array.from(pixels.slice(i, i + 3)));
        }
      }
    } finally {
      await browser.close();
    }
  });
});
