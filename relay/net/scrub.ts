// Some gateways echo the key they were sent ("invalid key sk-..." in an error body, a debug
// field). A relay that promises keys never reach the browser masks them on the way through,
// without collecting the body: each chunk is searched, and only a tail that could be the start of
// a key is held back until the next chunk shows whether it is one.
import { Transform, type TransformCallback } from 'node:stream';

/** Keys shorter than this are not searched for: they could match ordinary text or image bytes. */
export const MIN_SECRET_LENGTH = 8;

/** How many trailing bytes of `chunk` could begin an occurrence of `secret` that the next chunk completes. */
function partialTail(chunk: Buffer, secret: Buffer): number {
  const longest = Math.min(secret.length - 1, chunk.length);
  for (let length = longest; length > 0; length--) {
    if (chunk.compare(secret, 0, length, chunk.length - length) === 0) return length;
  }
  return 0;
}

/**
 * Replaces every occurrence of the secrets with asterisks of the same length, so a
 * Content-Length the upstream sent stays true.
 */
export class SecretMask extends Transform {
  readonly #secrets: Buffer[];
  #held: Buffer | null = null;

  constructor(secrets: readonly string[]) {
    super();
    this.#secrets = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).map((secret) => Buffer.from(secret));
  }

  /** True when there is anything to mask; otherwise the stream is not worth inserting. */
  get active(): boolean {
    return this.#secrets.length > 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = null;
    for (const secret of this.#secrets) {
      let at = data.indexOf(secret);
      if (at === -1) continue;
      // Copy before writing: the chunk may be shared with whoever else reads it.
      if (data === chunk) data = Buffer.from(chunk);
      while (at !== -1) {
        data.fill(0x2a, at, at + secret.length);
        at = data.indexOf(secret, at + secret.length);
      }
    }
    let keep = 0;
    for (const secret of this.#secrets) keep = Math.max(keep, partialTail(data, secret));
    if (keep > 0) {
      this.#held = Buffer.from(data.subarray(data.length - keep));
      data = data.subarray(0, data.length - keep);
    }
    callback(null, data.length > 0 ? data : undefined);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#held ?? undefined);
  }
}
