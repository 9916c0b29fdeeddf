import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { readPngText, withPngText } from './png-text';
import { embedRecipe, readRecipe, recipeOf, sidecarName, toRecipe, type Recipe } from './recipe';

function pngBytes(): Uint8Array {
  const png = new PNG({ width: 4, height: 3 });
  png.data.fill(200);
  return new Uint8Array(PNG.sync.write(png));
}

function jpegBytes(): Uint8Array {
  const data = Buffer.alloc(8 * 8 * 4, 128);
  return new Uint8Array(jpeg.encode({ data, width: 8, height: 8 }, 80).data);
}

/** A lossless WebP's container and header (the pixel stream is not decoded here). */
function webpBytes(width: number, height: number, alpha: boolean): Uint8Array {
  const vp8l = new Uint8Array(6);
  vp8l[0] = 0x2f;
  const bits = (width - 1) | ((height - 1) << 14) | ((alpha ? 1 : 0) << 28);
  new DataView(vp8l.buffer).setUint32(1, bits >>> 0, true);
  const out = new Uint8Array(12 + 8 + vp8l.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('RIFF'));
  view.setUint32(4, out.length - 8, true);
  out.set(new TextEncoder().encode('WEBPVP8L'), 8);
  view.setUint32(16, vp8l.length, true);
  out.set(vp8l, 20);
  return out;
}

const recipe: Recipe = recipeOf({
  prompt: '一只橘猫坐在灯塔上 <sunset> & "neon"',
  dialect: 'openai-images',
  model: 'gpt-image-1',
  providerLabel: 'OpenAI',
  params: { model: 'gpt-image-1', size: '1024x1024', quality: 'high' },
  sources: ['ab'.repeat(32)],
  width: 1024,
  height: 1024,
  createdAt: 1_800_000_000_000,
  sha256: 'cd'.repeat(32)
});

describe('PNG text chunks', () => {
  it('adds an iTXt chunk the PNG decoder still accepts, replacing one with the same keyword', async () => {
    const once = withPngText(pngBytes(), 'atelier:recipe', '第一');
    const twice = withPngText(once, 'atelier:recipe', '第二');
    expect(PNG.sync.read(Buffer.from(twice)).width).toBe(4);
    expect(await readPngText(twice)).toEqual([{ keyword: 'atelier:recipe', text: '第二' }]);
  });
});

describe('recipes in files', () => {
  it('round-trips through a PNG', async () => {
    const embedded = await embedRecipe(new Blob([pngBytes() as BlobPart]), recipe);
    expect(embedded!.type).toBe('image/png');
    expect(await readRecipe(embedded!)).toEqual(recipe);
  });

  it('round-trips through JPEG XMP, and the JPEG still decodes', async () => {
    const embedded = await embedRecipe(new Blob([jpegBytes() as BlobPart]), recipe);
    const bytes = new Uint8Array(await embedded!.arrayBuffer());
    expect(jpeg.decode(bytes).width).toBe(8);
    expect(await readRecipe(embedded!)).toEqual(recipe);
  });

  it('round-trips through WebP XMP, adding a VP8X header with the canvas size and alpha flag', async () => {
    const embedded = await embedRecipe(new Blob([webpBytes(300, 200, true) as BlobPart]), recipe);
    const bytes = new Uint8Array(await embedded!.arrayBuffer());
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text.slice(12, 16)).toBe('VP8X');
    expect(bytes[20]).toBe(0x14); // XMP + alpha
    expect(bytes[24]! | (bytes[25]! << 8)).toBe(299);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(bytes.length - 8);
    expect(await readRecipe(embedded!)).toEqual(recipe);
    // Embedding again replaces the XMP instead of adding a second one.
    const again = new Uint8Array(await (await embedRecipe(embedded!, { ...recipe, prompt: 'again' }))!.arrayBuffer());
    expect(new TextDecoder('latin1').decode(again).split('XMP ').length).toBe(2);
    expect((await readRecipe(new Blob([again as BlobPart])))!.prompt).toBe('again');
  });

  it('reads a sidecar JSON and ignores files without a recipe', async () => {
    expect(sidecarName('poster.final.webp')).toBe('poster.final.recipe.json');
    expect(await readRecipe(new Blob([JSON.stringify(recipe)], { type: 'application/json' }))).toEqual(recipe);
    expect(await readRecipe(new Blob([pngBytes() as BlobPart]))).toBeNull();
    expect(await readRecipe(new Blob(['{"format":"other"}']))).toBeNull();
    expect(toRecipe({ format: 'atelier-recipe', prompt: 'p', params: [1] })!.params).toEqual({});
  });
});
