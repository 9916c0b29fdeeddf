// Server-sent events written event by event (never a whole body in memory), with the pace knob
// between events and the stream faults applied at the point a real failure would hurt most.
import { sleep, type HeaderMap, type Reply } from './reply.ts';

/**
 * What an event means to the client, which decides where stream faults strike:
 * - `image`: carries image bytes; `reset` / `truncated-json` cut the first one in half.
 * - `completion`: the event that says "done" (and everything after it); `no-completion` stops
 *   the stream right before it. Streams with no image event are cut here by `reset` too.
 * - `progress`: anything else.
 */
export type EventRole = 'progress' | 'image' | 'completion';

export interface SseOptions {
  /** Gemini frames with CRLF; everyone else with LF. */
  lineEnding?: '\n' | '\r\n';
  headers?: HeaderMap;
}

export interface SseEvent {
  /** The `event:` line; omitted when undefined. */
  event?: string;
  /** Serialised `data:` payload (single line). */
  data: string;
  role?: EventRole;
}

export class SseStream {
  readonly #reply: Reply;
  readonly #eol: string;
  #sentEvents = 0;
  #finished = false;

  constructor(reply: Reply, options: SseOptions = {}) {
    this.#reply = reply;
    this.#eol = options.lineEnding ?? '\n';
    reply.head(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...options.headers
    });
  }

  /** False once the stream ended (normally, by a fault, or because the client left). */
  get open(): boolean {
    return !this.#finished && !this.#reply.closed;
  }

  async send({ event, data, role = 'progress' }: SseEvent): Promise<void> {
    if (!this.open) return;
    const fault = this.#reply.knobs.fault;
    if (role === 'completion' && fault === 'no-completion') {
      this.#finish();
      return;
    }
    if (this.#sentEvents > 0 && this.#reply.knobs.paceMs > 0) await sleep(this.#reply.knobs.paceMs);
    this.#sentEvents++;
    const frame = `${event === undefined ? '' : `event: ${event}${this.#eol}`}data: ${data}${this.#eol}${this.#eol}`;
    const cutHere = role === 'image' || role === 'completion';
    if (cutHere && (fault === 'reset' || fault === 'truncated-json')) {
      await this.#reply.write(frame.slice(0, Math.floor(frame.length / 2)));
      if (fault === 'reset') await this.#reply.flushThenDestroy();
      this.#finish();
      return;
    }
    await this.#reply.write(frame);
  }

  async json(value: unknown, options: { event?: string; role?: EventRole } = {}): Promise<void> {
    await this.send({ ...options, data: JSON.stringify(value) });
  }

  /** A `:` comment line, e.g. OpenRouter's keep-alive. */
  async comment(text: string): Promise<void> {
    if (!this.open) return;
    await this.#reply.write(`: ${text}${this.#eol}${this.#eol}`);
  }

  async done(): Promise<void> {
    await this.send({ data: '[DONE]', role: 'completion' });
  }

  /** Ends the stream; also what a Go server does on failure (no terminal event). */
  end(): void {
    this.#finish();
  }

  #finish(): void {
    this.#finished = true;
    this.#reply.end();
  }
}
