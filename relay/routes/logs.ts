import type { FastifyPluginAsync } from 'fastify';
import { PassThrough } from 'node:stream';
import type { LogEntry, LogRing } from '../logging.ts';

const LogsSchema = {
  querystring: {
    type: 'object',
    properties: {
      since: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }
    },
    additionalProperties: false
  },
  response: {
    200: {
      type: 'object',
      properties: {
        entries: {
          type: 'array',
          // A pino line: level, time, msg and whatever the line carried (already redacted).
          items: { type: 'object', properties: { seq: { type: 'integer' } }, required: ['seq'], additionalProperties: true }
        },
        next: { type: 'integer' }
      },
      required: ['entries', 'next']
    }
  }
} as const;

const EventsSchema = {
  headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } }
} as const;

function parsed(entry: LogEntry): Record<string, unknown> {
  try {
    return { ...(JSON.parse(entry.line) as Record<string, unknown>), seq: entry.seq };
  } catch {
    return { seq: entry.seq, msg: entry.line };
  }
}

/** A stream client that stopped reading this far behind is dropped rather than buffered for. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

/**
 * `GET /api/logs` (the newest lines, or those after `since`) and `GET /api/logs/events` (SSE: the
 * same lines live, `id:` = seq so a reconnecting EventSource resumes, comment heartbeats so idle
 * proxies and the app both know the stream is alive).
 */
export const logRoutes: FastifyPluginAsync<{ ring: LogRing }> = async (app, { ring }) => {
  const streams = new Set<PassThrough>();
  const heartbeat = setInterval(() => {
    const line = `: heartbeat ${Date.now()}\n\n`;
    for (const stream of streams) stream.write(line);
  }, app.config.logs.heartbeatMs);
  heartbeat.unref();
  // Live streams never end by themselves; without this, closing the server would wait forever.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    for (const stream of streams) stream.end();
  });

  app.get<{ Querystring: { since: number; limit: number } }>('/api/logs', { schema: LogsSchema }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const entries = ring.after(request.query.since, request.query.limit);
    return { entries: entries.map(parsed), next: ring.nextSeq - 1 };
  });

  app.get<{ Headers: { 'last-event-id'?: string } }>('/api/logs/events', { schema: EventsSchema }, async (request, reply) => {
    const stream = new PassThrough();
    const send = (entry: LogEntry) => {
      if (stream.writableLength > MAX_BACKLOG_BYTES) return stream.destroy();
      stream.write(`id: ${entry.seq}\ndata: ${entry.line}\n\n`);
    };
    stream.write('retry: 3000\n\n');
    const lastId = request.headers['last-event-id'];
    if (lastId !== undefined) for (const entry of ring.after(Number(lastId), ring.size)) send(entry);
    const unsubscribe = ring.subscribe(send);
    streams.add(stream);
    reply.raw.on('close', () => {
      unsubscribe();
      streams.delete(stream);
      stream.destroy();
    });
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      // nginx and similar front proxies buffer responses unless told not to.
      .header('x-accel-buffering', 'no')
      .send(stream);
  });
};
