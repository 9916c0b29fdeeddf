import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Reply } from './reply.ts';

/** Keeps this thread busy for `ms`, as the upstream's own work (parsing, encoding an image) does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * One request to a server that starts a Reply due `latencyMs` after the request arrived, works for
 * `workMs`, then answers; resolves to the time from the request's arrival to the answer's last byte
 * leaving (measured by the server, so the client's own costs do not count).
 */
async function timedAnswer(latencyMs: number, workMs: number, answer: (reply: Reply) => Promise<void> | void): Promise<number> {
  let elapsed!: Promise<number>;
  const server = createServer((_req, res) => {
    const arrived = performance.now();
    elapsed = new Promise((resolve) => res.on('finish', () => resolve(performance.now() - arrived)));
    const reply = new Reply(res, { fault: null, latencyMs, paceMs: 0 }, arrived + latencyMs);
    busy(workMs);
    void answer(reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    await response.text();
    return await elapsed;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('Reply latency: counted from the request, as a real service answers', () => {
  it('holds the answer until the latency is over when the work took less', async () => {
    const elapsed = await timedAnswer(500, 300, (reply) => reply.json(200, { ok: true }));

    expect(elapsed).toBeGreaterThanOrEqual(499);
    // Latency on top of the work would take 800 ms.
    expect(elapsed).toBeLessThan(700);
  });

  it('adds no wait when the work took longer than the latency', async () => {
    const elapsed = await timedAnswer(300, 400, (reply) => reply.json(200, { ok: true }));

    expect(elapsed).toBeGreaterThanOrEqual(399);
    // Latency on top of the work would take 700 ms.
    expect(elapsed).toBeLessThan(600);
  });

  it('holds an answer without a body too', async () => {
    const elapsed = await timedAnswer(200, 0, (reply) => {
      reply.head(200, { 'content-type': 'text/event-stream' });
      reply.end();
      expect(reply.closed).toBe(true);
    });

    expect(elapsed).toBeGreaterThanOrEqual(199);
  });
});
