// A direct PNG encoder: unfiltered rows through native zlib. Much faster than pngjs's JavaScript
// filter pass, which matters for 1024² answers and for the tens-of-MB benchmark images.
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes RGBA pixels as an 8-bit RGB (or RGBA when `keepAlpha`) PNG. */
export function encodePng(rgba: Uint8Array, width: number, height: number, options: { keepAlpha: boolean; level: number }): Buffer {
  const channels = options.keepAlpha ? 4 : 3;
  const stride = width * channels + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    let out = y * stride + 1; // byte 0 of each row is the filter type: 0 (none)
    let at = y * width * 4;
    if (options.keepAlpha) {
      raw.set(rgba.subarray(at, at + width * 4), out);
      continue;
    }
    for (let x = 0; x < width; x++, at += 4) {
      raw[out++] = rgba[at]!;
      raw[out++] = rgba[at + 1]!;
      raw[out++] = rgba[at + 2]!;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = options.keepAlpha ? 6 : 2; // colour type: RGBA or RGB
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: options.level })),
    chunk('IEND', Buffer.alloc(0))
  ]);
}
