// Errors as values: every failure the provider layer reports is a ProviderError with a kind the UI can act on.

export type ErrorKind =
  | 'auth'
  | 'quota'
  | 'rate-limit'
  | 'safety'
  | 'bad-request'
  | 'not-found'
  | 'upstream'
  | 'network'
  | 'timeout'
  | 'parse'
  | 'no-image';

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['rate-limit', 'upstream', 'network', 'timeout']);

export interface ProviderErrorOptions {
  status?: number;
  /** The upstream's own code (OpenAI string code, OpenRouter number, Gemini status, finish reason). */
  code?: string;
  retryAfterMs?: number;
  retryable?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(kind: ErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? RETRYABLE.has(kind);
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.code = options.code;
  }

  /** A plain object that survives structured clone (postMessage, Comlink) and JSON. */
  toJSON(): ProviderErrorJson {
    return {
      kind: this.kind,
      message: this.message,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      status: this.status,
      code: this.code
    };
  }
}

export interface ProviderErrorJson {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  status?: number | undefined;
  code?: string | undefined;
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

/** True for a cancellation by the caller, which is not an error to report. */
export function isAbortError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AbortError';
}

/** Replaces every secret (API keys) in text shown to users or logged. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export function kindForStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 404) return 'not-found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'upstream';
  if (status >= 400) return 'bad-request';
  return 'upstream';
}

const SAFETY_CODES = /moderation|moderated|content_policy|safety|prohibited|blocked|sensitive/i;
const QUOTA_CODES = /insufficient_quota|payment_required|billing|insufficient_balance|credit/i;
const AUTH_CODES = /invalid_api_key|api_key_invalid|authentication|unauthenticated|permission_denied|unauthorized|invalid_key/i;
const RATE_CODES = /rate_limit|resource_exhausted|too_many_requests/i;
// When codes say little (xAI answers a bad key with 400 "Client specified an invalid argument"), the words decide.
const SAFETY_WORDS = /moderation|moderated|flagged|safety system|content policy|sensitive (content|information)|内容审核|审核/i;
const AUTH_WORDS = /(incorrect|invalid|wrong|missing) (api )?key|api key not valid|invalid token|unauthori[sz]ed/i;

function refineKind(base: ErrorKind, codes: string[], message: string): ErrorKind {
  for (const code of codes) {
    if (SAFETY_CODES.test(code)) return 'safety';
    if (QUOTA_CODES.test(code)) return 'quota';
    if (AUTH_CODES.test(code)) return 'auth';
    if (RATE_CODES.test(code) && base !== 'quota') return 'rate-limit';
  }
  if ((base === 'bad-request' || base === 'auth' || base === 'upstream') && SAFETY_WORDS.test(message)) return 'safety';
  if (base === 'bad-request' && AUTH_WORDS.test(message)) return 'auth';
  return base;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Gemini puts RetryInfo {retryDelay:"30s"} in error.details. */
function retryDelayFromDetails(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const delay = text(record(detail)?.retryDelay);
    const match = delay && /^(\d+(?:\.\d+)?)s$/.exec(delay);
    if (match) return Math.round(Number(match[1]) * 1000);
  }
  return undefined;
}

/**
 * Reads every error envelope in FORMATS.md: OpenAI/grok2api/Seedream `{error:{message,type,code}}`, OpenRouter numeric
 * codes and metadata.error_type, Gemini `{error:{code,message,status,details}}`, xAI `{code, error:"<string>"}`,
 * Responses `{type:"error", ...}` flat or nested. Null when the value is not an error.
 */
