import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, readEntry, readZipDirectory, zipBlob, ZipError } from './zip';

const text = (s: string) => new TextEncoder().encode(s);

async function sample(forceZip64 = false): Promise<Blob> {
  return zipBlob(
    [
      { name: 'metadata.json', data: text('{"a":1}') },
      { name: 'images/海报.png', data: new Blob([new Uint8Array([137, 80, 78, 71, 1, 2, 3])]) },
      { name: 'empty.txt', data: new Uint8Array(0) }
    ],
    { forceZip64 }
  );
}

describe('crc32', () => {
  it('matches the standard check value and continues across chunks', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(text('56789'), crc32(text('1234')))).toBe(0xcbf43926);
  });
});

describe('zip round trip', () => {
  it.each([false, true])('reads back what it wrote (forceZip64 %s)', async (forceZip64) => {
    const archive = await sample(forceZip64);
    const entries = await readZipDirectory(archive);
    expect(entries.map((e) => e.name)).toEqual(['metadata.json', 'images/海报.png', 'empty.txt']);
    expect(new TextDecoder().decode(await readEntry(archive, entries[0]!))).toBe('{"a":1}');
    expect([...(await readEntry(archive, entries[1]!))]).toEqual([137, 80, 78, 71, 1, 2, 3]);
  });

  it.each([false, true])('is readable by Python zipfile (forceZip64 %s)', async (forceZip64) => {
    const dir = mkdtempSync(join(tmpdir(), 'zip-'));
    const file = join(dir, 'a.zip');
    writeFileSync(file, new Uint8Array(await (await sample(forceZip64)).arrayBuffer()));
    const out = execFileSync('python3', ['-c', `import zipfile,sys;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;print(','.join(z.namelist()))`, file]);
    expect(out.toString().trim()).toBe('metadata.json,images/海报.png,empty.txt');
  });

  it('refuses a truncated archive', async () => {
    const archive = await sample();
    await expect(readZipDirectory(archive.slice(0, archive.size - 10))).rejects.toThrow(ZipError);
    await expect(readZipDirectory(archive.slice(0, 40))).rejects.toThrow(ZipError);
  });

  it('notices damaged bytes through the CRC', async () => {
    const bytes = new Uint8Array(await (await sample()).arrayBuffer());
    const entries = await readZipDirectory(new Blob([bytes]));
    const at = entries[0]!.dataOffset;
    bytes[at] = bytes[at]! ^ 0xff;
    await expect(readEntry(new Blob([bytes]), entries[0]!)).rejects.toThrow(ZipError);
  });
});
