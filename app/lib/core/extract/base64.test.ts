import { describe, expect, it } from 'vitest';
import { Base64StreamDecoder, decodeBase64, encodeBase64 } from './base64';

describe('base64', () => {
  it('round-trips bytes of every length remainder', () => {
    for (const length of [0, 1, 2, 3, 4, 100, 4099]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it('decodes in any slicing, including unpadded and URL-safe input', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff);
    const text = Buffer.from(bytes).toString('base64url');
    const sut = new Base64StreamDecoder();
    const ascii = new TextEncoder().encode(text);
    for (let i = 0; i < ascii.length; i += 5) sut.write(ascii.subarray(i, i + 5));
    expect(sut.end()).toEqual(bytes);
    expect(sut.invalid).toBe(false);
  });

  it('rejects text that is not base64', () => {
    expect(decodeBase64('not base64 at all!')).toBeNull();
    expect(decodeBase64('abcde')).toBeNull(); // one dangling character is not a byte
  });
});
