// Some gateways echo the key they were sent ("invalid key sk-..." in an error body, a debug
// field). A relay that promises keys never reach the browser masks them on the way through,
// without collecting the body: each chunk is searched, and only a tail that could be the start of
// a key is held back until the next chunk shows whether it is one.
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
 * Content-Length the upstream sent stays true. It works on the caller's buffer in place: the
 * proxy copies each chunk into a recycled buffer anyway, so masking costs no allocation.
 */
export class SecretScanner {
  readonly #secrets: Buffer[];
  /** Longest tail held back between chunks (one byte short of the longest secret). */
  readonly maxHeld: number;
  readonly #held: Buffer;
  #heldLength = 0;

  constructor(secrets: readonly string[]) {
    this.#secrets = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).map((secret) => Buffer.from(secret));
    this.maxHeld = Math.max(0, ...this.#secrets.map((secret) => secret.length - 1));
    this.#held = Buffer.alloc(this.maxHeld);
  }

  /** True when there is anything to mask; otherwise the scan is not worth running. */
  get active(): boolean {
    return this.#secrets.length > 0;
  }

  /** Copies the tail held back from the previous chunk to the start of `target`; returns its length. */
  restore(target: Buffer): number {
    const length = this.#heldLength;
    this.#held.copy(target, 0, 0, length);
    this.#heldLength = 0;
    return length;
  }

  /**
   * Masks every secret in `data[0, length)` in place and holds back a tail that could be the start
   * of one (the next chunk decides). Returns how many leading bytes are final.
   */
  mask(data: Buffer, length: number): number {
    const view = data.subarray(0, length);
    for (const secret of this.#secrets) {
      for (let at = view.indexOf(secret); at !== -1; at = view.indexOf(secret, at + secret.length)) view.fill(0x2a, at, at + secret.length);
    }
    let keep = 0;
    for (const secret of this.#secrets) keep = Math.max(keep, partialTail(view, secret));
    view.copy(this.#held, 0, length - keep, length);
    this.#heldLength = keep;
    return length - keep;
  }

  /** What is still held at the end of the stream (it cannot be a whole secret). */
  flush(): Buffer {
    return Buffer.from(this.#held.subarray(0, this.#heldLength));
  }
}
