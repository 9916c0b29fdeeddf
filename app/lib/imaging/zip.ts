// A small ZIP writer and reader for Atelier's downloads and backups. Images are already
// compressed, so entries are stored (method 0): the writer never inflates anything and can emit
// each image as the Blob it already is. Bytes are read once, in chunks, to compute CRC-32; the
// output is a list of parts (small header arrays and the original Blobs), so a 2 GB selection is
// a Blob that *references* the stored images instead of a 2 GB array in memory. ZIP64 records are
// written whenever a size or offset passes 4 GB or there are more than 65,535 entries.
// The reader works on a Blob (a dropped File) by random access: it reads the central directory
// from the end, so a truncated archive is detected before anything is trusted.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 over more bytes; start with 0. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC-32 of a Blob, read as a stream so memory stays at one chunk. */
export async function crc32OfBlob(blob: Blob): Promise<number> {
  let crc = 0;
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return crc;
    crc = crc32(value, crc);
  }
}

export interface ZipEntry {
  /** Path inside the archive, forward slashes. */
  name: string;
  data: Blob | Uint8Array;
  /** Modification time (ms); defaults to now. */
  modifiedAt?: number;
}

export interface ZipOptions {
  /**
   * Write ZIP64 records for every entry, not only where sizes demand it. Some tools want it for
   * archives that may be appended to; Atelier's readers accept both.
   */
  forceZip64?: boolean;
}

const LIMIT32 = 0xffffffff;
const encoder = new TextEncoder();

function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
  };
}

function writer(size: number): { bytes: Uint8Array; view: DataView; at: number } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer), at: 0 };
}

interface Written {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
  time: number;
  date: number;
}

function zip64Extra(fields: number[]): Uint8Array {
  const w = writer(4 + fields.length * 8);
  w.view.setUint16(0, 0x0001, true);
  w.view.setUint16(2, fields.length * 8, true);
  fields.forEach((value, i) => w.view.setBigUint64(4 + i * 8, BigInt(value), true));
  return w.bytes;
}

function localHeader(entry: Written, zip64: boolean): Uint8Array {
  // In a local header ZIP64 must carry both sizes.
  const extra = zip64 ? zip64Extra([entry.size, entry.size]) : new Uint8Array(0);
  const w = writer(30 + entry.name.length + extra.length);
  const v = w.view;
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, zip64 ? 45 : 20, true);
  v.setUint16(6, 0x0800, true); // UTF-8 names
  v.setUint16(8, 0, true); // stored
  v.setUint16(10, entry.time, true);
  v.setUint16(12, entry.date, true);
  v.setUint32(14, entry.crc, true);
  v.setUint32(18, zip64 ? LIMIT32 : entry.size, true);
  v.setUint32(22, zip64 ? LIMIT32 : entry.size, true);
  v.setUint16(26, entry.name.length, true);
  v.setUint16(28, extra.length, true);
  w.bytes.set(entry.name, 30);
  w.bytes.set(extra, 30 + entry.name.length);
  return w.bytes;
}

function centralHeader(entry: Written, force: boolean): Uint8Array {
  const bigSize = force || entry.size >= LIMIT32;
  const bigOffset = force || entry.offset >= LIMIT32;
  const fields = [...(bigSize ? [entry.size, entry.size] : []), ...(bigOffset ? [entry.offset] : [])];
  const extra = fields.length ? zip64Extra(fields) : new Uint8Array(0);
  const w = writer(46 + entry.name.length + extra.length);
  const v = w.view;
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, (3 << 8) | 45, true); // made by Unix, spec 4.5
  v.setUint16(6, fields.length ? 45 : 20, true);
  v.setUint16(8, 0x0800, true);
  v.setUint16(10, 0, true);
  v.setUint16(12, entry.time, true);
  v.setUint16(14, entry.date, true);
  v.setUint32(16, entry.crc, true);
  v.setUint32(20, bigSize ? LIMIT32 : entry.size, true);
  v.setUint32(24, bigSize ? LIMIT32 : entry.size, true);
  v.setUint16(28, entry.name.length, true);
  v.setUint16(30, extra.length, true);
  v.setUint32(38, (0o100644 << 16) >>> 0, true); // a regular file, rw-r--r--
  v.setUint32(42, bigOffset ? LIMIT32 : entry.offset, true);
  w.bytes.set(entry.name, 46);
  w.bytes.set(extra, 46 + entry.name.length);
  return w.bytes;
}

function endRecords(count: number, cdOffset: number, cdSize: number, force: boolean): Uint8Array {
  const zip64 = force || count > 0xfffe || cdOffset >= LIMIT32 || cdSize >= LIMIT32;
  const w = writer((zip64 ? 56 + 20 : 0) + 22);
  const v = w.view;
  let at = 0;
  if (zip64) {
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true);
    v.setUint16(12, 45, true);
    v.setUint16(14, 45, true);
    v.setBigUint64(24, BigInt(count), true);
    v.setBigUint64(32, BigInt(count), true);
    v.setBigUint64(40, BigInt(cdSize), true);
    v.setBigUint64(48, BigInt(cdOffset), true);
    v.setUint32(56, 0x07064b50, true);
    v.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    v.setUint32(72, 1, true);
    at = 76;
  }
  v.setUint32(at, 0x06054b50, true);
  v.setUint16(at + 8, zip64 ? 0xffff : count, true);
  v.setUint16(at + 10, zip64 ? 0xffff : count, true);
  v.setUint32(at + 12, zip64 ? LIMIT32 : cdSize, true);
  v.setUint32(at + 16, zip64 ? LIMIT32 : cdOffset, true);
  return w.bytes;
}

export type ZipPart = Uint8Array | Blob;

