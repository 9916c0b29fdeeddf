// Gemini `:generateContent` and `:streamGenerateContent?alt=sse` (FORMATS.md §4).

import { ProviderError } from '../../errors';
import { encodeBase64 } from '../../extract/base64';
import type { BlobTable } from '../../extract/spill';
import type { DialectAdapter, GenerationRequest, HistoryPart, ProviderConfig, ProviderEvent, ReadContext, Usage } from '../../types';
import { asArray, asRecord, asString, jsonRequest, joinUrl, mimeOf, openBody, parseEvent, streamEndedError, throwIfError, usageFrom, withDefined } from '../http';
import { ImageCollector } from '../results';
import { meta } from './meta';

/** The API root: the host plus `/v1beta`, unless the base URL already names a version. */
export function geminiRoot(baseUrl: string): string {
  const trimmed = baseUrl.trim().replace(/\/+$/, '');
  return /\/v1(beta|alpha)?\d*$/i.test(trimmed) ? trimmed : `${trimmed}/v1beta`;
}

export function geminiModelName(model: string): string {
  return model.trim().replace(/^models\//, '');
}

/** The key goes in a header, never in `?key=`, so URLs in logs and errors never carry it. */
export function geminiHeaders(config: ProviderConfig): Headers {
  const headers = new Headers(config.headers);
  if (config.apiKey) headers.set('x-goog-api-key', config.apiKey);
  return headers;
}

type GeminiPart = { text: string; thoughtSignature?: string } | { inlineData: { mimeType: string; data: string }; thoughtSignature?: string };

function toPart(part: HistoryPart): GeminiPart {
  const out: GeminiPart = 'text' in part ? { text: part.text } : { inlineData: { mimeType: mimeOf(part.image), data: encodeBase64(part.image.bytes) } };
  // Gemini 3 image models reject multi-turn edits whose earlier model parts lack their signatures.
  if (part.thoughtSignature) out.thoughtSignature = part.thoughtSignature;
  return out;
}

function buildRequest(req: GenerationRequest, config: ProviderConfig): Request {
  if (req.mask) throw new ProviderError('bad-request', 'Gemini takes no mask; describe the area in the prompt instead');
  const contents = (req.history ?? []).map((turn) => ({ role: turn.role, parts: turn.parts.map(toPart) }));
  contents.push({ role: 'user', parts: [{ text: req.prompt }, ...(req.images ?? []).map((image) => toPart({ image }))] });
  const imageConfig = withDefined({}, { aspectRatio: req.aspectRatio, imageSize: req.imageSize });
  const generationConfig = withDefined(
    { responseModalities: ['TEXT', 'IMAGE'] },
    { candidateCount: req.n && req.n > 1 ? req.n : undefined, imageConfig: Object.keys(imageConfig).length ? imageConfig : undefined }
  );
  const method = req.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  const url = joinUrl(geminiRoot(config.baseUrl), `models/${encodeURIComponent(geminiModelName(req.model))}:${method}`);
  return jsonRequest(url, geminiHeaders(config), { contents, generationConfig, ...req.extra });
}

const NO_IMAGE_REASONS = new Set(['NO_IMAGE', 'IMAGE_OTHER', 'OTHER', 'MAX_TOKENS', 'MALFORMED_FUNCTION_CALL']);

class GeminiReader {
  readonly collector = new ImageCollector();
  text = '';
  finishReason: string | undefined;
  finishMessage: string | undefined;
  blockReason: string | undefined;
  usage: Usage | undefined;

  *chunk(value: unknown, blobs: BlobTable): Generator<ProviderEvent> {
    const root = asRecord(value);
    if (!root) return;
    const feedback = asRecord(root.promptFeedback ?? root.prompt_feedback);
    const blockReason = asString(feedback?.blockReason ?? feedback?.block_reason);
    if (blockReason) this.blockReason = blockReason;
    this.usage = usageFrom(root.usageMetadata ?? root.usage_metadata) ?? this.usage;
    for (const [candidateIndex, candidate] of asArray(root.candidates).entries()) {
      const c = asRecord(candidate);
      if (!c) continue;
      const reason = asString(c.finishReason ?? c.finish_reason);
      if (reason) this.finishReason = reason;
      this.finishMessage = asString(c.finishMessage ?? c.finish_message) ?? this.finishMessage;
      // `content` can be `{}` with no parts.
      for (const part of asArray(asRecord(c.content)?.parts)) {
        const p = asRecord(part);
        if (!p) continue;
        const signature = asString(p.thoughtSignature ?? p.thought_signature);
        const inline = asRecord(p.inlineData ?? p.inline_data);
        if (p.thought === true) {
          // Thinking models draw interim thought images: previews, never results.
          const preview = inline ? this.collector.partial(inline.data, blobs, { index: candidateIndex }) : null;
          if (preview) yield preview;
          else if (typeof p.text === 'string' && p.text.trim()) yield { type: 'progress', text: p.text.trim() };
          continue;
        }
        if (inline) {
          const event = this.collector.final(inline.data, blobs, { index: this.collector.finals, ...(signature ? { thoughtSignature: signature } : {}) });
          if (event) yield event;
        } else if (typeof p.text === 'string' && (p.text || signature)) {
          this.text += p.text;
          yield signature ? { type: 'text', text: p.text, thoughtSignature: signature } : { type: 'text', text: p.text };
        }
      }
    }
  }

  /** The HTTP-200 failures: a blocked prompt, or a finish reason that means no image. */
  noImageError(): ProviderError {
    const said = this.text.trim().slice(0, 500);
    if (this.blockReason) {
      return new ProviderError('safety', `The prompt was blocked (${this.blockReason})${said ? `: ${said}` : ''}`, { code: this.blockReason });
    }
    const reason = this.finishReason ?? 'STOP';
    const kind = NO_IMAGE_REASONS.has(reason) || reason === 'STOP' ? 'no-image' : 'safety';
    const detail = this.finishMessage ?? said;
    return new ProviderError(kind, `Gemini finished without an image (${reason})${detail ? `: ${detail}` : ''}`, { code: reason });
  }
}

async function* readResponse(res: Response, ctx: ReadContext = {}): AsyncGenerator<ProviderEvent> {
  const body = await openBody(res, ctx);
  let eventsSeen = 0;
  const reader = new GeminiReader();
  if (body.kind === 'json') {
    // streamGenerateContent without alt=sse answers with a JSON array of chunks.
    const chunks = Array.isArray(body.value) ? body.value : [body.value];
    for (const chunk of chunks) {
      throwIfError(chunk, ctx);
      yield* reader.chunk(chunk, body.blobs);
    }
  } else {
    for await (const event of body.events) {
      eventsSeen++;
      const parsed = parseEvent(event);
      if (parsed.kind === 'done') break;
      if (parsed.kind !== 'json') continue;
      throwIfError(parsed.value, ctx);
      yield* reader.chunk(parsed.value, parsed.blobs);
    }
  }
  if (reader.usage) yield { type: 'usage', usage: reader.usage };
  const finished = reader.finishReason !== undefined || reader.blockReason !== undefined;
  if (reader.collector.finals === 0) {
    if (body.kind === 'sse' && !finished) throw streamEndedError(eventsSeen);
    throw reader.noImageError();
  }
  yield { type: 'done', complete: body.kind === 'json' || finished, ...(reader.finishReason ? { finishReason: reader.finishReason } : {}) };
}

export const gemini: DialectAdapter = { meta, buildRequest, readResponse };
