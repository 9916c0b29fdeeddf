// The relay's HTTP/1.1 client for upstreams. node:http's client makes two fresh buffers for every
// body chunk (the socket read, then the parser's copy of the body bytes), so a 30 MB image left up
// to ~30 MB of young garbage in the relay until V8's ~32 MB external-memory mark forced a
// scavenge (measured: RSS +20-33 MB over such a read, back to +0 after a forced GC). Here each
// connection reads into one buffer of its own (net/tls `onread`), the response is parsed where it
// lies, and body bytes are handed on as views that are valid during the call only: streaming a
// body allocates nothing per chunk. Connections are kept alive per origin and address policy.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { publicOnlyLookup } from './guard.ts';

/** Size of each connection's read buffer, so the most body bytes one call hands on. */
export const READ_BUFFER_BYTES = 64 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
/** Below Node's (5 s) and most servers' keep-alive timeouts, so a pooled socket is rarely stale. */
const IDLE_SOCKET_MS = 4000;
const MAX_IDLE_PER_ORIGIN = 128;

export interface UpstreamTarget {
  protocol: 'http:' | 'https:';
  /** Without IPv6 brackets, as sockets take it. */
  hostname: string;
  port: number;
  /** The Host header (`URL.host`: brackets kept, default port left out). */
  host: string;
  allowPrivateNetwork: boolean;
}

export interface ExchangeOptions {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  /** `length`: the headers carry content-length; `chunked`: the body is framed here as it streams. */
  body: 'none' | 'length' | 'chunked';
  connectTimeoutMs: number;
  /** Longest the upstream may stay silent while the relay waits on it. */
  idleTimeoutMs: number;
}

export interface ExchangeHandlers {
  onHead(status: number, headers: IncomingHttpHeaders): void;
  /** Body bytes, valid only during the call. Return false to stop reading until `resume()`. */
  onBody(view: Buffer): boolean;
  onEnd(): void;
  /** Called at most once, and never after onEnd. */
  onError(error: Error): void;
}

export class UpstreamTimeout extends Error {
  constructor(
    readonly phase: 'connect' | 'idle',
    readonly ms: number
  ) {
    super(`upstream ${phase} timeout after ${ms} ms`);
  }
}

export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
}

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node's server refuses in a header value; refused here so the relay never relays it. */
const badValuePattern = /[^\t\x20-\x7e\x80-\xff]/;
const lineBreakPattern = /[\r\n\0]/;

type ReadState = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

class Connection {
  readonly socket: Socket;
  exchange: Exchange | null = null;
  /** Served a response before, so it may have gone stale while pooled. */
  reused = false;

  constructor(
    readonly key: string,
    target: UpstreamTarget
  ) {
    const onread = { buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES), callback: (length: number, buffer: Uint8Array) => this.#onRead(length, buffer as Buffer) };
    const lookup = target.allowPrivateNetwork ? undefined : publicOnlyLookup;
    this.socket =
      target.protocol === 'https:'
        ? // TLS sockets take `onread` too (Node >= 14.17), though @types/node does not say so.
          tlsConnect({ host: target.hostname, port: target.port, servername: isIP(target.hostname) ? undefined : target.hostname, lookup, ALPNProtocols: ['http/1.1'], ...({ onread } as object) })
        : netConnect({ host: target.hostname, port: target.port, lookup, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.exchange?.onSocketError(error));
    this.socket.on('timeout', () => (this.exchange ? this.exchange.onSilence() : this.socket.destroy()));
    this.socket.on('close', () => {
      pool.remove(this);
      this.exchange?.onSocketClose();
    });
  }

  #onRead(length: number, buffer: Buffer): boolean {
    // Bytes nobody asked for (on an idle connection) mean it is no longer in a state to reuse.
    if (!this.exchange) {
      this.socket.destroy();
      return false;
    }
    return this.exchange.onBytes(buffer, length);
  }
}

/** Idle keep-alive connections, newest first, per origin and address policy. */
class ConnectionPool {
  readonly #idle = new Map<string, Connection[]>();

