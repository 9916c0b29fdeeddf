// What the upstream remembers about each request, and the short form served by /__upstream/requests.
import type { IncomingMessage } from 'node:http';
import { MultipartError, multipartBoundary, parseMultipart, type MultipartForm } from './multipart.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names, as received. */
  headers: Record<string, string>;
  body: Buffer;
  /** Parsed when the body was JSON. */
  json?: unknown;
  /** Parsed when the body was multipart/form-data. */
  form?: MultipartForm;
  time: number;
}

/** Bodies above this are refused (413): the largest real inputs are 16 edit images of a few MB. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function recordRequest(req: IncomingMessage, url: URL, body: Buffer): RecordedRequest {
  const headers = flattenHeaders(req);
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    time: Date.now()
  };
  const contentType = headers['content-type'] ?? '';
  const boundary = multipartBoundary(contentType);
  if (boundary) {
    try {
      record.form = parseMultipart(body, boundary);
    } catch (error) {
      if (!(error instanceof MultipartError)) throw error;
    }
  } else if (body.length > 0 && (/json/i.test(contentType) || body[0] === 0x7b || body[0] === 0x5b)) {
    try {
      record.json = JSON.parse(body.toString('utf8'));
    } catch {
      // Not JSON after all: flavors answer that with their own "could not parse" error.
    }
  }
  return record;
}

/** The request's text content, where prompt markers are looked for. Files are left out. */
export function requestText(record: RecordedRequest): string {
  if (record.form) return Object.values(record.form.fields).flat().join('\n');
  if (record.json !== undefined) return record.body.toString('utf8');
  return '';
}

const LONG_STRING = 160;

function summariseValue(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= LONG_STRING) return value;
    const dataUrl = /^data:([^;,]*)(;base64)?,/.exec(value);
    return dataUrl ? `${dataUrl[0]}<${value.length - dataUrl[0].length} chars>` : `${value.slice(0, 60)}…<${value.length} chars>`;
  }
  if (Array.isArray(value)) return value.map(summariseValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, summariseValue(item)]));
  }
  return value;
}

/** A JSON-safe view of a request with long strings (base64, data URLs) and files shortened. */
export function summariseRequest(record: RecordedRequest): unknown {
  return {
    method: record.method,
    path: record.path,
    query: record.query,
    headers: record.headers,
    bodyBytes: record.body.length,
    json: record.json === undefined ? undefined : summariseValue(record.json),
    form: record.form && {
      fields: summariseValue(record.form.fields),
      files: record.form.files.map(({ field, filename, contentType, bytes }) => ({ field, filename, contentType, bytes: bytes.length }))
    },
    time: record.time
  };
}
