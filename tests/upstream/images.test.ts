import { describe, expect, it } from 'vitest';
import { geminiDimensions } from './flavors/gemini-sizes.ts';
import { goJson } from './go-json.ts';
import { clampDimensions, MAX_PIXELS, parseSize, renderImage, sniffFormat } from './images.ts';
import { KnobError, resolveKnobs } from './knobs.ts';
import { decodeImage } from './test-support.ts';

describe('renderImage', () => {
  it('draws decodable PNG and JPEG files of the requested size', () => {
    const png = decodeImage(renderImage({ prompt: 'a fox', index: 0, width: 120, height: 80, format: 'png' }));
    const jpeg = decodeImage(renderImage({ prompt: 'a fox', index: 0, width: 64, height: 48, format: 'jpeg' }));

    expect(png).toMatchObject({ format: 'png', width: 120, height: 80 });
    expect(jpeg).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    expect(sniffFormat(renderImage({ prompt: 'a fox', index: 0, width: 8, height: 8, format: 'webp' }))).toBe('webp');
  });

  it('makes pixels depend on prompt and index, and repeats itself exactly', () => {
    const spec = { prompt: 'a fox', index: 0, width: 64, height: 64, format: 'png' as const };
    const sut = renderImage(spec);

    expect(renderImage({ ...spec }).equals(sut)).toBe(true);
    expect(decodeImage(renderImage({ ...spec, index: 1 })).data).not.toEqual(decodeImage(sut).data);
    expect(decodeImage(renderImage({ ...spec, prompt: 'a wolf' })).data).not.toEqual(decodeImage(sut).data);
  });

  it('keeps alpha for transparent backgrounds', () => {
    const sut = decodeImage(renderImage({ prompt: 'cut-out', index: 0, width: 32, height: 32, format: 'png', transparent: true }));

    expect(Array.from(sut.data.filter((_, i) => i % 4 === 3))).toContain(0);
  });
});

describe('sizes', () => {
  it('parses WxH and caps the pixel count', () => {
    expect(parseSize('1536x1024')).toEqual({ width: 1536, height: 1024 });
    expect(parseSize('auto')).toBeUndefined();
    const capped = clampDimensions({ width: 8192, height: 8192 });
    expect(capped.width * capped.height).toBeLessThanOrEqual(MAX_PIXELS);
    expect(capped.width).toBe(capped.height);
  });
});

describe('geminiDimensions', () => {
  it('follows the per-model tables: imageSize scales Gemini 3 models, 2.5 Flash Image ignores it', () => {
    expect(geminiDimensions('gemini-3-pro-image-preview', '21:9', '2K')).toEqual({ width: 3168, height: 1344 });
    expect(geminiDimensions('gemini-3-pro-image-preview', '16:9', '4K')).toEqual({ width: 5504, height: 3072 });
    expect(geminiDimensions('gemini-2.5-flash-image', '16:9', '4K')).toEqual({ width: 1344, height: 768 });
    expect(geminiDimensions('gemini-3.1-flash-image-preview', '1:4', '1K')).toEqual({ width: 512, height: 2048 });
    expect(() => geminiDimensions('gemini-3-pro-image-preview', '1:1', '8K')).toThrow();
  });
});

describe('resolveKnobs', () => {
  const serverWide = { fault: null, latencyMs: 5, paceMs: 0 };

  it('lets prompt markers win over headers, and headers over server-wide knobs', () => {
    const sut = resolveKnobs(serverWide, { 'x-upstream-fault': '500', 'x-upstream-pace': '30' }, 'a cat [fault:429] [latency:200]');

    expect(sut).toEqual({ fault: '429', latencyMs: 200, paceMs: 30 });
  });

  it('refuses unknown faults loudly', () => {
    expect(() => resolveKnobs(serverWide, {}, '[fault:teapot]')).toThrow(KnobError);
    expect(() => resolveKnobs(serverWide, { 'x-upstream-latency': '-1' }, '')).toThrow(KnobError);
  });
});

describe('goJson', () => {
  it('sorts keys and escapes <, > and & as Go does', () => {
    expect(goJson({ b: 1, a: { d: '<img> & co', c: [{ z: 1, y: 2 }] } })).toBe('{"a":{"c":[{"y":2,"z":1}],"d":"\\u003cimg\\u003e \\u0026 co"},"b":1}');
  });
});