  take(key: string): Connection | null {
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const connection = list.pop()!;
      if (!connection.socket.destroyed && connection.socket.writable) {
        connection.socket.ref();
        return connection;
      }
    }
    return null;
  }

  give(connection: Connection): void {
    let list = this.#idle.get(connection.key);
    if (!list) this.#idle.set(connection.key, (list = []));
    if (list.length >= MAX_IDLE_PER_ORIGIN) return void connection.socket.destroy();
    connection.reused = true;
    connection.socket.setTimeout(IDLE_SOCKET_MS);
    // A pooled socket must not keep the process alive.
    connection.socket.unref();
    list.push(connection);
  }

  remove(connection: Connection): void {
    const list = this.#idle.get(connection.key);
    const at = list?.indexOf(connection) ?? -1;
    if (at !== -1) list!.splice(at, 1);
  }

  /** Idle sockets per key (for tests: a failed exchange must leave none behind). */
  idleCount(key: string): number {
    return this.#idle.get(key)?.length ?? 0;
  }
}

const pool = new ConnectionPool();

function poolKey(target: UpstreamTarget): string {
  return `${target.allowPrivateNetwork ? 'open' : 'guarded'}|${target.protocol}//${target.hostname}:${target.port}`;
}

/** How many idle connections the pool keeps to `target` (tests check nothing leaks). */
export function idleConnections(target: UpstreamTarget): number {
  return pool.idleCount(poolKey(target));
}

function headerLine(name: string, value: string): string {
  if (lineBreakPattern.test(value)) throw new UpstreamProtocolError(`header ${name} holds a line break`);
  return `${name}: ${value}\r\n`;
}

