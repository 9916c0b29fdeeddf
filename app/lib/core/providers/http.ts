// What every dialect shares: URLs, headers, and reading a body by its Content-Type (JSON or SSE).

import { ProviderError, errorFromPayload, errorFromResponse, isAbortError, networkError } from '../errors';
import { encodeBase64 } from '../extract/base64';
import { sniffMime } from '../extract/sniff';
import { JsonSpillScanner, type BlobTable } from '../extract/spill';
import { readSse, type SseEvent } from '../sse';
import type { InputImage, ProviderConfig, ReadContext, Usage } from '../types';

/** Appends an endpoint path to a base URL, keeping the base's own path (`/v1`, `/api/v1`, a gateway prefix). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.trim().replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export function bearerHeaders(config: ProviderConfig, contentType?: string): Headers {
  const headers = new Headers(config.headers);
  if (config.apiKey) headers.set('authorization', `Bearer ${config.apiKey}`);
  if (contentType) headers.set('content-type', contentType);
  return headers;
}

export function jsonRequest(url: string, headers: Headers, body: unknown): Request {
  headers.set('content-type', 'application/json');
  return new Request(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

export function mimeOf(image: InputImage): string {
  return sniffMime(image.bytes) ?? image.mime ?? 'application/octet-stream';
}

export function dataUrl(image: InputImage): string {
  return `data:${mimeOf(image)};base64,${encodeBase64(image.bytes)}`;
}

/** Sets only the values that were given, so upstreams never see options the user did not choose. */
export function withDefined<T extends Record<string, unknown>>(target: T, values: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') (target as Record<string, unknown>)[key] = value;
  return target;
}

export type OpenedBody =
  | { kind: 'json'; value: unknown; blobs: BlobTable }
  | { kind: 'sse'; events: AsyncIterable<SseEvent> };

/**
 * Checks the status and opens the body by its Content-Type: SSE or JSON, whatever was asked for.
 * Without a usable Content-Type the first bytes decide. Errors are ProviderErrors, or the caller's AbortError.
 */
export async function openBody(res: Response, ctx: ReadContext = {}): Promise<OpenedBody> {
  if (!res.ok) throw await errorFromResponse(res, ctx.secrets);
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  let body: ReadableStream<Uint8Array> = res.body ?? new ReadableStream({ start: (c) => c.close() });
  let isSse = type.includes('text/event-stream');
  if (!isSse && !type.includes('json')) {
    const peeked = await peek(body, ctx);
    body = peeked.body;
    isSse = /^\s*(data|event|id|retry)?:/.test(peeked.head);
  }
  if (isSse) return { kind: 'sse', events: guardEvents(readSse(body), ctx) };
  const blobs: BlobTable = new Map();
  const scanner = new JsonSpillScanner(blobs);
  await forEachChunk(body, ctx, (chunk) => scanner.write(chunk));
  const text = scanner.end();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderError('parse', `Upstream sent a body that is not valid JSON (${text.length === 0 ? 'empty' : 'truncated or malformed'})`, {
      status: res.status,
      retryable: true
    });
  }
  return { kind: 'json', value, blobs };
}

async function peek(body: ReadableStream<Uint8Array>, ctx: ReadContext): Promise<{ head: string; body: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  let first: Uint8Array | undefined;
  try {
    const { done, value } = await reader.read();
    if (!done) first = value;
  } catch (error) {
    throw bodyFailure(error, ctx);
  }
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first) controller.enqueue(first);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    }
  });
  return { head: first ? new TextDecoder().decode(first.subarray(0, 64)) : '', body: rest };
}

async function forEachChunk(body: ReadableStream<Uint8Array>, ctx: ReadContext, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      onChunk(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw bodyFailure(error, ctx);
  }
}

async function* guardEvents(events: AsyncIterable<SseEvent>, ctx: ReadContext): AsyncGenerator<SseEvent> {
  try {
    yield* events;
  } catch (error) {
    throw bodyFailure(error, ctx);
  }
}

/** A body that failed while being read: the connection dropped (network), unless it is ours or the caller's abort. */
function bodyFailure(error: unknown, ctx: ReadContext): unknown {
  if (error instanceof ProviderError || isAbortError(error) || ctx.signal?.aborted) return error;
  return networkError(error, ctx.secrets);
}

export type ParsedEvent = { kind: 'done' } | { kind: 'json'; value: Record<string, unknown>; type: string; blobs: BlobTable } | { kind: 'other' };

/** `[DONE]`, a JSON object with its `type` (from data.type, else the `event:` name), or something to skip. */
export function parseEvent(event: SseEvent): ParsedEvent {
  const data = event.data.trim();
  if (data === '[DONE]') return { kind: 'done' };
  if (!data.startsWith('{')) return { kind: 'other' };
  try {
    const value: unknown = JSON.parse(data);
    const object = asRecord(value);
    if (!object) return { kind: 'other' };
    const type = typeof object.type === 'string' ? object.type : (event.event ?? '');
    return { kind: 'json', value: object, type, blobs: event.blobs };
  } catch {
    // A truncated last event; the missing completion is reported by the caller.
    return { kind: 'other' };
  }
}

/** Throws the error carried by a 200 body or event (OpenRouter, grok2api, Responses `error`), if any. */
export function throwIfError(value: unknown, ctx: ReadContext): void {
  const error = errorFromPayload(value, undefined, ctx.secrets);
  if (error) throw error;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Usage in any of the shapes: images (input/output_tokens), chat (prompt/completion_tokens, cost), Gemini usageMetadata. */
export function usageFrom(value: unknown): Usage | undefined {
  const u = asRecord(value);
  if (!u) return undefined;
  const usage: Usage = {};
  const input = num(u.input_tokens) ?? num(u.prompt_tokens) ?? num(u.promptTokenCount);
  const output = num(u.output_tokens) ?? num(u.completion_tokens) ?? num(u.candidatesTokenCount);
  const total = num(u.total_tokens) ?? num(u.totalTokenCount);
  const cost = num(u.cost);
  if (input !== undefined) usage.inputTokens = input;
  if (output !== undefined) usage.outputTokens = output;
  if (total !== undefined) usage.totalTokens = total;
  if (cost !== undefined) usage.cost = cost;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** "40%" style progress in grok2api's progress lines. */
export function percentIn(text: string): number | undefined {
  const match = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(text);
  if (!match) return undefined;
  const percent = Number(match[1]);
  return percent >= 0 && percent <= 100 ? percent : undefined;
}

/** A stream that stopped before its completion event; one that sent nothing at all is an answer without an image. */
export function streamEndedError(eventsSeen: number): ProviderError {
  if (eventsSeen === 0) return new ProviderError('no-image', 'The upstream closed the stream without sending anything');
  return new ProviderError('upstream', 'The stream ended before the upstream reported completion', { retryable: true });
}
