// Images handed out by URL (dall-e, xAI, grok2api, Seedream, SiliconFlow), served back by this
// server like a CDN would. Old files are forgotten past a byte budget, like expiring links.
import { randomBytes } from 'node:crypto';
import { FILE_EXTENSIONS, MIME_TYPES, type ImageFormat } from './images.ts';

interface StoredFile {
  bytes: Buffer;
  contentType: string;
}

const BUDGET_BYTES = 256 * 1024 * 1024;

export class FileStore {
  readonly #files = new Map<string, StoredFile>();
  #bytes = 0;

  /** Stores an image and returns its file name (served at `/files/<name>`), e.g. `img-3f2a….png`. */
  put(bytes: Buffer, format: ImageFormat, namePrefix = 'img-'): string {
    const name = `${namePrefix}${randomBytes(12).toString('hex')}.${FILE_EXTENSIONS[format]}`;
    this.#files.set(name, { bytes, contentType: MIME_TYPES[format] });
    this.#bytes += bytes.length;
    for (const [oldName, file] of this.#files) {
      if (this.#bytes <= BUDGET_BYTES || oldName === name) break;
      this.#files.delete(oldName);
      this.#bytes -= file.bytes.length;
    }
    return name;
  }

  get(name: string): StoredFile | undefined {
    return this.#files.get(name);
  }

  clear(): void {
    this.#files.clear();
    this.#bytes = 0;
  }
}