export function errorFromPayload(payload: unknown, status?: number, secrets: readonly (string | undefined)[] = []): ProviderError | null {
  const root = record(payload);
  if (!root) return null;
  const nested = record(root.error);
  let message: string | undefined;
  let codes: string[] = [];
  let retryAfterMs: number | undefined;
  let upstreamCode: string | undefined;
  if (nested) {
    message = text(nested.message) ?? text(nested.error);
    upstreamCode = text(nested.status) ?? text(nested.code) ?? text(nested.type);
    const metadata = record(nested.metadata);
    // OpenRouter moderation: 403 with metadata.reasons / flagged_input.
    if (metadata && (Array.isArray(metadata.reasons) || metadata.flagged_input !== undefined)) codes.push('moderation');
    const reasons = Array.isArray(nested.details) ? nested.details.map((d) => record(d)?.reason) : [];
    codes = [...codes, ...reasons, nested.code, nested.type, nested.status, metadata?.error_type].map(text).filter((c): c is string => !!c);
    retryAfterMs = retryDelayFromDetails(nested.details);
    const raw = text(metadata?.raw);
    if (raw && message && !message.includes(raw) && raw.length < 500) message = `${message} (${raw})`;
  } else if (typeof root.error === 'string' && root.error) {
    message = root.error;
    upstreamCode = text(root.code);
    codes = [text(root.code) ?? ''];
  } else if (root.type === 'error' || (typeof root.message === 'string' && root.code !== undefined && !/^(0|200|ok|success)$/i.test(String(root.code)))) {
    // Responses' flat `{type:"error",code,message}`; SiliconFlow's `{code:20047,message,data}` (a `code:0` envelope is a success).
    message = text(root.message);
    upstreamCode = text(root.code);
    codes = [text(root.code) ?? ''];
  } else {
    return null;
  }
  const httpStatus = status ?? (nested && typeof nested.code === 'number' && nested.code >= 400 ? nested.code : undefined);
  const base = httpStatus !== undefined && httpStatus >= 400 ? kindForStatus(httpStatus) : 'upstream';
  let kind = refineKind(base, codes, message ?? '');
  if (httpStatus === 429 && codes.some((c) => /insufficient_quota/i.test(c))) kind = 'quota';
  const shown = redact(message || (upstreamCode ? `Upstream error ${upstreamCode}` : 'Upstream error'), secrets);
  return new ProviderError(kind, shown.slice(0, 2000), { status: httpStatus, code: upstreamCode, retryAfterMs });
}

/** Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const MAX_ERROR_BODY = 64 * 1024;

/** Turns a non-2xx response into a ProviderError, keeping the upstream's own message. */
export async function errorFromResponse(res: Response, secrets: readonly (string | undefined)[] = []): Promise<ProviderError> {
  const body = await readCapped(res, MAX_ERROR_BODY);
  const retryAfterHeader = parseRetryAfter(res.headers.get('retry-after'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const fromPayload = errorFromPayload(parsed, res.status, secrets);
  if (fromPayload) {
    if (retryAfterHeader === undefined || fromPayload.retryAfterMs !== undefined) return fromPayload;
    return new ProviderError(fromPayload.kind, fromPayload.message, {
      status: fromPayload.status,
      code: fromPayload.code,
      retryAfterMs: retryAfterHeader
    });
  }
  const summary = summarizeText(body);
  const message = redact(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${summary ? `: ${summary}` : ''}`, secrets);
  return new ProviderError(kindForStatus(res.status), message, { status: res.status, retryAfterMs: retryAfterHeader });
}

/** A one-line summary of an HTML or text error page (a proxy's 502 page, say). */
function summarizeText(body: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1];
  const plain = (title ?? body.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return plain.slice(0, 300);
}

async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let out = '';
  try {
    while (out.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      out += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off while reading an error page still has a status worth reporting.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return out.slice(0, limit);
}

/** Wraps a failed fetch (refused, reset, DNS) as a network error. Timeouts and aborts are handled by the caller. */
export function networkError(cause: unknown, secrets: readonly (string | undefined)[] = []): ProviderError {
  const inner = record(record(cause)?.cause);
  const detail = text(inner?.code) ?? text(inner?.message);
  const base = cause instanceof Error ? cause.message : String(cause);
  return new ProviderError('network', redact(detail ? `${base} (${detail})` : base, secrets), { cause });
}
