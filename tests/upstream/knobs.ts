// The knobs that bend an answer (fault, latency, pace) and where a request can set them: server-wide
// options, `x-upstream-*` headers, or markers typed into the prompt (so a person or a browser test
// can trigger them through the real UI). A prompt marker wins over a header, which wins over the
// server-wide setting.

export const FAULT_NAMES = [
  '401',
  '429',
  '500',
  'html-502',
  '504',
  'reset',
  'truncated-json',
  'no-completion',
  'no-image',
  'safety',
  'drip'
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export interface Knobs {
  fault: FaultName | null;
  latencyMs: number;
  paceMs: number;
}

/** Content markers read from the prompt that change what is generated, not how it is delivered. */
export interface ContentMarkers {
  /** `[big]`: a noisy 3072x3072 image (a PNG of about 28 MB) for benchmarks. */
  big: boolean;
  /** `[short]`: fewer images than asked for (grok2api "error" padding, Seedream partial_failed). */
  short: boolean;
}

export class KnobError extends Error {}

export function isFaultName(value: unknown): value is FaultName {
  return typeof value === 'string' && (FAULT_NAMES as readonly string[]).includes(value);
}

function parseFault(value: string, source: string): FaultName | null {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return null;
  if (!isFaultName(trimmed)) throw new KnobError(`unknown fault "${trimmed}" in ${source}; known: ${FAULT_NAMES.join(', ')}`);
  return trimmed;
}

function parseMilliseconds(value: string, source: string): number {
  const ms = Number(value.trim());
  if (!Number.isFinite(ms) || ms < 0) throw new KnobError(`${source} must be a non-negative number of milliseconds, got "${value}"`);
  return ms;
}

const MARKER = /\[(fault|latency|pace):([^\]\s]*)\]/g;

/**
 * The knobs for one request. `text` is the request's text content (JSON body or multipart text
 * fields); markers can only come from there, and in practice they sit in the prompt.
 */
export function resolveKnobs(serverWide: Knobs, headers: Record<string, string>, text: string): Knobs {
  const knobs: Knobs = { ...serverWide };
  const fault = headers['x-upstream-fault'];
  if (fault !== undefined) knobs.fault = parseFault(fault, 'x-upstream-fault');
  const latency = headers['x-upstream-latency'];
  if (latency !== undefined) knobs.latencyMs = parseMilliseconds(latency, 'x-upstream-latency');
  const pace = headers['x-upstream-pace'];
  if (pace !== undefined) knobs.paceMs = parseMilliseconds(pace, 'x-upstream-pace');

  for (const match of text.matchAll(MARKER)) {
    const [marker, name, value = ''] = match;
    if (name === 'fault') knobs.fault = parseFault(value, marker);
    else if (name === 'latency') knobs.latencyMs = parseMilliseconds(value, marker);
    else knobs.paceMs = parseMilliseconds(value, marker);
  }
  return knobs;
}

export function readContentMarkers(text: string): ContentMarkers {
  return { big: text.includes('[big]'), short: text.includes('[short]') };
}
