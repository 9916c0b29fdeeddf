import { describe, expect, it } from 'vitest';
import { b64, pngBytes } from '../testing/images';
import { resolveImageSource } from './images';
import { JsonSpillScanner, type BlobTable } from './spill';

function scan(text: string, chunkSize: number, spillThreshold = 64): { value: unknown; blobs: BlobTable; text: string } {
  const blobs: BlobTable = new Map();
  const sut = new JsonSpillScanner(blobs, { spillThreshold });
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunkSize) sut.write(bytes.subarray(i, i + chunkSize));
  const out = sut.end();
  return { value: JSON.parse(out), blobs, text: out };
}

function bytesOf(value: unknown, blobs: BlobTable): Uint8Array | undefined {
  const source = resolveImageSource(value, blobs);
  return source?.kind === 'bytes' ? source.bytes : undefined;
}

describe('JsonSpillScanner', () => {
  const image = pngBytes(40, 30);

  it.each([1, 3, 64, 4096])('decodes a long b64_json value as it arrives (chunks of %i bytes)', (chunkSize) => {
    const { value, blobs, text } = scan(JSON.stringify({ data: [{ b64_json: b64(image), revised_prompt: 'a "cat"' }] }), chunkSize);
    const item = (value as { data: Array<{ b64_json: string; revised_prompt: string }> }).data[0]!;
    expect(text.length).toBeLessThan(200); // the base64 never reached the JSON text
    expect(bytesOf(item.b64_json, blobs)).toEqual(image);
    expect(item.revised_prompt).toBe('a "cat"');
  });

  it('decodes data URLs, escaped slashes and markdown images inside long strings', () => {
    const escaped = JSON.stringify({ url: `data:image/png;base64,${b64(image)}` }).replaceAll('/', '\\/');
    const first = scan(escaped, 5);
    expect(bytesOf((first.value as { url: string }).url, first.blobs)).toEqual(image);

    const content = `Here you go\n\n![image](data:image/png;base64,${b64(image)})\n\n![second](data:image/png;base64,${b64(image)})`;
    const second = scan(JSON.stringify({ content }), 11);
    const text = (second.value as { content: string }).content;
    expect(text.startsWith('Here you go\n\n![image](')).toBe(true);
    const tokens = [...text.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(bytesOf(token, second.blobs)).toEqual(image);
  });

  it('keeps long plain text as text', () => {
    const words = 'a long sentence, with commas; and no images. '.repeat(20);
    const { value, blobs } = scan(JSON.stringify({ text: words, n: 1 }), 13);
    expect(value).toEqual({ text: words, n: 1 });
    expect(blobs.size).toBe(0);
  });

  it('leaves short values and other JSON untouched', () => {
    const doc = { a: [1, 2.5, null, true], b: { c: 'short \\ "quoted" \u00e9 \u4e2d' } };
    expect(scan(JSON.stringify(doc), 2).value).toEqual(doc);
  });
});
