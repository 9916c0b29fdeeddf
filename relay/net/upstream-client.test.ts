// The relay's HTTP/1.1 client against raw loopback servers that answer with scripted bytes, so
// framing the test upstream never produces (split chunk lines, trailers, 1xx, stale keep-alive
// sockets, malformed heads) is covered.
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../test-helpers.ts';
import { Exchange, UpstreamProtocolError, type ExchangeOptions, type UpstreamTarget } from './upstream-client.ts';

interface RawServer {
  target: UpstreamTarget;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A server that calls `answer` for every request head it reads, with the request's number on its connection. */
async function rawServer(answer: (socket: Socket, head: string, nth: number) => void | Promise<void>): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    state.connections++;
    let pending = '';
    let nth = 0;
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        void answer(socket, head, ++nth);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: RawServer = {
    target: { protocol: 'http:', hostname: '127.0.0.1', port, host: `127.0.0.1:${port}`, allowPrivateNetwork: true },
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
  servers.push(state);
  return state;
}

interface Outcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  error?: Error;
}

const get: ExchangeOptions = { method: 'GET', path: '/thing', headers: {}, body: 'none', connectTimeoutMs: 2000, idleTimeoutMs: 2000 };

function exchange(target: UpstreamTarget, options: ExchangeOptions = get, onBody?: (view: Buffer, sut: Exchange) => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { body: '' };
    const sut: Exchange = new Exchange(target, options, {
      onHead(status, headers) {
        outcome.status = status;
        outcome.headers = headers;
      },
      onBody(view) {
        outcome.body += view.toString('latin1');
        return onBody ? onBody(view, sut) : true;
      },
      onEnd: () => resolve(outcome),
      onError(error) {
        outcome.error = error;
        resolve(outcome);
      }
    });
    sut.end();
  });
}

/** Writes `text` one byte at a time, so every parser state is split across reads. */
async function trickle(socket: Socket, text: string): Promise<void> {
  for (const char of text) {
    socket.write(char, 'latin1');
    await sleep(1);
  }
}

describe('the upstream client', () => {
  it('reads a chunked body with extensions and trailers, split at every byte', async () => {
    const server = await rawServer((socket) =>
      trickle(socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n')
    );
    const outcome = await exchange(server.target);
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe(200);
    expect(outcome.headers!['content-type']).toBe('text/plain');
    expect(outcome.body).toBe('hello, world');
  });

  it('skips 100 Continue and 103 Early Hints and reports the final answer once', async () => {
    const server = await rawServer((socket) =>
      void socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok')
    );
    const outcome = await exchange(server.target);
    expect(outcome.status).toBe(201);
    expect(outcome.headers!.link).toBeUndefined();
    expect(outcome.body).toBe('ok');
  });

  it('keeps a connection for the next request, and not after Connection: close', async () => {
    const server = await rawServer((socket, _head, nth) =>
      void socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n${nth === 2 ? 'Connection: close\r\n' : ''}\r\none`)
    );
    for (let i = 0; i < 3; i++) expect((await exchange(server.target)).body).toBe('one');
    // Requests 1 and 2 shared a connection; the second said close, so the third opened another.
    expect(server.connections).toBe(2);
  });

  it('sends a request again on a fresh connection when the pooled one turns out closed', async () => {
    const server = await rawServer((socket, _head, nth) => {
      // The second request on a connection finds it closed, as when a server's keep-alive ran out.
      if (nth === 2) return void socket.destroy();
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
    });
    expect((await exchange(server.target)).body).toBe('hi');
    const second = await exchange(server.target);
    expect(second.error).toBeUndefined();
    expect(second.body).toBe('hi');
    expect(server.connections).toBe(2);
  });

  it('reads a body without length until the upstream closes, and answers HEAD and 204 without one', async () => {
    const server = await rawServer((socket, head) => {
      if (head.startsWith('HEAD')) return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      if (head.startsWith('DELETE')) return void socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    });
    expect(await exchange(server.target)).toMatchObject({ status: 200, body: 'until the end' });
    expect(await exchange(server.target, { ...get, method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect(await exchange(server.target, { ...get, method: 'DELETE' })).toMatchObject({ status: 204, body: '' });
  });

  it('stops reading while the consumer is paused, and goes on after resume', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nfour');
      setTimeout(() => socket.write('more'), 20);
    });
    let calls = 0;
    const outcome = exchange(server.target, get, (_view, sut) => {
      calls++;
      if (calls === 1) setTimeout(() => sut.resume(), 150);
      return calls > 1;
    });
    await sleep(100);
    // The rest arrived long ago, but the paused exchange did not read it.
    expect(calls).toBe(1);
    expect((await outcome).body).toBe('fourmore');
  });

  it('refuses malformed answers as protocol errors', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'SSH-2.0-OpenSSH\r\n\r\n'
    ];
    for (const answer of answers) {
      const server = await rawServer((socket) => void socket.write(answer, 'latin1'));
      const outcome = await exchange(server.target);
      expect(outcome.error, answer).toBeInstanceOf(UpstreamProtocolError);
    }
  });

  it('refuses to send a header value with a line break (a key that would split the request)', () => {
    const target: UpstreamTarget = { protocol: 'http:', hostname: '127.0.0.1', port: 9, host: '127.0.0.1:9', allowPrivateNetwork: true };
    const handlers = { onHead() {}, onBody: () => true, onEnd() {}, onError() {} };
    expect(() => new Exchange(target, { ...get, headers: { authorization: 'Bearer a\r\nx-evil: 1' } }, handlers)).toThrow(UpstreamProtocolError);
  });
});