function requestHead(target: UpstreamTarget, options: ExchangeOptions): string {
  if (!tokenPattern.test(options.method) || /[\x00-\x20\x7f]/.test(options.path)) throw new UpstreamProtocolError('unsendable request line');
  let head = `${options.method} ${options.path} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  for (const name in options.headers) {
    const value = options.headers[name];
    if (value === undefined) continue;
    if (!tokenPattern.test(name)) throw new UpstreamProtocolError(`bad header name ${JSON.stringify(name)}`);
    if (Array.isArray(value)) for (const item of value) head += headerLine(name, item);
    else head += headerLine(name, String(value));
  }
  if (options.body === 'chunked') head += 'transfer-encoding: chunked\r\n';
  else if (options.body === 'none' && options.method !== 'GET' && options.method !== 'HEAD') head += 'content-length: 0\r\n';
  return `${head}connection: keep-alive\r\n\r\n`;
}

/** One request and its response over a pooled or new connection. */
export class Exchange {
  readonly #target: UpstreamTarget;
  readonly #options: ExchangeOptions;
  readonly #handlers: ExchangeHandlers;
  readonly #key: string;
  #connection!: Connection;
  #head: string;
  #state: ReadState = 'head';
  #finished = false;
  #paused = false;
  #requestEnded = false;
  #received = false;
  #retried = false;
  #keepAlive = false;
  #connectTimer: NodeJS.Timeout | null = null;
  // Response parsing state, carried across reads.
  #headText = '';
  #headMatch = 0;
  #line = '';
  #remaining = 0;

  constructor(target: UpstreamTarget, options: ExchangeOptions, handlers: ExchangeHandlers) {
    this.#target = target;
    this.#options = options;
    this.#handlers = handlers;
    this.#key = poolKey(target);
    this.#head = requestHead(target, options);
    this.#start(pool.take(this.#key));
  }

  #start(pooled: Connection | null): void {
    const connection = pooled ?? new Connection(this.#key, this.#target);
    this.#connection = connection;
    connection.exchange = this;
    const { socket } = connection;
    if (socket.connecting) {
      const timer = setTimeout(() => this.fail(new UpstreamTimeout('connect', this.#options.connectTimeoutMs)), this.#options.connectTimeoutMs);
      this.#connectTimer = timer;
      socket.once('connect', () => clearTimeout(timer));
    }
    socket.setTimeout(this.#options.idleTimeoutMs);
    socket.write(this.#head);
  }

  /** Sends request body bytes; false when the caller should wait for `onDrain`. */
  write(chunk: Buffer): boolean {
    if (this.#finished) return true;
    const { socket } = this.#connection;
    if (this.#options.body !== 'chunked') return socket.write(chunk);
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    const ok = socket.write('\r\n');
    socket.uncork();
    return ok;
  }

  onDrain(listener: () => void): void {
    this.#connection.socket.once('drain', listener);
  }

  /** The request body is complete. */
  end(): void {
    this.#requestEnded = true;
    if (this.#finished) return;
    if (this.#options.body === 'chunked') this.#connection.socket.write('0\r\n\r\n');
  }

  /** Reads again after onBody returned false. */
  resume(): void {
    if (!this.#paused || this.#finished) return;
    this.#paused = false;
    this.#connection.socket.setTimeout(this.#options.idleTimeoutMs);
    this.#connection.socket.resume();
  }

  /** Drops the exchange (the client went away): the connection is closed, no handler runs. */
  abort(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cleanUp();
    this.#connection.socket.destroy();
  }

  fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cleanUp();
    this.#connection.socket.destroy();
    this.#handlers.onError(error);
  }

  onSilence(): void {
    this.fail(new UpstreamTimeout('idle', this.#options.idleTimeoutMs));
  }

  /**
   * A pooled connection the upstream closed while it sat idle fails at once: try again, once, on
   * a fresh one, when nothing but the head was sent (a streamed body cannot be sent again).
   */
  #retry(): boolean {
    if (!this.#connection.reused || this.#received || this.#retried || this.#options.body !== 'none') return false;
    this.#retried = true;
    this.#clearConnectTimer();
    this.#connection.exchange = null;
    this.#connection.socket.destroy();
    this.#start(null);
    return true;
  }

  onSocketError(error: Error): void {
    if (this.#finished || this.#retry()) return;
    this.fail(error);
  }

  onSocketClose(): void {
    if (this.#finished) return;
    // A response without length or chunks ends when the upstream closes.
    if (this.#state === 'close') {
      this.#finish();
      this.#connection.socket.destroy();
      return;
    }
    if (this.#retry()) return;
    this.fail(Object.assign(new Error(this.#received ? 'upstream closed the connection mid-response' : 'upstream closed the connection before answering'), { code: 'ECONNRESET' }));
  }

  onBytes(buffer: Buffer, length: number): boolean {
    if (this.#finished) return false;
    this.#received = true;
    let at = 0;
    try {
      while (at < length && !this.#finished) at = this.#step(buffer, at, length);
    } catch (error) {
      this.fail(error as Error);
      return false;
    }
    if (this.#state === 'done') {
      // Kept for the next request only after a clean end: bytes past the response mean a
      // confused upstream. A pooled socket goes on reading, to notice the upstream closing it.
      const connection = this.#connection;
      if (this.#keepAlive && this.#requestEnded && at === length && !connection.socket.destroyed) {
        pool.give(connection);
        return true;
      }
      connection.socket.destroy();
      return false;
    }
    if (this.#paused && !this.#finished) {
      // Waiting on the client is not the upstream's silence.
      this.#connection.socket.setTimeout(0);
      return false;
    }
    return !this.#finished;
  }

  #step(buffer: Buffer, at: number, length: number): number {
    switch (this.#state) {
      case 'head':
        return this.#readHead(buffer, at, length);
      case 'length': {
        const end = Math.min(length, at + this.#remaining);
        this.#remaining -= end - at;
        this.#deliver(buffer.subarray(at, end));
        if (this.#remaining === 0) this.#finish();
        return end;
      }
      case 'chunk-data': {
        const end = Math.min(length, at + this.#remaining);
        this.#remaining -= end - at;
        this.#deliver(buffer.subarray(at, end));
        if (this.#remaining === 0) this.#state = 'chunk-end';
        return end;
      }
      case 'chunk-end': {
        const byte = buffer[at]!;
        if (byte === 10) this.#state = 'chunk-size';
        else if (byte !== 13) throw new UpstreamProtocolError('chunk not followed by CRLF');
        return at + 1;
      }
      case 'chunk-size':
      case 'trailers':
        return this.#readLine(buffer, at, length);
      case 'close':
        this.#deliver(buffer.subarray(at, length));
        return length;
      case 'done':
        return length;
    }
  }

  #deliver(view: Buffer): void {
    if (view.length > 0 && !this.#handlers.onBody(view)) this.#paused = true;
  }

  #readHead(buffer: Buffer, at: number, length: number): number {
    // Find the blank line that ends the head, even when it is split across reads.
    let match = this.#headMatch;
    let i = at;
    while (i < length && match < 4) {
      const byte = buffer[i++];
      if (byte === 13) match = match === 2 ? 3 : 1;
      else if (byte === 10) match = match === 1 || match === 3 ? match + 1 : 0;
      else match = 0;
    }
    this.#headMatch = match;
    this.#headText += buffer.toString('latin1', at, i);
    if (this.#headText.length > MAX_HEAD_BYTES) throw new UpstreamProtocolError('response head too large');
    if (match === 4) this.#parseHead();
    return i;
  }

  #parseHead(): void {
    const lines = this.#headText.split('\r\n');
    this.#headText = '';
    this.#headMatch = 0;
    const status = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/.exec(lines[0]!);
    if (!status) throw new UpstreamProtocolError('not an HTTP/1.x response');
    const code = Number(status[2]);
    const headers: IncomingHttpHeaders = {};
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n]!;
      if (line === '') continue;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
      if (!tokenPattern.test(name)) throw new UpstreamProtocolError('malformed header line');
      const value = line.slice(colon + 1).trim();
      if (badValuePattern.test(value)) throw new UpstreamProtocolError(`bad characters in header ${name}`);
      const before = headers[name];
      if (name === 'set-cookie') (headers[name] ??= []).push(value);
      else if (before === undefined) headers[name] = value;
      else if (name === 'content-length') {
        if (before !== value) throw new UpstreamProtocolError('conflicting content-length');
      } else headers[name] = `${before as string}, ${value}`;
    }
    if (code < 200) {
      if (code === 101) throw new UpstreamProtocolError('the upstream switched protocols');
      // 100 Continue, 103 Early Hints: the real answer follows.
      return;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    this.#keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const encoding = headers['transfer-encoding'];
    const noBody = this.#options.method === 'HEAD' || code === 204 || code === 304;
    if (noBody) this.#state = 'done';
    else if (encoding !== undefined) {
      // Chunked framing ends here: the relay frames its own answer.
      delete headers['content-length'];
      this.#state = /(?:^|,)\s*chunked\s*$/i.test(encoding) ? 'chunk-size' : 'close';
    } else if (headers['content-length'] !== undefined) {
      const declared = headers['content-length'];
      if (!/^\d{1,15}$/.test(declared)) throw new UpstreamProtocolError('bad content-length');
      this.#remaining = Number(declared);
      this.#state = this.#remaining === 0 ? 'done' : 'length';
    } else this.#state = 'close';
    if (this.#state === 'close') this.#keepAlive = false;
    this.#handlers.onHead(code, headers);
    if (this.#state === 'done' && !this.#finished) this.#finish();
  }

  #readLine(buffer: Buffer, at: number, length: number): number {
    const newline = buffer.indexOf(10, at);
    const end = newline === -1 || newline >= length ? length : newline;
    this.#line += buffer.toString('latin1', at, end);
    if (this.#line.length > MAX_LINE_BYTES) throw new UpstreamProtocolError('chunk line too long');
    if (end === length) return length;
    const line = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
    this.#line = '';
    if (this.#state === 'trailers') {
      // Trailers are dropped; a blank line ends the message.
      if (line === '') this.#finish();
      return end + 1;
    }
    const semicolon = line.indexOf(';');
    const size = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new UpstreamProtocolError('bad chunk size');
    this.#remaining = parseInt(size, 16);
    this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
    return end + 1;
  }

  /** The response is complete; onBytes then pools or closes the connection. */
  #finish(): void {
    this.#state = 'done';
    this.#finished = true;
    this.#cleanUp();
    this.#connection.exchange = null;
    this.#handlers.onEnd();
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }

  #cleanUp(): void {
    this.#clearConnectTimer();
    this.#connection.socket.setTimeout(0);
  }
}
