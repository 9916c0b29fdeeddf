import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretScanner } from './scrub.ts';

/** Masks `chunks` as the proxy does: each copied after the held tail into a buffer of its own. */
async function through(secrets: string[], chunks: string[]): Promise<string> {
  const sut = new SecretScanner(secrets);
  const out: Buffer[] = [];
  for (const text of chunks) {
    const chunk = Buffer.from(text);
    const buffer = Buffer.alloc(chunk.length + sut.maxHeld);
    const held = sut.restore(buffer);
    chunk.copy(buffer, held);
    const ready = sut.mask(buffer, held + chunk.length);
    out.push(buffer.subarray(0, ready));
  }
  out.push(sut.flush());
  return Buffer.concat(out).toString();
}

describe('SecretScanner', () => {
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
    expect(new SecretScanner(['short']).active).toBe(false);
  });
});
