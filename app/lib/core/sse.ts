// Tolerant Server-Sent Events reader over a byte stream (FORMATS.md §0).
//
// Works on bytes, not text, so a `data:` line carrying a 30 MB image is never gathered into one string: its bytes
// go straight into a JsonSpillScanner that decodes large base64 values as they arrive. Events are split on blank
// lines in any line ending (LF, CRLF, CR), one optional space after `field:` is dropped, comment lines are skipped,
// multi-line data is joined with "\n", and a final event without its blank line is still delivered (STACK.md trap 13).

import { JsonSpillScanner, type BlobTable, type SpillOptions } from './extract/spill';

export interface SseEvent {
  /** The `event:` field, if any. Dispatch on `data.type` instead where the data has one (grok2api v1). */
  event?: string;
  /** Data text; large base64 values were replaced by tokens resolvable through `blobs`. */
  data: string;
  blobs: BlobTable;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const NEWLINE = Uint8Array.of(LF);
const MAX_FIELD_BYTES = 4096;

type LineState = 'start' | 'field' | 'value' | 'comment';

/** Push parser: write byte chunks, receive events through the callback. */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  readonly #options: SpillOptions;
  #state: LineState = 'start';
  #skipLeadingLf = false;
  #field = '';
  #value = '';
  #valueStarted = false;
  #eventName: string | undefined;
  #data: JsonSpillScanner | null = null;
  #blobs: BlobTable = new Map();
  readonly #lineEnds = new LineEnds();

  constructor(onEvent: (event: SseEvent) => void, options: SpillOptions = {}) {
    this.#onEvent = onEvent;
    this.#options = options;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    this.#lineEnds.reset(chunk);
    if (this.#skipLeadingLf && n > 0) {
      this.#skipLeadingLf = false;
      if (chunk[0] === LF) i = 1;
    }
    while (i < n) {
      const byte = chunk[i]!;
      if (this.#state === 'value' && this.#field === 'data') {
        const end = this.#lineEnds.from(i);
        if (end > i) this.#dataValue(chunk.subarray(i, end));
        i = end;
        if (i >= n) return;
        i = this.#endLine(chunk, i);
        continue;
      }
      if (byte === LF || byte === CR) {
        i = this.#endLine(chunk, i);
        continue;
      }
      switch (this.#state) {
        case 'start':
          if (byte === COLON) {
            this.#state = 'comment';
          } else {
            this.#state = 'field';
            this.#field = String.fromCharCode(byte);
          }
          i++;
          break;
        case 'comment': {
          const end = this.#lineEnds.from(i);
          i = end;
          break;
        }
        case 'field':
          if (byte === COLON) {
            this.#state = 'value';
            this.#valueStarted = false;
            this.#value = '';
          } else if (this.#field.length < MAX_FIELD_BYTES) {
            this.#field += String.fromCharCode(byte);
          }
          i++;
          break;
        case 'value': {
          const end = this.#lineEnds.from(i);
          let start = i;
          if (!this.#valueStarted) {
            this.#valueStarted = true;
            if (chunk[start] === SPACE) start++;
          }
          if (this.#value.length < MAX_FIELD_BYTES) this.#value += new TextDecoder().decode(chunk.subarray(start, end));
          i = end;
          break;
        }
      }
    }
  }

  /** Flushes a last line and a last event that had no blank line after them. */
  end(): void {
    if (this.#state !== 'start') this.#finishLine();
    this.#dispatch();
  }

  #dataValue(bytes: Uint8Array): void {
    let start = 0;
    if (!this.#valueStarted) {
      this.#valueStarted = true;
      if (this.#data) this.#data.write(NEWLINE);
      else this.#data = new JsonSpillScanner(this.#blobs, this.#options);
      if (bytes[0] === SPACE) start = 1;
    }
    if (start < bytes.length) this.#data!.write(start === 0 ? bytes : bytes.subarray(start));
  }

  /** Handles the line ending at chunk[i] (CR or LF) and returns the index after it. */
  #endLine(chunk: Uint8Array, i: number): number {
    const wasCr = chunk[i] === CR;
    i++;
    if (wasCr) {
      if (i < chunk.length) {
        if (chunk[i] === LF) i++;
      } else {
        this.#skipLeadingLf = true;
      }
    }
    if (this.#state === 'start') this.#dispatch();
    else this.#finishLine();
    return i;
  }

  #finishLine(): void {
    if (this.#state === 'field') {
      // A field name alone: `data` means an empty data line.
      if (this.#field === 'data') {
        this.#valueStarted = false;
        this.#dataValue(new Uint8Array(0));
      } else if (this.#field === 'event') {
        this.#eventName = '';
      }
    } else if (this.#state === 'value') {
      if (this.#field === 'data') {
        if (!this.#valueStarted) this.#dataValue(new Uint8Array(0));
      } else if (this.#field === 'event') {
        this.#eventName = this.#value;
      }
    }
    this.#state = 'start';
    this.#field = '';
    this.#value = '';
    this.#valueStarted = false;
  }

  #dispatch(): void {
    const data = this.#data;
    const eventName = this.#eventName;
    const blobs = this.#blobs;
    this.#data = null;
    this.#eventName = undefined;
    if (!data) return;
    this.#blobs = new Map();
    const event: SseEvent = { data: data.end(), blobs };
    if (eventName) event.event = eventName;
    this.#onEvent(event);
  }
}

/** Finds line ends in one chunk; remembers the next LF and CR so many short lines cost one pass. */
class LineEnds {
  #chunk: Uint8Array = new Uint8Array(0);
  #nextLf = -1;
  #nextCr = -1;

  reset(chunk: Uint8Array): void {
    this.#chunk = chunk;
    this.#nextLf = -1;
    this.#nextCr = -1;
  }

  from(index: number): number {
    const chunk = this.#chunk;
    if (this.#nextLf < index) this.#nextLf = indexOr(chunk, LF, index);
    if (this.#nextCr < index) this.#nextCr = indexOr(chunk, CR, index);
    return Math.min(this.#nextLf, this.#nextCr);
  }
}

function indexOr(chunk: Uint8Array, byte: number, from: number): number {
  const index = chunk.indexOf(byte, from);
  return index < 0 ? chunk.length : index;
}

/** Reads a byte stream as SSE events. Cancelling the iteration cancels the stream. */
export async function* readSse(body: ReadableStream<Uint8Array>, options: SpillOptions = {}): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  const parser = new SseParser((event) => queue.push(event), options);
  const reader = body.getReader();
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        parser.end();
      } else {
        parser.write(value);
      }
      while (queue.length > 0) yield queue.shift()!;
      if (done) return;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
