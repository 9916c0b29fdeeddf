// Writing an answer: backpressure-aware writes, plus the delivery faults that break a body on the
// wire (reset, truncated-json, drip) whatever the flavor.
import type { ServerResponse } from 'node:http';
import type { Knobs } from './knobs.ts';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes go out in slices this big, so a stalled client stops us after one slice. */
const SLICE_BYTES = 64 * 1024;

/** How often `drip` sends its next byte, unless a pace is set. */
const DRIP_INTERVAL_MS = 1000;

// `drip` drops the connection after this many bytes, like a proxy's idle timeout, so a client
// that never gives up cannot keep the server busy for hours.
const DRIP_MAX_BYTES = 120;

export type HeaderMap = Record<string, string | number>;

export interface JsonOptions {
  headers?: HeaderMap;
  /** Indent like Google's REST front end does for non-streamed answers. */
  pretty?: boolean;
  /** Bytes sent before the JSON, e.g. the whitespace OpenRouter emits while a model works. */
  preamble?: string;
}

export class Reply {
  readonly #res: ServerResponse;
  readonly #knobs: Knobs;
  /** `performance.now()` before which nothing is sent (0: no wait). */
  #startAt: number;
  #closed = false;
  #ending = false;
  #dripped = 0;

  /**
   * `startAt` (a `performance.now()` time) holds the first byte of the answer back until then, so a
   * latency counts from the request's arrival, as a real service's does: the work done to build the
   * answer (parsing, encoding images) happens inside the latency, not on top of it.
   */
  constructor(res: ServerResponse, knobs: Knobs, startAt = 0) {
    this.#res = res;
    this.#knobs = knobs;
    this.#startAt = startAt;
    res.on('close', () => {
      this.#closed = true;
    });
  }

  get knobs(): Knobs {
    return this.#knobs;
  }

  /** True once the client went away, the socket was destroyed or the body ended. */
  get closed(): boolean {
    return this.#closed || this.#ending || this.#res.writableEnded || this.#res.destroyed;
  }

  /** Waits until the answer may start (see the constructor); at once after that. */
  async #due(): Promise<void> {
    const wait = this.#startAt - performance.now();
    this.#startAt = 0;
    if (wait > 0) await sleep(wait);
  }

  head(status: number, headers: HeaderMap): void {
    for (const [name, value] of Object.entries(headers)) this.#res.setHeader(name, value);
    this.#res.statusCode = status;
  }

  /** Writes with backpressure; under the `drip` fault, one byte at a time. */
  async write(data: string | Buffer): Promise<void> {
    await this.#due();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.#knobs.fault === 'drip') {
      const interval = this.#knobs.paceMs > 0 ? this.#knobs.paceMs : DRIP_INTERVAL_MS;
      for (let i = 0; i < bytes.length && !this.closed; i++) {
        if (this.#dripped++ === DRIP_MAX_BYTES) return this.destroy();
        this.#res.write(bytes.subarray(i, i + 1));
        await sleep(interval);
      }
      return;
    }
    for (let offset = 0; offset < bytes.length && !this.closed; offset += SLICE_BYTES) {
      if (!this.#res.write(bytes.subarray(offset, offset + SLICE_BYTES))) await this.#drained();
    }
  }

  #drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
  }

  end(): void {
    if (this.closed) return;
    const wait = this.#startAt - performance.now();
    if (wait <= 0) return void this.#res.end();
    // An answer with no body (an empty stream) still starts no earlier than the latency allows.
    this.#ending = true;
    setTimeout(() => this.#res.end(), wait);
  }

  /** Tears the connection down without a proper end, as a crashed upstream or proxy does. */
  destroy(): void {
    this.#res.socket?.destroy();
    this.#res.destroy();
    this.#closed = true;
  }

  /** A complete body, broken on the wire as the delivery fault asks. */
  async body(status: number, headers: HeaderMap, body: string | Buffer): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const half = Math.floor(bytes.length / 2);
    switch (this.#knobs.fault) {
      case 'truncated-json':
        // No content-length: the half body then a clean end reads as a complete, broken document.
        this.head(status, headers);
        await this.write(bytes.subarray(0, half));
        this.end();
        return;
      case 'reset':
        this.head(status, { ...headers, 'content-length': bytes.length });
        await this.write(bytes.subarray(0, half));
        await this.#flushed();
        this.destroy();
        return;
      default:
        this.head(status, { ...headers, 'content-length': bytes.length });
        await this.write(bytes);
        this.end();
    }
  }

  async json(status: number, value: unknown, options: JsonOptions = {}): Promise<void> {
    const text = (options.preamble ?? '') + JSON.stringify(value, null, options.pretty ? 2 : undefined);
    await this.jsonText(status, text, options.headers);
  }

  /** JSON already serialised (e.g. in Go's key order and escaping). */
  async jsonText(status: number, text: string, headers: HeaderMap = {}): Promise<void> {
    await this.body(status, { 'content-type': 'application/json', ...headers }, text);
  }

  /** Gives what was written a moment to leave before a reset, so the client sees partial bytes. */
  async #flushed(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => this.#res.write('', () => resolve()));
    await sleep(20);
  }

  async flushThenDestroy(): Promise<void> {
    await this.#flushed();
    this.destroy();
  }
}
