// What every flavor (one upstream service) provides, and the helpers they share.
import { randomBytes } from 'node:crypto';
import type { FileStore } from '../files.ts';
import { BIG_DIMENSIONS, renderImage, type Dimensions, type ImageFormat } from '../images.ts';
import type { ContentMarkers, Knobs } from '../knobs.ts';
import type { RecordedRequest } from '../recording.ts';
import type { HeaderMap, Reply } from '../reply.ts';

/** One request as a flavor sees it. */
export interface Exchange {
  record: RecordedRequest;
  /** The path after the flavor's prefix, e.g. `/v1/images/generations`. */
  route: string;
  knobs: Knobs;
  markers: ContentMarkers;
  reply: Reply;
  /** `http://127.0.0.1:PORT`, for URLs that point back at this server. */
  origin: string;
  files: FileStore;
}

export type ErrorKind =
  | 'missing-key'
  | 'invalid-key'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'not-found'
  | 'bad-request';

/** An error answer, already serialised the way the service serialises it. */
export interface FlavorError {
  status: number;
  body: string;
  headers?: HeaderMap;
}

export interface Flavor {
  /** Short name used in logs and the CLI banner. */
  name: string;
  /** Base path on this server, e.g. `/openrouter/api/v1` ('' for the root). */
  prefix: string;
  /** The API key the request carries, where this service expects it. */
  apiKey(record: RecordedRequest): string | undefined;
  /** Routes the service serves without a key (e.g. grok2api v3 media links). */
  isPublicRoute?(route: string): boolean;
  /**
   * The service's own error body for a kind of failure. `detail` is the masked key for
   * `invalid-key`, "METHOD /route" for `not-found`, and the message for `bad-request`.
   */
  error(kind: ErrorKind, detail?: string): FlavorError;
  /**
   * For services that commit to HTTP 200 before a stream can fail: answers the `500` fault as an
   * in-stream error and returns true, or returns false to get the plain HTTP error.
   */
  serverErrorInStream?(exchange: Exchange): Promise<boolean>;
  /** Answers the request; false when the route is unknown to this service. */
  handle(exchange: Exchange): Promise<boolean>;
}

/** What 429 answers put in `Retry-After` (and Gemini in RetryInfo): short, so retry tests stay fast. */
export const RETRY_AFTER_SECONDS = 1;

export function jsonError(status: number, value: unknown, headers?: HeaderMap): FlavorError {
  return { status, body: JSON.stringify(value), headers };
}

export async function sendError(exchange: Exchange, flavor: Flavor, kind: ErrorKind, detail?: string): Promise<void> {
  const error = flavor.error(kind, detail);
  await exchange.reply.jsonText(error.status, error.body, error.headers);
}

export function bearerKey(record: RecordedRequest): string | undefined {
  const match = /^\s*Bearer\s+(\S+)/i.exec(record.headers.authorization ?? '');
  return match?.[1];
}

/** `sk-abc…xyz` style masking, as services echo a wrong key back. */
export function maskKey(key: string | undefined): string {
  if (!key) return '';
  return key.length <= 8 ? `${key.slice(0, 2)}***` : `${key.slice(0, 6)}***${key.slice(-4)}`;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A JSON object body, or undefined when the body was not a JSON object. */
export function jsonObject(record: RecordedRequest): Record<string, unknown> | undefined {
  const json = record.json;
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer from a JSON number or a form string, within [1, max]. */
export function asCount(value: unknown, fallback: number, max: number): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) return fallback;
  return Math.min(number, max);
}

export interface ImageRequest {
  prompt: string;
  count: number;
  dimensions: Dimensions;
  format: ImageFormat;
  transparent?: boolean;
  /** Shifts image indexes, e.g. for an edit, so its pictures differ from a generation's. */
  salt?: string;
}

export interface GeneratedImage {
  bytes: Buffer;
  format: ImageFormat;
  dimensions: Dimensions;
}

/** The size actually drawn: `[big]` in the prompt swaps in the noisy benchmark size. */
export function outputDimensions(exchange: Exchange, requested: Dimensions): Dimensions {
  return exchange.markers.big ? BIG_DIMENSIONS : requested;
}

/** Image `index` of an answer; `stage` gives a blocky partial preview (0 is the coarsest). */
export function generateImage(exchange: Exchange, request: ImageRequest, index: number, stage?: number): GeneratedImage {
  const dimensions = outputDimensions(exchange, request.dimensions);
  const bytes = renderImage({
    prompt: (request.salt ?? '') + request.prompt,
    index,
    ...dimensions,
    format: request.format,
    transparent: request.transparent,
    noise: exchange.markers.big,
    partialStage: stage
  });
  return { bytes, format: request.format, dimensions };
}

export function generateImages(exchange: Exchange, request: ImageRequest): GeneratedImage[] {
  return Array.from({ length: request.count }, (_, index) => generateImage(exchange, request, index));
}

export function fileUrl(exchange: Exchange, name: string): string {
  return `${exchange.origin}/files/${name}`;
}
