// Log lines go to stdout and into a ring in memory that the app's Logs page reads
// (`GET /api/logs`, live over `GET /api/logs/events`). pino serialises each line once; the ring
// keeps that string, so the hot path does no extra work when nobody is watching.

/** What pino writes to: one serialised JSON line per call. */
export interface LineSink {
  write(line: string): unknown;
}

export interface LogEntry {
  seq: number;
  line: string;
}

export class LogRing implements LineSink {
  readonly #lines: (LogEntry | undefined)[];
  readonly #listeners = new Set<(entry: LogEntry) => void>();
  #next = 1;

  constructor(
    readonly size: number,
    readonly forward: LineSink | null
  ) {
    this.#lines = new Array<LogEntry | undefined>(size);
  }

  write(line: string): void {
    const entry = { seq: this.#next++, line: line.endsWith('\n') ? line.slice(0, -1) : line };
    this.#lines[entry.seq % this.size] = entry;
    this.forward?.write(line);
    for (const listener of this.#listeners) listener(entry);
  }

  /** The sequence number the next line will get. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Entries after `since` (exclusive), oldest first, at most `limit` of the newest ones. */
  after(since: number, limit: number): LogEntry[] {
    const first = Math.max(since + 1, this.#next - this.size, this.#next - limit, 1);
    const out: LogEntry[] = [];
    for (let seq = first; seq < this.#next; seq++) {
      const entry = this.#lines[seq % this.size];
      if (entry?.seq === seq) out.push(entry);
    }
    return out;
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * What pino must never print. Request logging is the relay's own (`plugins/request-log.ts`) and
 * does not log headers or bodies at all; these paths catch anything logged by accident, such as
 * an error object that carries the request it failed on.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-goog-api-key"]',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-goog-api-key"]',
  'password',
  'passwordHash',
  'apiKey',
  'token',
  '*.password',
  '*.passwordHash',
  '*.apiKey',
  '*.token',
  // Image payloads: megabytes of base64 are useless in a log and may be private.
  '*.b64_json',
  '*.data',
  '*.image',
  '*.images'
];

/** Query parameters whose values are secrets (Gemini takes `?key=`). */
const secretQuery = /([?&](?:key|api[-_]?key|token|access_token|password)=)[^&#]*/gi;

/** The request URL as it may appear in a log line: secret query values replaced. */
export function loggableUrl(url: string): string {
  return url.includes('?') ? url.replace(secretQuery, '$1[redacted]') : url;
}
