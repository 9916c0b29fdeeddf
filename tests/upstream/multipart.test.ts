import { describe, expect, it } from 'vitest';
import { multipartBoundary, MultipartError, parseMultipart } from './multipart.ts';

// Binary content that contains CRLF, dashes and a boundary-like prefix, to prove parts are cut
// only at CRLF + full delimiter.
const PNG_A = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x2d, 0x2d, 0x0d, 0x0a, 0x00, 0xff]);
const PNG_B = Buffer.from('\r\n--not-the-boundary\r\nbinary', 'latin1');
const MASK = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x00, 0x00]);

function editRequest(boundary: string): Buffer {
  const text = (value: string) => Buffer.from(value, 'utf8');
  return Buffer.concat([
    text(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n`),
    text(`--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nAdd a hat — «please»\r\nand a scarf\r\n`),
    text(`--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    PNG_A,
    text(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="b.png"\r\nContent-Type: image/png\r\n\r\n`),
    PNG_B,
    text(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="mask"; filename="mask.png"\r\nContent-Type: image/png\r\n\r\n`),
    MASK,
    text(`\r\n--${boundary}--\r\n`)
  ]);
}

describe('parseMultipart', () => {
  it('parses a CRLF body with two image[] parts and a mask, bytes untouched', () => {
    const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
    const sut = parseMultipart(editRequest(boundary), boundary);

    expect(sut.fields).toEqual({ model: ['gpt-image-1'], prompt: ['Add a hat — «please»\r\nand a scarf'] });
    expect(sut.files.map(({ field, filename, contentType }) => ({ field, filename, contentType }))).toEqual([
      { field: 'image[]', filename: 'a.png', contentType: 'image/png' },
      { field: 'image[]', filename: 'b.png', contentType: 'image/png' },
      { field: 'mask', filename: 'mask.png', contentType: 'image/png' }
    ]);
    expect(sut.files[0]!.bytes.equals(PNG_A)).toBe(true);
    expect(sut.files[1]!.bytes.equals(PNG_B)).toBe(true);
    expect(sut.files[2]!.bytes.equals(MASK)).toBe(true);
  });

  it('reads quoted boundaries, a preamble, escaped quotes and RFC 5987 filenames', () => {
    const contentType = 'multipart/form-data; boundary="b:1"';
    const body = Buffer.from(
      'preamble to ignore\r\n--b:1\r\nContent-Disposition: form-data; name="image"; filename="x.png"; filename*=UTF-8\'\'%E7%8C%AB.png\r\n\r\nX\r\n' +
        '--b:1\r\nContent-Disposition: form-data; name="say \\"hi\\""\r\n\r\nhello\r\n--b:1--',
      'utf8'
    );
    const sut = parseMultipart(body, multipartBoundary(contentType)!);

    expect(sut.files[0]!.filename).toBe('猫.png');
    expect(sut.files[0]!.contentType).toBe('application/octet-stream');
    expect(sut.fields['say "hi"']).toEqual(['hello']);
  });

  it('finds the boundary only in multipart content types', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('application/json')).toBeUndefined();
  });

  it('rejects bodies that are not closed by a boundary', () => {
    expect(() => parseMultipart(Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'), 'x')).toThrow(MultipartError);
    expect(() => parseMultipart(Buffer.from('no boundary here'), 'x')).toThrow(MultipartError);
  });
});
