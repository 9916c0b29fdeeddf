import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretMask } from './scrub.ts';

async function through(secrets: string[], chunks: string[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new SecretMask(secrets))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString();
}

describe('SecretMask', () => {
  const key = 'sk-abcdef123456';

  it('masks a key with asterisks of the same length, wherever chunks split it', async () => {
    const text = `{"error":"invalid key ${key}","again":"${key}"}`;
    const expected = text.split(key).join('*'.repeat(key.length));
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await through([key], [text.slice(0, cut), text.slice(cut)])).toBe(expected);
    }
  });

  it('passes text without keys through unchanged, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('s', 'k', '-', 'a', 'b', 'x', '\n') }), { maxLength: 12 }), async (chunks) => {
        fc.pre(!chunks.join('').includes(key));
        expect(await through([key], chunks)).toBe(chunks.join(''));
      })
    );
  });

  it('masks every key, and leaves short ones alone (they would match ordinary bytes)', async () => {
    expect(await through([key, 'AIza-other-key-9', 'short'], [`a ${key} b AIza-other-`, `key-9 c short`])).toBe(`a ${'*'.repeat(key.length)} b ${'*'.repeat(16)} c short`);
    expect(new SecretMask(['short']).active).toBe(false);
  });
});