/**
 * Yields the parts of a stored ZIP in order: concatenated they are the archive. Entries are
 * pulled one at a time, so a caller can fetch each image from IndexedDB only when it is needed.
 */
export async function* zipParts(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>, options: ZipOptions = {}): AsyncGenerator<ZipPart> {
  const force = options.forceZip64 ?? false;
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const size = entry.data instanceof Blob ? entry.data.size : entry.data.byteLength;
    const crc = entry.data instanceof Blob ? await crc32OfBlob(entry.data) : crc32(entry.data);
    const record: Written = { name: encoder.encode(entry.name), crc, size, offset, ...dosDateTime(entry.modifiedAt ?? Date.now()) };
    const header = localHeader(record, force || size >= LIMIT32);
    yield header;
    yield entry.data;
    offset += header.length + size;
    written.push(record);
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const record of written) {
    const header = centralHeader(record, force);
    cdSize += header.length;
    yield header;
  }
  yield endRecords(written.length, cdOffset, cdSize, force);
}

/** The archive as one Blob made of references to its parts (no copy of the image bytes). */
export async function zipBlob(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>, options?: ZipOptions): Promise<Blob> {
  const parts: BlobPart[] = [];
  for await (const part of zipParts(entries, options)) parts.push(part as BlobPart);
  return new Blob(parts, { type: 'application/zip' });
}

// ---- Reading ----------------------------------------------------------------------------------

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipFileEntry {
  name: string;
  crc: number;
  size: number;
  /** Where the stored bytes start in the archive. */
  dataOffset: number;
}

async function bytesAt(blob: Blob, start: number, end: number): Promise<DataView> {
  if (start < 0 || end > blob.size) throw new ZipError('truncated');
  return new DataView(await blob.slice(start, end).arrayBuffer());
}

function readZip64(extra: DataView, wanted: { size: boolean; offset: boolean }): { size?: number; offset?: number } {
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    if (id === 0x0001) {
      let p = at + 4;
      const out: { size?: number; offset?: number } = {};
      if (wanted.size) {
        out.size = Number(extra.getBigUint64(p, true));
        p += 16; // uncompressed, then compressed
      }
      if (wanted.offset) out.offset = Number(extra.getBigUint64(p, true));
      return out;
    }
    at += 4 + length;
  }
  throw new ZipError('corrupt');
}

/**
 * Lists a ZIP's stored entries from its central directory. Throws ZipError('truncated') when the
 * end records are missing or point past the end, ZipError('corrupt') for other damage, and
 * ZipError('unsupported') for compressed or encrypted entries (Atelier writes only stored ones).
 */
export async function readZipDirectory(blob: Blob): Promise<ZipFileEntry[]> {
  const tailStart = Math.max(0, blob.size - (22 + 0xffff));
  const tail = await bytesAt(blob, tailStart, blob.size);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('truncated');
  let count = tail.getUint16(eocd + 10, true);
  let cdSize = tail.getUint32(eocd + 12, true);
  let cdOffset = tail.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === LIMIT32 || cdOffset === LIMIT32) {
    const locatorAt = tailStart + eocd - 20;
    const locator = await bytesAt(blob, locatorAt, locatorAt + 20);
    if (locator.getUint32(0, true) !== 0x07064b50) throw new ZipError('corrupt');
    const recordAt = Number(locator.getBigUint64(8, true));
    const record = await bytesAt(blob, recordAt, recordAt + 56);
    if (record.getUint32(0, true) !== 0x06064b50) throw new ZipError('corrupt');
    count = Number(record.getBigUint64(32, true));
    cdSize = Number(record.getBigUint64(40, true));
    cdOffset = Number(record.getBigUint64(48, true));
  }
  const cd = await bytesAt(blob, cdOffset, cdOffset + cdSize);
  const decoder = new TextDecoder();
  const entries: ZipFileEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.byteLength || cd.getUint32(at, true) !== 0x02014b50) throw new ZipError('corrupt');
    const flags = cd.getUint16(at + 8, true);
    const method = cd.getUint16(at + 10, true);
    if (method !== 0 || flags & 1) throw new ZipError('unsupported');
    const crc = cd.getUint32(at + 16, true);
    let size = cd.getUint32(at + 24, true);
    const nameLength = cd.getUint16(at + 28, true);
    const extraLength = cd.getUint16(at + 30, true);
    const commentLength = cd.getUint16(at + 32, true);
    let offset = cd.getUint32(at + 42, true);
    const name = decoder.decode(new Uint8Array(cd.buffer, cd.byteOffset + at + 46, nameLength));
    if (size === LIMIT32 || offset === LIMIT32) {
      const extra = new DataView(cd.buffer, cd.byteOffset + at + 46 + nameLength, extraLength);
      const big = readZip64(extra, { size: size === LIMIT32, offset: offset === LIMIT32 });
      size = big.size ?? size;
      offset = big.offset ?? offset;
    }
    const local = await bytesAt(blob, offset, offset + 30);
    if (local.getUint32(0, true) !== 0x04034b50) throw new ZipError('corrupt');
    const dataOffset = offset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    if (dataOffset + size > cdOffset) throw new ZipError('corrupt');
    entries.push({ name, crc, size, dataOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes as a lazy slice of the archive (nothing is read until used). */
export function entryBlob(archive: Blob, entry: ZipFileEntry, type = ''): Blob {
  return archive.slice(entry.dataOffset, entry.dataOffset + entry.size, type);
}

/** Reads an entry and checks its CRC-32; throws ZipError('corrupt') on a mismatch. */
export async function readEntry(archive: Blob, entry: ZipFileEntry): Promise<Uint8Array> {
  const bytes = new Uint8Array(await entryBlob(archive, entry).arrayBuffer());
  if (crc32(bytes) !== entry.crc) throw new ZipError('corrupt');
  return bytes;
}
